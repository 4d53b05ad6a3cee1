// Env vars, app-level and per component. The view shows what the LIVE release runs with (the
// active deployment's spec), and marks what the app's spec says differently (a change that
// is deploying, or that failed to go live). Editing works on the app's spec: the new list
// goes to the API's spec/envs (the stored YAML, comments kept, with this scope's variables
// replaced), then through the normal app update, which validates, encrypts SECRET values and
// deploys. SECRET values are write-only: shown as set or not set, never their ciphertext.

import { api, appPath, handleAuthError } from "./api.js";
import { envEditor } from "./envform.js";
import { appId, refresh, startAppPage } from "./shell.js";
import { components, issueList } from "./spec.js";
import { $, cell, errorText, flash, h, phaseBadge, shortId } from "./ui.js";

const state = { liveId: null, liveSpec: null, editing: null, drawn: "" };

function isSecret(env) {
  return env.type === "SECRET" || /^EV\[/.test(String(env.value ?? ""));
}

function whenLabel(env) {
  return (env.scope || "RUN_AND_BUILD_TIME").replaceAll("_", " ").toLowerCase();
}

function scopeEnvs(spec, scope) {
  if (!spec) return [];
  if (scope === "") return spec.envs || [];
  const found = components(spec).find(({ comp }) => comp.name === scope);
  return (found && found.comp.envs) || [];
}

// "" (the app) and every component of either spec, in spec order.
function scopes(app) {
  const out = [{ name: "", label: "App", hint: "every component" }];
  const seen = new Set();
  for (const spec of [state.liveSpec, app.spec]) {
    for (const { kind, comp } of components(spec || {})) {
      if (seen.has(comp.name)) continue;
      seen.add(comp.name);
      out.push({ name: comp.name, label: `${kind} ${comp.name}`, hint: "overrides the app's" });
    }
  }
  return out;
}

function valueNode(env) {
  if (!isSecret(env)) return h("code", { class: "env-value" }, env.value ?? "");
  const set = String(env.value ?? "") !== "";
  return h("span", { class: `badge ${set ? "badge-ok" : "badge-muted"}`, "data-secret": set ? "set" : "unset",
    title: "SECRET: write-only, the value is never shown" }, set ? "secret · set" : "secret · not set");
}

function sameEnv(a, b) {
  return a && b && (a.value ?? "") === (b.value ?? "") && (a.type || "GENERAL") === (b.type || "GENERAL")
    && (a.scope || "") === (b.scope || "");
}

// What the app's spec says that the live release does not run with yet.
function pendingNote(live, wanted) {
  if (!wanted) return h("div", { class: "env-pending small" }, "removed in the app's spec (not live)");
  if (sameEnv(live, wanted)) return null;
  const what = isSecret(wanted) ? "a new secret value" : `“${wanted.value ?? ""}”`;
  return h("div", { class: "env-pending small" }, `the app's spec has ${what} (not live)`);
}

function envRows(app, scope) {
  const live = scopeEnvs(state.liveSpec || app.spec, scope);
  const wanted = scopeEnvs(app.spec, scope);
  const byKey = new Map(wanted.map((e) => [e.key, e]));
  const rows = live.map((env) => h("tr", { dataset: { key: env.key, scope } },
    cell("Key", h("code", {}, env.key)),
    cell("Value", valueNode(env), state.liveSpec && pendingNote(env, byKey.get(env.key))),
    cell("When", whenLabel(env))));
  const liveKeys = new Set(live.map((e) => e.key));
  for (const env of state.liveSpec ? wanted.filter((e) => !liveKeys.has(e.key)) : []) {
    rows.push(h("tr", { class: "pending", dataset: { key: env.key, scope } },
      cell("Key", h("code", {}, env.key)),
      cell("Value", h("div", { class: "env-pending small" }, "added in the app's spec (not live)")),
      cell("When", whenLabel(env))));
  }
  return rows.length ? rows : [h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No variables."))];
}

function scopeCard(app, scope) {
  const editing = state.editing && state.editing.scope === scope.name;
  return h("div", { class: "env-scope", dataset: { scope: scope.name } },
    h("div", { class: "card-head" },
      h("h3", {}, scope.label, " ", h("span", { class: "muted small" }, scope.hint)),
      !editing && h("button", { class: "btn btn-small", type: "button", "data-write": true,
        "data-edit": scope.name, onclick: () => startEdit(app, scope) }, "Edit")),
    editing ? state.editing.form
      : h("table", { class: "rtable" },
        h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "Value"), h("th", {}, "When"))),
        h("tbody", {}, envRows(app, scope.name))));
}

function notice(app) {
  const running = app.in_progress_deployment;
  const parts = [];
  if (running) {
    parts.push(h("p", { class: "note", id: "env-deploying" }, "Deployment ", h("code", {}, shortId(running.id)), " is ",
      phaseBadge(running.phase), ": the values below are still the live ones; they change when it goes live."));
  } else if (state.liveSpec && JSON.stringify(state.liveSpec) !== JSON.stringify(app.spec)) {
    parts.push(h("p", { class: "note" }, "The app's spec has changes that did not go live (a deployment that "
      + "failed or was canceled, or a rollback to an older release). The values below are the live ones; "
      + "edits start from the app's spec."));
  }
  if (!app.active_deployment) parts.push(h("p", { class: "muted" }, "Nothing is live yet: showing the app's spec."));
  return parts;
}

function startEdit(app, scope) {
  state.editing = { scope: scope.name, form: envEditor({
    label: scope.label,
    envs: scopeEnvs(app.spec, scope.name),
    onCancel: stopEdit,
    onSave: (entries, form) => save(app, scope, entries, form),
  }) };
  state.drawn = "";
  render(app);
  const first = state.editing.form.querySelector("input");
  if (first) first.focus();
}

function stopEdit() {
  state.editing = null;
  state.drawn = "";
  refresh();
}

// Two calls, both plain API: the YAML with this scope's variables, then the app update.
async function save(app, scope, entries, form) {
  const version = (app.dockyard || {}).spec_version;
  try {
    const edited = await api("POST", `/v2/dockyard/apps/${encodeURIComponent(appId)}/spec/envs`,
      { envs: { [scope.name]: entries }, spec_version: version });
    const body = await api("PUT", appPath(appId), { spec_yaml: edited.spec_yaml });
    const saved = body.app || {};
    const dep = saved.in_progress_deployment || saved.pending_deployment;
    flash(`Saved ${scope.name ? `${scope.label}'s` : "the app's"} variables as spec version ${(saved.dockyard || {}).spec_version}`
      + (dep ? `; deployment ${shortId(dep.id)} started. The values change here once it is live.` : "."), "info");
    stopEdit();
  } catch (err) {
    if (handleAuthError(err)) return;
    form.failed(err.status === 403 ? "This token is read-only: it cannot change variables."
      : `✗ Not saved (HTTP ${err.status}): ${errorText(err)}`, err.status === 422 ? issueList(err.body) : null);
  }
}

async function load(app) {
  const live = app.active_deployment;
  if (!live) {
    state.liveId = null;
    state.liveSpec = null;
  } else if (live.id !== state.liveId) {
    try {
      const body = await api("GET", appPath(appId, `/deployments/${encodeURIComponent(live.id)}`));
      state.liveSpec = body.deployment.spec || null;
      state.liveId = live.id;
    } catch (err) {
      if (!handleAuthError(err)) throw err;
    }
  }
  return null;
}

function render(app) {
  $("env-notice").replaceChildren(...notice(app));
  $("env-source").textContent = app.active_deployment ? `live deployment ${shortId(app.active_deployment.id)}` : "";
  if (state.editing && state.drawn) return; // never redraw under the user's typing
  const key = JSON.stringify([state.liveSpec, app.spec, state.editing && state.editing.scope]);
  if (key === state.drawn) return;
  state.drawn = key;
  $("env-scopes").replaceChildren(...scopes(app).map((scope) => scopeCard(app, scope)));
}

startAppPage({ load, render });
