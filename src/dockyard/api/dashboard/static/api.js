// The one way the dashboard talks to Dockyard: the /v2 JSON API with the user's token.
// The token lives in sessionStorage so it is gone when the tab closes and never reaches
// the server except as an Authorization header.

const TOKEN_KEY = "dockyard.token";
const READONLY_KEY = "dockyard.readonly";

export class ApiError extends Error {
  // DigitalOcean's error body: {id, message, request_id}; Dockyard adds errors[] for specs.
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.removeItem(READONLY_KEY);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(READONLY_KEY);
}

// Sign-in asks /v2/dockyard/whoami whether the token is read-only (a 403 later says the
// same); remember it for this tab so write buttons stay disabled on every page.
export function isReadOnly() {
  return sessionStorage.getItem(READONLY_KEY) === "1";
}

export function markReadOnly() {
  sessionStorage.setItem(READONLY_KEY, "1");
}

export function signinUrl(reason) {
  const next = encodeURIComponent(location.pathname);
  return `/dashboard/signin?next=${next}${reason ? `&reason=${reason}` : ""}`;
}

// Every data page starts here: without a token there is nothing to show.
export function requireToken() {
  if (!getToken()) {
    location.replace(signinUrl());
    return false;
  }
  return true;
}

export async function api(method, path, body, { token } = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token || getToken()}` };
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { message: `Cannot reach the Dockyard API (${err.message}). Is it running?` });
  }
  const text = await resp.text();
  let data = null;
  try {
    data = text.trim() ? JSON.parse(text) : {};
  } catch {
    data = { message: text.slice(0, 300) };
  }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

// A 401 while signed in means the token was revoked: go back to the sign-in page.
// A 403 means a read-only token tried to write. Returns true when the error was handled.
export function handleAuthError(err) {
  if (!(err instanceof ApiError)) return false;
  if (err.status === 401) {
    signOut();
    location.replace(signinUrl("expired"));
    return true;
  }
  if (err.status === 403) {
    markReadOnly();
    document.dispatchEvent(new CustomEvent("dockyard:readonly"));
  }
  return false;
}

export const appPath = (appId, rest = "") => `/v2/apps/${encodeURIComponent(appId)}${rest}`;
