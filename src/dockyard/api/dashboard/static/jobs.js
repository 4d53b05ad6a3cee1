// Scheduled job invocations: a page at a time (newest first), filtered by job, each with its
// log (followed live while it runs) and, while it is pending or running, Cancel.

import { api, appPath } from "./api.js";
import { LogFollower } from "./logs.js";
import { act, appId, refresh, startAppPage } from "./shell.js";
import { $, cell, formatDuration, h, pager, parseTime, phaseBadge, shortId, timeAgo } from "./ui.js";

const PER_PAGE = 15;
const RUNNING = new Set(["PENDING", "RUNNING"]);
const state = { page: 1, total: 0, shown: null, jobs: "", drawn: "" };
const logs = new LogFollower($("log-lines"), $("log-status"));

function scheduled(spec) {
  return ((spec || {}).jobs || []).filter((j) => j.kind === "SCHEDULED");
}

function describeSchedules(jobs) {
  if (!jobs.length) return "This app has no scheduled jobs (kind: SCHEDULED with a schedule.cron).";
  return `Schedules: ${jobs.map((j) => `${j.name} “${(j.schedule || {}).cron}”`
    + ((j.schedule || {}).time_zone ? ` (${j.schedule.time_zone})` : "")).join(", ")}. `
    + "One invocation of a job runs at a time; a tick due while one runs is SKIPPED.";
}

function fillFilter(jobs) {
  const names = jobs.map((j) => j.name);
  if (names.join("\n") === state.jobs) return;
  state.jobs = names.join("\n");
  const select = $("jobs-filter");
  const current = select.value;
  select.replaceChildren(h("option", { value: "" }, "all"), ...names.map((n) => h("option", { value: n }, n)));
  select.value = names.includes(current) ? current : "";
}

async function load() {
  const job = $("jobs-filter").value;
  const query = `?page=${state.page}&per_page=${PER_PAGE}${job ? `&job_names=${encodeURIComponent(job)}` : ""}`;
  return api("GET", appPath(appId, `/job-invocations${query}`));
}

function duration(inv) {
  const start = parseTime(inv.started_at);
  if (!start) return "–";
  const end = parseTime(inv.completed_at) || (RUNNING.has(inv.phase) ? Date.now() : null);
  return end ? formatDuration(end - start) : "–";
}

function showLogs(inv) {
  state.shown = inv.id;
  $("job-logs-card").hidden = false;
  $("job-logs-title").textContent = `Log of ${inv.job_name} invocation ${shortId(inv.id)}`;
  logs.follow({ path: appPath(appId, `/jobs/${encodeURIComponent(inv.job_name)}/invocations/`
    + `${encodeURIComponent(inv.id)}/logs?type=JOB_INVOCATION&follow=true`),
  label: `the log of ${inv.job_name} ${shortId(inv.id)}` });
  $("job-logs-card").scrollIntoView({ block: "nearest" });
}

function cancel(inv, button) {
  if (!window.confirm(`Cancel ${inv.job_name} invocation ${shortId(inv.id)}? Its processes get SIGTERM, then SIGKILL.`)) return;
  act(button, "Cancel invocation", async () => {
    const body = await api("POST", appPath(appId, `/job-invocations/${encodeURIComponent(inv.id)}/cancel`));
    state.drawn = "";
    return `Invocation ${shortId(inv.id)} is ${body.phase}.`;
  });
}

function row(inv) {
  const d = inv.dockyard || {};
  const exit = d.exit_code === null || d.exit_code === undefined ? "–" : String(d.exit_code);
  const cancelButton = RUNNING.has(inv.phase) && h("button", { class: "btn btn-small btn-danger", type: "button",
    "data-write": true, "data-cancel": inv.id, onclick: (e) => cancel(inv, e.currentTarget) }, "Cancel");
  return h("tr", { class: inv.id === state.shown ? "selected" : "", dataset: { invocation: inv.id, phase: inv.phase, job: inv.job_name } },
    cell("Invocation", h("code", {}, shortId(inv.id)), h("div", { class: "muted small" }, timeAgo(inv.created_at))),
    cell("Job", inv.job_name),
    cell("Phase", phaseBadge(inv.phase), d.error_message && h("div", { class: "error small" }, d.error_message)),
    cell("Started", timeAgo(inv.started_at)),
    cell("Duration", duration(inv)),
    cell("Exit", exit),
    h("td", { class: "row-actions" },
      h("button", { class: "btn btn-small", type: "button", onclick: () => showLogs(inv) },
        inv.id === state.shown ? "Showing log" : "Log"),
      cancelButton));
}

function render(app, body) {
  const jobs = scheduled(app.spec);
  fillFilter(jobs);
  $("jobs-schedule").textContent = describeSchedules(jobs);
  const items = body.job_invocations || [];
  state.total = (body.meta || {}).total || 0;
  const key = JSON.stringify([items, state.shown, state.page]);
  if (key !== state.drawn || items.some((i) => RUNNING.has(i.phase))) {
    state.drawn = key;
    $("invocations").replaceChildren(...(items.length ? items.map(row)
      : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, jobs.length
        ? "No invocations yet: the first runs at the next tick of its schedule." : "No invocations."))]));
  }
  pager($("jobs-pager"), { page: state.page, perPage: PER_PAGE, total: state.total,
    onPage: (n) => { state.page = n; state.drawn = ""; refresh(); } });
}

$("jobs-filter").addEventListener("change", () => { state.page = 1; state.drawn = ""; refresh(); });
$("job-logs-close").addEventListener("click", () => {
  logs.stop();
  state.shown = null;
  state.drawn = "";
  $("job-logs-card").hidden = true;
});
window.addEventListener("pagehide", () => logs.stop());
startAppPage({ load, render });
