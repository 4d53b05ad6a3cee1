// One app: read the app and its deployments every 2 s, redraw each panel, keep the log
// stream on the deployment that matters (the one selected, else the one in progress, else
// the active one) and run the Deploy / Roll back / Cancel actions.

import { api, ApiError, appPath, handleAuthError, isReadOnly, requireToken } from "./api.js";
import { renderHistory, renderStatus } from "./deployments.js";
import { LogFollower } from "./logs.js";
import { components, renderComponents, renderEnvs, SpecEditor } from "./spec.js";
import { $, applyReadOnly, clearFlash, every, flash, h, initChrome, pointerPressed, shortId } from "./ui.js";

const REFRESH_MS = 2000;
const appId = $("app-root").dataset.appId;
const state = { app: null, deployments: [], selectedId: null, typePicked: false, loadFailed: false };
let logs = null;
let editor = null;

// The log type that tells most about a deployment in its current phase.
function autoType(dep) {
  if (dep.phase === "PENDING_BUILD" || dep.phase === "BUILDING") return "BUILD";
  return dep.phase === "ACTIVE" ? "RUN" : "DEPLOY";
}

function logTarget() {
  const { app, deployments, selectedId } = state;
  if (selectedId) return deployments.find((d) => d.id === selectedId) || null;
  return app.in_progress_deployment || app.active_deployment || deployments[0] || null;
}

// A hidden tab drops its stream: browsers allow six connections per host over HTTP/1.1,
// and a few forgotten tabs following RUN logs would otherwise stall the API calls.
function followLogs() {
  const dep = logTarget();
  if (!dep || document.hidden) return;
  if (!state.typePicked) $("log-type").value = autoType(dep);
  logs.follow({ appId, depId: dep.id, type: $("log-type").value, component: $("log-component").value });
}

function fillComponentSelect(spec) {
  const select = $("log-component");
  const names = components(spec).map(({ comp }) => comp.name);
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join("\n") === names.join("\n")) return;
  const current = select.value;
  select.replaceChildren(h("option", { value: "" }, "all"), ...names.map((n) => h("option", { value: n }, n)));
  select.value = names.includes(current) ? current : "";
}

function renderHeader(app) {
  const name = (app.spec || {}).name || app.id;
  document.title = `${name} · Dockyard`;
  $("app-name").textContent = name;
  const link = $("live-url");
  link.hidden = !app.live_url;
  link.href = app.live_url || "#";
  link.textContent = app.live_url || "";
  $("cancel").hidden = !app.in_progress_deployment;
}

function render() {
  const { app, deployments } = state;
  const spec = app.spec || {};
  renderHeader(app);
  renderStatus($("status"), app, deployments);
  renderComponents($("components"), spec);
  const target = logTarget();
  renderHistory($("deployments"), deployments,
    { selectedId: state.selectedId || (target && target.id), onLogs: selectLogs, onRollback: rollbackTo });
  renderEnvs($("envs"), spec);
  editor.update(app);
  fillComponentSelect(spec);
  followLogs();
  applyReadOnly();
}

async function refresh() {
  try {
    const [one, list] = await Promise.all([
      api("GET", appPath(appId)),
      api("GET", appPath(appId, "/deployments?per_page=30")),
    ]);
    state.app = one.app;
    state.deployments = list.deployments || [];
    if (state.loadFailed) clearFlash();
    state.loadFailed = false;
    if (!pointerPressed()) render();
  } catch (err) {
    if (handleAuthError(err)) return;
    state.loadFailed = true;
    const gone = err instanceof ApiError && err.status === 404;
    flash(gone ? `This app does not exist (any more): ${err.message}` : `Could not load the app: ${err.message}`);
  }
}

function selectLogs(depId) {
  state.selectedId = depId === state.selectedId ? null : depId;
  render();
}

// Every button action: disable while it runs, report the API's own message on failure.
async function act(button, what, work) {
  if (button) button.disabled = true;
  try {
    const message = await work();
    flash(message, "info");
    state.selectedId = null; // follow the new deployment's logs
    await refresh();
  } catch (err) {
    if (handleAuthError(err)) return;
    flash(err.status === 403 ? `${what}: this token is read-only, so it cannot change anything.`
      : `${what} failed: ${err.message}`);
  } finally {
    if (button && !isReadOnly()) button.disabled = false;
    applyReadOnly();
  }
}

function deploy() {
  return act($("deploy"), "Deploy", async () => {
    const body = await api("POST", appPath(appId, "/deployments"), { force_build: false });
    return `Deployment ${shortId(body.deployment.id)} started.`;
  });
}

function rollbackTo(depId) {
  const what = depId ? `deployment ${shortId(depId)}` : "the previous live deployment";
  if (!window.confirm(`Roll back to ${what}? Its kept release is deployed again, without a rebuild.`)) return;
  act(depId ? null : $("rollback"), "Roll back", async () => {
    const body = await api("POST", appPath(appId, "/rollback"), { deployment_id: depId || "", skip_pin: true });
    return `Rollback started: deployment ${shortId(body.deployment.id)} `
      + `redeploys ${shortId(body.deployment.cloned_from)}.`;
  });
}

function cancel() {
  const dep = state.app && state.app.in_progress_deployment;
  if (!dep || !window.confirm(`Cancel deployment ${shortId(dep.id)}? The live release keeps serving.`)) return;
  act($("cancel"), "Cancel", async () => {
    const body = await api("POST", appPath(appId, `/deployments/${encodeURIComponent(dep.id)}/cancel`));
    const phase = body.deployment.phase;
    return phase === "CANCELED" ? `Deployment ${shortId(dep.id)} canceled; the live release keeps serving.`
      : `Deployment ${shortId(dep.id)} could not be canceled: it is already ${phase}.`;
  });
}

function init() {
  initChrome();
  logs = new LogFollower($("log-lines"), $("log-status"));
  editor = new SpecEditor(appId, refresh);
  $("deploy").addEventListener("click", deploy);
  $("rollback").addEventListener("click", () => rollbackTo(""));
  $("cancel").addEventListener("click", cancel);
  $("log-type").addEventListener("change", () => { state.typePicked = true; followLogs(); });
  $("log-component").addEventListener("change", followLogs);
  window.addEventListener("pagehide", () => logs.stop());
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) logs.stop();
    else if (state.app) followLogs();
  });
  every(REFRESH_MS, refresh);
}

if (requireToken()) init();
