// The apps list: one row per app with the phase of its active and in-progress deployments
// and its live URL, read again every 2 s.

import { api, handleAuthError, requireToken } from "./api.js";
import { $, cell, clearFlash, every, flash, h, initChrome, phaseBadge, pointerPressed, timeAgo } from "./ui.js";

const REFRESH_MS = 2000;

function statusCell(app) {
  const cell = h("div", { class: "phases" });
  const active = app.active_deployment;
  const running = app.in_progress_deployment;
  if (active) cell.append(phaseBadge(active.phase));
  if (running) {
    const p = running.progress || {};
    cell.append(phaseBadge(running.phase),
      h("span", { class: "muted small" }, ` ${p.success_steps || 0}/${p.total_steps || 0}`));
  }
  if (!active && !running) cell.append(h("span", { class: "muted" }, "no live deployment"));
  return cell;
}

function appRow(app) {
  const name = (app.spec && app.spec.name) || app.id;
  const url = app.live_url;
  return h("tr", { dataset: { app: name } },
    cell("Name", h("a", { class: "app-link", href: `/dashboard/apps/${encodeURIComponent(app.id)}` }, name)),
    cell("Status", statusCell(app)),
    cell("Live URL", url ? h("a", { href: url, target: "_blank", rel: "noopener" }, url) : "–"),
    cell("Last deployment", timeAgo(app.last_deployment_created_at)));
}

async function refresh() {
  try {
    const data = await api("GET", "/v2/apps?per_page=200");
    const apps = data.apps || [];
    apps.sort((a, b) => ((a.spec || {}).name || "").localeCompare((b.spec || {}).name || ""));
    if (pointerPressed()) return; // redraw on the next round, not under the user's click
    $("apps-body").replaceChildren(...apps.map(appRow));
    $("apps-empty").hidden = apps.length > 0;
    $("apps-table").hidden = apps.length === 0;
    $("refreshed").textContent = `updated ${new Date().toLocaleTimeString()}`;
    clearFlash();
  } catch (err) {
    if (!handleAuthError(err)) flash(`Could not load apps: ${err.message}`);
  }
}

if (requireToken()) {
  initChrome();
  every(REFRESH_MS, refresh);
}
