// An app's overview: status (with the health-check attempts of a deployment in progress),
// components, deployments a page at a time, and the log stream of the deployment that
// matters (the one selected, else the one in progress, else the active one).

import { api, appPath } from "./api.js";
import { renderHistory, renderStatus } from "./deployments.js";
import { LogFollower } from "./logs.js";
import { appId, openRollback, startAppPage } from "./shell.js";
import { components, renderComponents } from "./spec.js";
import { $, h, pager } from "./ui.js";

const PER_PAGE = 10;
const state = { app: null, deployments: [], total: 0, page: 1, selectedId: null, typePicked: false };
let logs = null;

// The log type that tells most about a deployment in its current phase.
function autoType(dep) {
  if (dep.phase === "PENDING_BUILD" || dep.phase === "BUILDING") return "BUILD";
  return dep.phase === "ACTIVE" ? "RUN" : "DEPLOY";
}

function logTarget() {
  const { app, deployments, selectedId } = state;
  if (selectedId) {
    return deployments.find((d) => d.id === selectedId) || { id: selectedId, phase: "" };
  }
  return app.in_progress_deployment || app.active_deployment || deployments[0] || null;
}

// A hidden tab drops its stream: browsers allow six connections per host over HTTP/1.1,
// and a few forgotten tabs following RUN logs would otherwise stall the API calls.
function followLogs() {
  const dep = logTarget();
  if (!dep || document.hidden) return;
  if (!state.typePicked && dep.phase) $("log-type").value = autoType(dep);
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

async function load() {
  const list = await api("GET", appPath(appId, `/deployments?page=${state.page}&per_page=${PER_PAGE}`));
  return list;
}

function render(app, list) {
  state.app = app;
  state.deployments = list.deployments || [];
  state.total = (list.meta || {}).total || state.deployments.length;
  const spec = app.spec || {};
  renderStatus($("status"), app, state.page === 1 ? state.deployments : []);
  renderComponents($("components"), spec);
  const target = logTarget();
  renderHistory($("deployments"), state.deployments,
    { selectedId: state.selectedId || (target && target.id), onLogs: selectLogs, onRollback: openRollback,
      pinned: Boolean(app.pinned_deployment) });
  pager($("deployments-pager"), { page: state.page, perPage: PER_PAGE, total: state.total, onPage: goTo });
  fillComponentSelect(spec);
  followLogs();
}

function goTo(n) {
  state.page = n;
  load().then((list) => render(state.app, list)).catch(() => {});
}

function selectLogs(depId) {
  state.selectedId = depId === state.selectedId ? null : depId;
  render(state.app, { deployments: state.deployments, meta: { total: state.total } });
}

function init() {
  logs = new LogFollower($("log-lines"), $("log-status"));
  $("log-type").addEventListener("change", () => { state.typePicked = true; followLogs(); });
  $("log-component").addEventListener("change", followLogs);
  window.addEventListener("pagehide", () => logs.stop());
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) logs.stop();
    else if (state.app) followLogs();
  });
  // A new deployment (Deploy, a rollback, a revert): show page 1 and follow its logs.
  const onDeployment = () => { state.selectedId = null; state.page = 1; };
  startAppPage({ load, render, onDeployment });
}

init();
