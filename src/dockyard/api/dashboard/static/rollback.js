// The rollback dialog: pick a kept release (a deployment that went live before), see what the
// API's rollback/validate says about it, choose whether to pin the app, then roll back.
// DigitalOcean pins by default: new deployments wait until the rollback is committed or
// reverted (the header's banner offers both).

import { api, appPath, handleAuthError, isReadOnly } from "./api.js";
import { $, errorText, h, shortId, timeAgo } from "./ui.js";

let onGo = null;
let checked = 0; // the newest validation wins when the user changes the target quickly

function commitOf(dep) {
  for (const kind of ["services", "static_sites", "workers", "jobs"]) {
    const hash = ((dep[kind] || [])[0] || {}).source_commit_hash;
    if (hash) return ` @${hash.slice(0, 7)}`;
  }
  return "";
}

async function validate(appId) {
  const box = $("rollback-check");
  const go = $("rollback-go");
  const target = $("rollback-target").value;
  const mine = ++checked;
  go.disabled = true;
  box.replaceChildren(h("p", { class: "muted" }, "Checking…"));
  try {
    const body = await api("POST", appPath(appId, "/rollback/validate"), { deployment_id: target });
    if (mine !== checked) return;
    if (!body.valid) {
      const err = body.error || {};
      box.replaceChildren(h("p", { class: "error" }, `✗ ${err.message || "not allowed"}`
        + (err.code ? ` (${err.code})` : "")));
      return;
    }
    box.replaceChildren(h("p", { class: "ok" }, "✓ This release can be rolled back to."),
      ...(body.warnings || []).map((w) => h("p", { class: "note" }, `${w.message} (${w.code})`)));
    go.disabled = isReadOnly();
  } catch (err) {
    if (mine !== checked || handleAuthError(err)) return;
    box.replaceChildren(h("p", { class: "error" }, `Could not check it: ${errorText(err)}`));
  }
}

async function fillTargets(appId, preferred) {
  const select = $("rollback-target");
  const list = await api("GET", appPath(appId, "/deployments?per_page=50"));
  const kept = (list.deployments || []).filter((d) => d.phase === "SUPERSEDED");
  select.replaceChildren(...kept.map((d, i) => h("option", { value: d.id },
    `${shortId(d.id)}${commitOf(d)} · ${d.cause || "deployment"} · ${timeAgo(d.created_at)}`
    + (i === 0 ? " (previous live)" : ""))));
  if (preferred && kept.some((d) => d.id === preferred)) select.value = preferred;
  return kept.length;
}

function setUp(appId) {
  const dialog = $("rollback-dialog");
  $("rollback-target").addEventListener("change", () => validate(appId));
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "go" || !onGo) return;
    const target = $("rollback-target").value;
    const pin = $("rollback-pin").checked;
    onGo(() => api("POST", appPath(appId, "/rollback"), { deployment_id: target, skip_pin: !pin }));
  });
  dialog.dataset.ready = "1";
}

export async function rollbackDialog(appId, preferred, go) {
  const dialog = $("rollback-dialog");
  if (!dialog.dataset.ready) setUp(appId);
  onGo = go;
  dialog.returnValue = "";
  $("rollback-check").replaceChildren(h("p", { class: "muted" }, "Loading the kept releases…"));
  $("rollback-go").disabled = true;
  dialog.showModal();
  try {
    if (await fillTargets(appId, preferred)) await validate(appId);
    else $("rollback-check").replaceChildren(h("p", { class: "error" },
      "No earlier deployment went live: there is nothing to roll back to."));
  } catch (err) {
    if (!handleAuthError(err)) {
      $("rollback-check").replaceChildren(h("p", { class: "error" }, `Could not list deployments: ${errorText(err)}`));
    }
  }
}
