// Instances of the live deployment (GET …/instances) with their state (GET …/health) and their
// newest CPU, memory and restart figures (the metrics series of the last two minutes), and
// Restart: POST …/restart, a deployment of the live release through the health gate.

import { api, appPath } from "./api.js";
import { act, appId, startAppPage } from "./shell.js";
import { $, cell, h, shortId } from "./ui.js";

const STATE_CLASS = { RUNNING: "ok", STARTING: "busy", BACKOFF: "bad", FATAL: "bad", EXITED: "bad", STOPPED: "muted" };
let last = "";

async function load() {
  const [inst, health, series] = await Promise.all([
    api("GET", appPath(appId, "/instances")),
    api("GET", appPath(appId, "/health")),
    api("GET", appPath(appId, "/metrics/series?since=2m")),
  ]);
  const newest = {};
  for (const comp of series.components || []) {
    for (const one of comp.instances || []) newest[one.name] = one.points[one.points.length - 1] || {};
  }
  return { instances: inst.instances || [], components: (health.app_health || {}).components || [], newest };
}

function figure(value, unit, digits = 1) {
  return value === undefined || value === null ? "–" : `${Number(value).toFixed(digits)} ${unit}`;
}

function row(inst, comp, point) {
  const states = ((comp || {}).dockyard || {}).instances || [];
  const state = (states.find((s) => s.instance_alias === inst.instance_alias) || {}).state || "UNKNOWN";
  const consoleUrl = `/dashboard/apps/${encodeURIComponent(appId)}/console?component=`
    + `${encodeURIComponent(inst.component_name)}&instance=${encodeURIComponent(inst.instance_alias)}`;
  const runnable = inst.component_type !== "STATIC_SITE";
  return h("tr", { dataset: { instance: inst.instance_alias, state } },
    cell("Component", inst.component_name, h("span", { class: "muted small" }, ` ${(inst.component_type || "").toLowerCase()}`)),
    cell("Instance", h("code", {}, inst.instance_alias), h("div", { class: "muted small" }, inst.instance_name)),
    cell("State", h("span", { class: `badge badge-${STATE_CLASS[state] || "muted"}` }, state)),
    cell("CPU", figure(point.cpu_percent, "%")),
    cell("Memory", figure(point.memory_bytes && point.memory_bytes / 1048576, "MiB", 0),
      point.memory_percent !== undefined && h("span", { class: "muted small" }, ` (${figure(point.memory_percent, "%")})`)),
    cell("Restarts", point.restarts ?? "–"),
    h("td", { class: "row-actions" }, runnable && h("a", { class: "btn btn-small", href: consoleUrl, "data-write": true },
      "Console")));
}

function render(app, data) {
  const key = JSON.stringify(data);
  if (key === last) return;
  last = key;
  const byName = new Map(data.components.map((c) => [c.name, c]));
  $("instances").replaceChildren(...(data.instances.length
    ? data.instances.map((inst) => row(inst, byName.get(inst.component_name), data.newest[inst.instance_alias] || {}))
    : [h("tr", {}, h("td", { colspan: 7, class: "muted" },
      app.active_deployment ? "The live deployment has no instances (a static site is served by nginx)."
        : "Nothing is live: there are no instances."))]));
}

function restart() {
  if (!window.confirm("Restart the app? Every component gets new instances of the live release; "
    + "traffic moves to them once they pass the health check.")) return;
  act($("restart"), "Restart", async () => {
    const body = await api("POST", appPath(appId, "/restart"), {});
    last = "";
    return `Restart started: deployment ${shortId(body.deployment.id)}.`;
  });
}

$("restart").addEventListener("click", restart);
startAppPage({ load, render });
