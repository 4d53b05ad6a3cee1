// Every page of one app shares this: read the app every 2 s, draw the header (name, what is
// live, what is deploying, the live URL), the pinned-rollback banner and the tabs' state, and
// run the app-wide actions (Deploy, Roll back, Cancel, Commit and Revert a rollback). A page
// adds its own panels with startAppPage({ load, render }).

import { api, ApiError, appPath, handleAuthError, isReadOnly, requireToken } from "./api.js";
import { rollbackDialog } from "./rollback.js";
import {
  $, applyReadOnly, clearFlash, errorText, every, flash, h, initChrome, phaseBadge, pointerPressed, shortId,
} from "./ui.js";

export const appId = $("app-root").dataset.appId;
const REFRESH_MS = 2000;
const BASE_TITLE = document.title; // "<tab> · Dockyard", from the server
const state = { app: null, page: null, loadFailed: false };

// Every button action: disable while it runs, report the API's own message on failure.
export async function act(button, what, work) {
  if (button) button.disabled = true;
  try {
    const message = await work();
    if (message) flash(message, "info");
    await refresh();
    return true;
  } catch (err) {
    if (handleAuthError(err)) return false;
    flash(err.status === 403 ? `${what}: this token is read-only, so it cannot change anything.`
      : `${what} failed: ${errorText(err)}`);
    return false;
  } finally {
    if (button && !isReadOnly()) button.disabled = false;
    drawHeader();
  }
}

function headPhase(app) {
  const parts = [];
  const live = app.active_deployment;
  const running = app.in_progress_deployment;
  parts.push(live ? phaseBadge(live.phase) : h("span", { class: "muted small" }, "nothing live"));
  if (running) {
    const p = running.progress || {};
    parts.push(" ", h("a", { href: `/dashboard/apps/${encodeURIComponent(appId)}`, class: "small",
      id: "head-deploying", dataset: { deployment: running.id } },
    phaseBadge(running.phase), ` ${shortId(running.id)} ${p.success_steps || 0}/${p.total_steps || 0}`));
  }
  return parts;
}

function drawPinned(app) {
  const pinned = app.pinned_deployment;
  $("pinned").hidden = !pinned;
  if (!pinned) return;
  const from = pinned.cloned_from ? ` (the release of ${shortId(pinned.cloned_from)})` : "";
  $("pinned-text").replaceChildren(
    h("strong", {}, "Pinned to a rollback. "),
    `Deployment ${shortId(pinned.id)}${from} is ${pinned.phase.replaceAll("_", " ").toLowerCase()}. `
    + "New deployments wait until you commit the rollback (keep it and unpin) or revert it "
    + "(deploy again what was live before).");
}

function drawHeader() {
  const app = state.app;
  if (!app) return;
  const name = (app.spec || {}).name || app.id;
  document.title = `${name} · ${BASE_TITLE}`;
  $("app-name").textContent = name;
  $("head-phase").replaceChildren(...headPhase(app));
  const link = $("live-url");
  link.hidden = !app.live_url;
  link.href = app.live_url || "#";
  link.textContent = app.live_url || "";
  $("cancel").hidden = !app.in_progress_deployment;
  drawPinned(app);
  const pinned = Boolean(app.pinned_deployment);
  for (const id of ["deploy", "rollback"]) {
    $(id).disabled = pinned || isReadOnly();
    $(id).title = pinned ? "Commit or revert the rollback first" : "";
  }
  applyReadOnly();
}

export function currentApp() {
  return state.app;
}

export async function refresh() {
  try {
    const one = await api("GET", appPath(appId));
    const extra = state.page.load ? await state.page.load(one.app) : null;
    state.app = one.app;
    if (state.loadFailed) clearFlash();
    state.loadFailed = false;
    if (pointerPressed()) return; // redraw on the next round, not under the user's click
    drawHeader();
    state.page.render(one.app, extra);
    applyReadOnly();
  } catch (err) {
    if (handleAuthError(err)) return;
    state.loadFailed = true;
    const gone = err instanceof ApiError && err.status === 404 && !state.app;
    flash(gone ? `This app does not exist (any more): ${errorText(err)}` : `Could not load the app: ${errorText(err)}`);
  }
}

function deploy() {
  return act($("deploy"), "Deploy", async () => {
    const body = await api("POST", appPath(appId, "/deployments"), { force_build: false });
    if (state.page.onDeployment) state.page.onDeployment(body.deployment);
    return `Deployment ${shortId(body.deployment.id)} started.`;
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

function commitRollback() {
  const pinned = state.app && state.app.pinned_deployment;
  if (!pinned || !window.confirm(`Commit the rollback? Deployment ${shortId(pinned.id)} stays live `
    + "and new deployments are accepted again.")) return;
  act($("rollback-commit"), "Commit rollback", async () => {
    await api("POST", appPath(appId, "/rollback/commit"));
    return `Rollback committed: ${shortId(pinned.id)} stays live, and the app is no longer pinned.`;
  });
}

function revertRollback() {
  if (!window.confirm("Revert the rollback? What was live before it is deployed again.")) return;
  act($("rollback-revert"), "Revert rollback", async () => {
    const body = await api("POST", appPath(appId, "/rollback/revert"));
    if (state.page.onDeployment) state.page.onDeployment(body.deployment);
    return `Reverting: deployment ${shortId(body.deployment.id)} deploys `
      + `${shortId(body.deployment.cloned_from)} again.`;
  });
}

// The rollback dialog, opened by the header's button (the previous live release) or a
// deployment row (that one).
export function openRollback(depId = "") {
  rollbackDialog(appId, depId, (body) => act(null, "Roll back", async () => {
    const dep = (await body()).deployment;
    if (state.page.onDeployment) state.page.onDeployment(dep);
    return `Rollback started: deployment ${shortId(dep.id)} redeploys ${shortId(dep.cloned_from)}.`;
  }));
}

export function startAppPage(page) {
  if (!requireToken()) return;
  state.page = page;
  initChrome();
  $("deploy").addEventListener("click", deploy);
  $("rollback").addEventListener("click", () => openRollback(""));
  $("cancel").addEventListener("click", cancel);
  $("rollback-commit").addEventListener("click", commitRollback);
  $("rollback-revert").addEventListener("click", revertRollback);
  every(page.refreshMs || REFRESH_MS, refresh);
}
