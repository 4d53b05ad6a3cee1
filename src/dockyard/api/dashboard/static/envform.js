// The editor of one scope's env vars: a row per variable (key, type, value, when), add and
// remove, then Save. A SECRET's value is write-only: its field starts empty, and left empty
// it keeps the stored (encrypted) value, which the page sends back untouched and never shows.

import { isReadOnly } from "./api.js";
import { h } from "./ui.js";

const WHEN = [["RUN_AND_BUILD_TIME", "run and build time"], ["RUN_TIME", "run time"], ["BUILD_TIME", "build time"]];

function encrypted(env) {
  return Boolean(env) && (env.type === "SECRET" || /^EV\[/.test(String(env.value ?? "")));
}

function select(options, value, label) {
  const node = h("select", { "aria-label": label }, options.map(([v, text]) => h("option", { value: v }, text)));
  node.value = value;
  return node;
}

function placeholderFor(row) {
  if (row.type.value !== "SECRET") return "value";
  return encrypted(row.orig) && String(row.orig.value ?? "") !== "" ? "set · leave blank to keep" : "not set · type a value";
}

function makeRow(env, onRemove) {
  const orig = env || null;
  const secret = encrypted(orig);
  const row = {
    orig,
    key: h("input", { type: "text", value: orig ? orig.key : "", "aria-label": "Key", spellcheck: "false",
      autocapitalize: "off", class: "env-key", placeholder: "KEY" }),
    type: select([["GENERAL", "general"], ["SECRET", "secret"]], secret ? "SECRET" : "GENERAL", "Type"),
    value: h("input", { type: secret ? "password" : "text", "aria-label": "Value", spellcheck: "false",
      autocapitalize: "off", autocomplete: "new-password", class: "env-input",
      value: secret || !orig ? "" : String(orig.value ?? "") }),
    when: select(WHEN, (orig && orig.scope) || "RUN_AND_BUILD_TIME", "When"),
  };
  row.value.placeholder = placeholderFor(row);
  row.type.addEventListener("change", () => {
    row.value.type = row.type.value === "SECRET" ? "password" : "text";
    row.value.placeholder = placeholderFor(row);
  });
  row.node = h("div", { class: "env-edit-row", dataset: { key: orig ? orig.key : "" } },
    row.key, row.type, row.value, row.when,
    h("button", { class: "btn btn-small btn-ghost", type: "button", "aria-label": "Remove variable",
      title: "Remove", onclick: () => onRemove(row) }, "✕"));
  return row;
}

// The entry the API gets for a row; throws a message the form shows.
function entryOf(row) {
  const key = row.key.value.trim();
  const typed = row.value.value;
  const entry = { key };
  if (row.type.value === "SECRET") {
    const kept = encrypted(row.orig) ? String(row.orig.value ?? "") : "";
    entry.value = typed !== "" ? typed : kept;
    entry.type = "SECRET";
  } else {
    if (encrypted(row.orig) && typed === "") {
      throw new Error(`${key}: type a value to make it a general variable (a secret's value cannot be shown).`);
    }
    entry.value = typed;
    if (row.orig && row.orig.type) entry.type = "GENERAL";
  }
  if (row.when.value !== "RUN_AND_BUILD_TIME" || (row.orig && row.orig.scope)) entry.scope = row.when.value;
  return entry;
}

function entries(rows) {
  const out = rows.map(entryOf);
  const seen = new Set();
  for (const entry of out) {
    if (!entry.key) throw new Error("Every variable needs a key.");
    if (seen.has(entry.key)) throw new Error(`${entry.key} is there twice; a key appears once per scope.`);
    seen.add(entry.key);
  }
  return out;
}

export function envEditor({ label, envs, onCancel, onSave }) {
  const rows = [];
  const list = h("div", { class: "env-edit-rows" });
  const result = h("div", { class: "env-edit-result", "aria-live": "polite" });
  const save = h("button", { class: "btn btn-primary", type: "submit", "data-write": true, "data-env-save": "" },
    "Save & deploy");
  const remove = (row) => {
    rows.splice(rows.indexOf(row), 1);
    row.node.remove();
  };
  const add = (env) => {
    const row = makeRow(env, remove);
    rows.push(row);
    list.append(row.node);
    return row;
  };
  envs.forEach((env) => add(env));
  const form = h("form", { class: "env-edit", dataset: { editing: label } },
    h("div", { class: "env-edit-head muted small" }, h("span", {}, "Key"), h("span", {}, "Type"),
      h("span", {}, "Value"), h("span", {}, "When"), h("span", {})),
    list,
    h("div", { class: "actions" },
      h("button", { class: "btn", type: "button", "data-env-add": "", onclick: () => add(null).key.focus() },
        "Add variable"),
      save,
      h("button", { class: "btn btn-ghost", type: "button", onclick: onCancel }, "Cancel")),
    result);
  form.failed = (message, details) => {
    result.className = "env-edit-result spec-error";
    result.replaceChildren(h("p", { class: "error" }, message), details || "");
    save.disabled = isReadOnly();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let out;
    try {
      out = entries(rows);
    } catch (err) {
      form.failed(err.message);
      return;
    }
    save.disabled = true;
    result.className = "env-edit-result";
    result.replaceChildren(h("p", { class: "muted" }, "Saving…"));
    onSave(out, form);
  });
  return form;
}
