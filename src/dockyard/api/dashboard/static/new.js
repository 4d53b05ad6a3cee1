// Create an app: paste a spec or upload the file, validate it with the API's propose (every
// error with its field path and line), then create it. Create always validates first, so an
// invalid spec is never sent to POST /v2/apps.

import { api, handleAuthError, isReadOnly, requireToken } from "./api.js";
import { issueList, notesList } from "./spec.js";
import { $, applyReadOnly, errorText, h, initChrome } from "./ui.js";

const MAX_BYTES = 256 * 1024;
const text = $("spec-text");
const result = $("spec-result");

function show(kind, ...children) {
  result.className = `spec-result spec-${kind}`;
  result.dataset.state = kind;
  result.replaceChildren(...children.filter(Boolean));
}

// Propose: {valid, name} when the spec can be created as it is.
async function validate() {
  if (!text.value.trim()) {
    show("error", h("p", { class: "error" }, "Paste a spec or upload a file first."));
    return null;
  }
  show("busy", h("p", {}, "Validating…"));
  try {
    const body = await api("POST", "/v2/apps/propose", { spec_yaml: text.value });
    const name = (body.spec || {}).name;
    if (!body.app_name_available) {
      show("error", h("p", { class: "error" }, `✗ An app named ${name} exists already. `
        + `Rename it in the spec (for example ${body.app_name_suggestion}).`));
      return null;
    }
    show("ok", h("p", { class: "ok" }, `✓ The spec is valid: app ${name}.`),
      notesList("Notes:", body.notes), notesList("Not deployable here:", body.undeployable));
    return { name };
  } catch (err) {
    if (handleAuthError(err)) return null;
    show("error", h("p", { class: "error" }, `✗ Not valid (HTTP ${err.status}):`), issueList(err.body));
    return null;
  }
}

async function create() {
  const button = $("new-create");
  button.disabled = true;
  try {
    const ok = await validate();
    if (!ok) return;
    show("busy", h("p", {}, `Creating ${ok.name}…`));
    const body = await api("POST", "/v2/apps", { spec_yaml: text.value });
    show("ok", h("p", { class: "ok" }, `✓ Created ${ok.name}; its first deployment has started.`));
    location.assign(`/dashboard/apps/${encodeURIComponent(body.app.id)}`);
  } catch (err) {
    if (handleAuthError(err)) return;
    const what = err.status === 403 ? "This token is read-only: it cannot create apps."
      : `✗ Not created (HTTP ${err.status}): ${errorText(err)}`;
    show("error", h("p", { class: "error" }, what), err.status === 403 ? null : issueList(err.body));
  } finally {
    button.disabled = isReadOnly();
  }
}

// The file is read in the browser and put in the editor, so it can be checked and edited
// before anything is sent.
function upload() {
  const file = $("spec-file").files[0];
  if (!file) return;
  if (file.size > MAX_BYTES) {
    show("error", h("p", { class: "error" }, `${file.name} is ${file.size} bytes; a spec is at most ${MAX_BYTES}.`));
    return;
  }
  file.text().then((content) => {
    text.value = content;
    validate();
  }, (err) => show("error", h("p", { class: "error" }, `Could not read ${file.name}: ${err.message}`)));
}

if (requireToken()) {
  initChrome();
  $("new-validate").addEventListener("click", validate);
  $("new-create").addEventListener("click", create);
  $("spec-file").addEventListener("change", upload);
  text.addEventListener("input", () => { if (result.dataset.state) show("note", h("p", {}, "Edited: validate again, or create (which validates first).")); });
  applyReadOnly();
  text.focus();
}
