// The spec panel (YAML editor: Validate = propose, Save = PUT spec_yaml), the components
// table, and how spec errors and notes are shown (the create page uses them too).

import { api, appPath, handleAuthError } from "./api.js";
import { $, cell, h } from "./ui.js";

export const KINDS = [
  ["services", "service"], ["static_sites", "static site"], ["workers", "worker"],
  ["jobs", "job"], ["functions", "functions"],
];

export function components(spec) {
  const out = [];
  for (const [key, kind] of KINDS) {
    for (const comp of (spec || {})[key] || []) out.push({ kind, comp });
  }
  return out;
}

function routesOf(spec, comp) {
  const own = (comp.routes || []).map((r) => r.path);
  const ingress = (((spec.ingress || {}).rules) || [])
    .filter((r) => (r.component || {}).name === comp.name)
    .map((r) => (((r.match || {}).path || {}).prefix) || "/");
  const all = [...own, ...ingress];
  return all.length ? all.join(", ") : "–";
}

export function renderComponents(tbody, spec) {
  const rows = components(spec).map(({ kind, comp }) => h("tr", {},
    cell("Kind", kind),
    cell("Name", comp.name),
    cell("Instances", kind === "static site" ? "–" : String(comp.instance_count ?? 1)),
    cell("Routes", routesOf(spec, comp))));
  for (const db of spec.databases || []) {
    rows.push(h("tr", {}, cell("Kind", "database"),
      cell("Name", db.name), cell("Instances", "–"),
      cell("Routes", db.engine || "–")));
  }
  tbody.replaceChildren(...(rows.length ? rows
    : [h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No components."))]));
}

export function issueList(body) {
  const errors = body.errors || [];
  if (!errors.length) return h("pre", { class: "issues" }, body.message || "invalid spec");
  return h("ul", { class: "issues" }, errors.map((e) => h("li", {},
    h("code", {}, e.path || "spec"), e.line ? ` (line ${e.line})` : "", `: ${e.message}`)));
}

export function notesList(title, notes) {
  if (!notes || !notes.length) return null;
  return h("div", {}, h("p", { class: "muted small" }, title),
    h("ul", { class: "notes" }, notes.map((n) => h("li", {}, typeof n === "string" ? n : JSON.stringify(n)))));
}

// The editor keeps the user's edits: a refresh only replaces the text when nothing was typed.
export class SpecEditor {
  constructor(appId, onSaved) {
    this.appId = appId;
    this.onSaved = onSaved;
    this.text = $("spec-text");
    this.result = $("spec-result");
    this.version = null;
    this.serverYaml = "";
    this.text.addEventListener("input", () => { this.dirty = this.text.value !== this.serverYaml; });
    $("spec-validate").addEventListener("click", () => this.validate());
    $("spec-save").addEventListener("click", () => this.save());
    $("spec-reset").addEventListener("click", () => this.load(this.serverYaml, this.version, true));
  }

  update(app) {
    const d = app.dockyard || {};
    const yaml = d.spec_yaml || "";
    if (d.spec_version !== this.version || yaml !== this.serverYaml) this.load(yaml, d.spec_version, false);
  }

  load(yaml, version, force) {
    const changed = version !== this.version && this.version !== null;
    this.serverYaml = yaml;
    this.version = version;
    if (this.dirty && !force) {
      if (changed) this.show("note", h("p", {}, `The spec changed on the server (version ${version}). `
        + "Revert edits to load it."));
      return;
    }
    this.text.value = yaml;
    this.dirty = false;
  }

  show(kind, ...children) {
    this.result.className = `spec-result spec-${kind}`;
    this.result.replaceChildren(...children.filter(Boolean));
  }

  async validate() {
    this.show("busy", h("p", {}, "Validating…"));
    try {
      const body = await api("POST", "/v2/apps/propose", { spec_yaml: this.text.value, app_id: this.appId });
      const name = body.app_name_available ? null
        : h("p", { class: "error" }, `The name is taken by another app (try ${body.app_name_suggestion}).`);
      this.show("ok", h("p", { class: "ok" }, "✓ The spec is valid."), name,
        notesList("Notes:", body.notes), notesList("Not deployable here:", body.undeployable));
    } catch (err) {
      if (handleAuthError(err)) return;
      this.show("error", h("p", { class: "error" }, `✗ Not valid (HTTP ${err.status}):`), issueList(err.body));
    }
  }

  async save() {
    this.show("busy", h("p", {}, "Saving…"));
    try {
      const body = await api("PUT", appPath(this.appId), { spec_yaml: this.text.value });
      const app = body.app || {};
      this.dirty = false;
      this.load((app.dockyard || {}).spec_yaml || this.text.value, (app.dockyard || {}).spec_version, true);
      this.show("ok", h("p", { class: "ok" }, `✓ Saved as spec version ${this.version}; a deployment started.`),
        notesList("Notes:", (app.dockyard || {}).notes));
      this.onSaved();
    } catch (err) {
      if (handleAuthError(err)) return;
      const what = err.status === 403 ? "This token is read-only: it cannot save." : `✗ Not saved (HTTP ${err.status}):`;
      this.show("error", h("p", { class: "error" }, what), err.status === 403 ? null : issueList(err.body));
    }
  }
}
