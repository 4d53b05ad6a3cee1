// Sign in: the token is tried on GET /v2/apps before it is kept, so a wrong one is refused
// here with the API's own reason instead of failing later on every page.

import { api, ApiError, markReadOnly, saveToken } from "./api.js";
import { $ } from "./ui.js";

const REASONS = {
  expired: "The API refused the saved token (revoked or wrong). Sign in again.",
  signedout: "Signed out.",
};

function safeNext() {
  // Only paths of this dashboard: ?next= must never send the user to another site.
  const next = new URLSearchParams(location.search).get("next") || "";
  return /^\/dashboard\/[A-Za-z0-9/_.-]*$/.test(next) ? next : "/dashboard/";
}

function showError(message) {
  const box = $("signin-error");
  box.textContent = message;
  box.hidden = false;
}

async function submit(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  const button = $("signin-submit");
  if (!token) return showError("Paste an API token first.");
  button.disabled = true;
  $("signin-error").hidden = true;
  try {
    const who = await api("GET", "/v2/dockyard/whoami", undefined, { token });
    saveToken(token);
    if (who.read_only) markReadOnly();
    location.assign(safeNext());
  } catch (err) {
    const refused = err instanceof ApiError && (err.status === 401 || err.status === 403);
    showError(refused ? `Token refused: ${err.message}` : `Sign-in failed: ${err.message}`);
    $("token").select();
  } finally {
    button.disabled = false;
  }
}

function init() {
  const reason = new URLSearchParams(location.search).get("reason");
  if (REASONS[reason]) {
    const box = $("signin-error");
    box.textContent = REASONS[reason];
    box.classList.toggle("info", reason === "signedout");
    box.hidden = false;
  }
  $("signin-form").addEventListener("submit", submit);
  $("token").focus();
}

init();
