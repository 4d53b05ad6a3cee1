// Deployments: the status card (active and in-progress deployment, progress, the steps
// running now) and the history table. The step labels are the ones `--wait` prints in the
// CLI (dockyard/cli/progress.py): "message_base component_name", else message_base, else
// the step path.

import { cell, deploymentDuration, h, phaseBadge, shortId, TERMINAL, timeAgo } from "./ui.js";

export function runningSteps(progress) {
  const out = [];
  const walk = (steps, trail) => {
    for (const s of steps || []) {
      const base = s.message_base || "";
      const label = (base && s.component_name ? `${base} ${s.component_name}` : base)
        || `${trail}${s.name}`;
      if (s.steps && s.steps.length) walk(s.steps, `${trail}${s.name}/`);
      else if (s.status === "RUNNING") out.push(label);
    }
  };
  walk((progress || {}).steps, "");
  return out;
}

// Running leaf steps with what each is doing now: a step's ``detail`` (a Dockyard addition)
// carries the last failed health-check attempt while the gate waits.
export function stepDetails(progress) {
  const out = [];
  const walk = (steps, trail) => {
    for (const s of steps || []) {
      const base = s.message_base || "";
      const label = (base && s.component_name ? `${base} ${s.component_name}` : base) || `${trail}${s.name}`;
      if (s.steps && s.steps.length) walk(s.steps, `${trail}${s.name}/`);
      else if (s.status === "RUNNING") out.push({ label, detail: s.detail || "" });
    }
  };
  walk((progress || {}).steps, "");
  return out;
}

// The first failing leaf step's reason: where a failed deployment stopped, and why; with the
// last detail a failing step recorded (e.g. the last failed health-check attempt).
function failedStep(progress) {
  const failed = [];
  const walk = (steps, trail) => {
    for (const s of steps || []) {
      if (s.steps && s.steps.length) walk(s.steps, `${trail}${s.name}/`);
      else if (s.status === "ERROR") failed.push({ step: `${trail}${s.name}`, reason: s.reason || {}, detail: s.detail });
    }
  };
  walk((progress || {}).steps, "");
  if (!failed.length) return null;
  return { ...failed[0], detail: (failed.find((f) => f.detail) || {}).detail };
}

function commitOf(dep) {
  for (const kind of ["services", "static_sites", "workers", "jobs"]) {
    const hash = ((dep[kind] || [])[0] || {}).source_commit_hash;
    if (hash) return hash.slice(0, 7);
  }
  return "";
}

export function progressBar(progress) {
  const p = progress || {};
  const total = p.total_steps || 0;
  const done = p.success_steps || 0;
  const pct = total ? Math.round((100 * done) / total) : 0;
  const fill = h("div", { class: "progress-fill" });
  fill.style.width = `${pct}%`; // CSSOM, not a style attribute: the CSP forbids inline styles
  return h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0,
    "aria-valuemax": total, "aria-valuenow": done },
  fill, h("span", { class: "progress-text" }, `${done}/${total} steps`));
}

function depSummary(title, dep) {
  const commit = commitOf(dep);
  return h("div", { class: "dep-summary", dataset: { deployment: dep.id } },
    h("div", { class: "dep-title" }, h("strong", {}, title), " ", phaseBadge(dep.phase)),
    h("dl", { class: "facts" },
      h("dt", {}, "Deployment"), h("dd", {}, h("code", {}, shortId(dep.id))),
      h("dt", {}, "Cause"), h("dd", {}, dep.cause || "–"),
      commit && [h("dt", {}, "Commit"), h("dd", {}, h("code", {}, commit))],
      h("dt", {}, "Created"), h("dd", {}, timeAgo(dep.created_at)),
      h("dt", {}, "Duration"), h("dd", {}, deploymentDuration(dep))));
}

function stepItem({ label, detail }) {
  return h("li", {}, h("span", { class: "spinner" }),
    h("div", {}, label, detail && h("div", { class: "step-detail small" }, detail)));
}

function inProgressBlock(dep) {
  const steps = stepDetails(dep.progress);
  return h("div", { class: "in-progress", id: "in-progress" },
    depSummary("In progress", dep),
    progressBar(dep.progress),
    h("ul", { class: "steps", id: "running-steps" },
      steps.length ? steps.map(stepItem)
        : h("li", { class: "muted" }, dep.phase.replaceAll("_", " ").toLowerCase())));
}

function errorBlock(app, dep) {
  const err = dep.error || {};
  const failed = failedStep(dep.progress);
  const canceled = dep.phase === "CANCELED";
  const reason = err.message || (failed && failed.reason.message)
    || (canceled ? "Canceled before it went live." : "No reason was recorded.");
  return h("div", { class: "dep-error", id: "last-error" },
    h("div", { class: "dep-title" }, h("strong", {}, canceled ? "Last deployment canceled" : "Last deployment failed"),
      " ", phaseBadge(dep.phase), " ", h("code", {}, shortId(dep.id))),
    h("p", {}, reason),
    failed && failed.detail && h("p", { class: "step-detail small" }, `Last attempt: ${failed.detail}`),
    h("p", { class: "small" }, app.active_deployment ? "The active release below kept serving." : "Nothing is live."),
    (err.code || failed) && h("p", { class: "muted small" },
      [err.code && `code ${err.code}`, failed && `step ${failed.step}`].filter(Boolean).join(" · ")));
}

export function renderStatus(box, app, deployments) {
  const parts = [];
  const running = app.in_progress_deployment;
  if (running) parts.push(inProgressBlock(running));
  const newest = deployments[0];
  if (newest && !running && (newest.phase === "ERROR" || newest.phase === "CANCELED")) {
    parts.push(errorBlock(app, newest));
  }
  if (app.active_deployment) parts.push(depSummary("Active", app.active_deployment));
  else if (!running) parts.push(h("p", { class: "muted" }, "Nothing is live yet."));
  box.replaceChildren(...parts);
}

function progressCell(dep) {
  const p = dep.progress || {};
  if (TERMINAL.has(dep.phase)) return `${p.success_steps || 0}/${p.total_steps || 0}`;
  const steps = runningSteps(dep.progress);
  return h("div", {}, progressBar(p), steps.length ? h("div", { class: "muted small" }, steps.join(", ")) : null);
}

function historyRow(dep, { selected, onLogs, onRollback, pinned }) {
  const canRollBack = dep.phase === "SUPERSEDED";
  return h("tr", { class: selected ? "selected" : "", dataset: { deployment: dep.id, phase: dep.phase } },
    cell("Deployment", h("code", {}, shortId(dep.id)),
      commitOf(dep) && h("span", { class: "muted small" }, ` @${commitOf(dep)}`)),
    cell("Phase", phaseBadge(dep.phase)),
    cell("Cause", dep.cause || "–",
      dep.error && h("div", { class: "error small" }, dep.error.message || dep.error.code)),
    cell("Progress", progressCell(dep)),
    cell("Created", timeAgo(dep.created_at)),
    cell("Duration", deploymentDuration(dep)),
    h("td", { class: "row-actions" },
      h("button", { class: "btn btn-small", type: "button", onclick: () => onLogs(dep.id) },
        selected ? "Showing logs" : "Logs"),
      canRollBack && h("button", { class: "btn btn-small", type: "button", "data-write": true, disabled: pinned,
        title: pinned ? "Commit or revert the rollback first" : "Deploy this release again, without a rebuild",
        onclick: () => onRollback(dep.id) },
      "Roll back here")));
}

export function renderHistory(tbody, deployments, options) {
  if (!deployments.length) {
    tbody.replaceChildren(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No deployments yet.")));
    return;
  }
  tbody.replaceChildren(...deployments.map((dep) =>
    historyRow(dep, { ...options, selected: dep.id === options.selectedId })));
}
