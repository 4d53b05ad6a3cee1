// The console: GET …/components/{c}/exec gives a signed wss:// URL (60 s, single use); the
// websocket speaks doctl's protocol: {"op":"stdin","data"} and {"op":"resize","width",
// "height"} go out, {"data"} comes back, and the last message carries "exit_code".

import { api, appPath, handleAuthError, isReadOnly } from "./api.js";
import { appId, startAppPage } from "./shell.js";
import { Terminal } from "./terminal.js";
import { $, errorText, h } from "./ui.js";

const wanted = new URLSearchParams(location.search);
const term = new Terminal($("console-output"));
const state = { socket: null, history: [], back: 0, components: "" };

// The API names its configured address; the browser may have come by another name for the
// same server (localhost, a public host). Same host as this page: CSP's connect-src 'self'.
export function sameOriginSocket(url) {
  const u = new URL(url);
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${u.pathname}${u.search}`;
}

function setStatus(text, kind) {
  $("console-status").textContent = text;
  $("console-status").dataset.state = kind;
}

function setConnected(on) {
  for (const id of ["console-line", "console-send", "console-ctrl-c", "console-ctrl-d"]) $(id).disabled = !on;
  $("console-disconnect").hidden = !on;
  $("console-connect").hidden = on;
  $("console-connect").disabled = isReadOnly();
  if (on) $("console-line").focus();
}

function send(data) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify({ op: "stdin", data }));
  }
}

function resize() {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify({ op: "resize", ...term.size() }));
  }
}

function onMessage(event) {
  let msg;
  try {
    msg = JSON.parse(event.data);
  } catch {
    return;
  }
  if (msg.data) term.write(msg.data);
  if (msg.exit_code !== undefined && msg.exit_code !== null) {
    setStatus(`The session ended with exit status ${msg.exit_code}.`, msg.exit_code === 0 ? "done" : "error");
    $("console-status").dataset.exitCode = String(msg.exit_code);
  }
}

async function connect() {
  const component = $("console-component").value;
  const instance = $("console-instance").value;
  if (!component) return;
  $("console-connect").disabled = true;
  setStatus(`Opening a console in ${instance || component}…`, "busy");
  try {
    const query = instance ? `?instance_name=${encodeURIComponent(instance)}` : "";
    const { url } = await api("GET", appPath(appId, `/components/${encodeURIComponent(component)}/exec${query}`));
    const socket = new WebSocket(sameOriginSocket(url));
    state.socket = socket;
    term.clear();
    socket.addEventListener("open", () => {
      setStatus(`Connected to ${instance || component}: a shell in a sandbox of the live release.`, "live");
      setConnected(true);
      resize();
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", (event) => {
      if (state.socket !== socket) return;
      state.socket = null;
      setConnected(false);
      if ($("console-status").dataset.state === "live" || $("console-status").dataset.state === "busy") {
        setStatus(event.code === 1008 ? "The console refused the link (expired or used); connect again."
          : `Disconnected (code ${event.code}).`, "error");
      }
    });
  } catch (err) {
    if (handleAuthError(err)) return;
    setStatus(err.status === 403 ? "This token is read-only: it cannot open a console."
      : `Could not open a console: ${errorText(err)}`, "error");
    $("console-connect").disabled = isReadOnly();
  }
}

function disconnect() {
  if (state.socket) state.socket.close();
  setStatus("Disconnected.", "done");
}

function submitLine(event) {
  event.preventDefault();
  const input = $("console-line");
  const line = input.value;
  if (line.trim()) state.history.push(line);
  state.back = 0;
  input.value = "";
  send(`${line}\r`);
}

// Up and down walk the lines sent before, as a shell's history does.
function historyKeys(event) {
  const input = $("console-line");
  if (event.key === "c" && event.ctrlKey && input.selectionStart === input.selectionEnd) {
    event.preventDefault();
    send("\x03");
    return;
  }
  if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
  event.preventDefault();
  const n = state.history.length;
  state.back = Math.min(n, Math.max(0, state.back + (event.key === "ArrowUp" ? 1 : -1)));
  input.value = state.back ? state.history[n - state.back] : "";
}

async function fillInstances() {
  const select = $("console-instance");
  const component = $("console-component").value;
  const body = await api("GET", appPath(appId, "/instances"));
  const aliases = (body.instances || []).filter((i) => i.component_name === component).map((i) => i.instance_alias);
  select.replaceChildren(h("option", { value: "" }, "any"), ...aliases.map((a) => h("option", { value: a }, a)));
  if (aliases.includes(wanted.get("instance"))) select.value = wanted.get("instance");
}

// Consoles open in the live deployment's services, workers and jobs.
function render(app) {
  const live = app.active_deployment || {};
  const names = ["services", "workers", "jobs"].flatMap((kind) => (live[kind] || []).map((c) => c.name));
  if (names.join("\n") === state.components) return;
  state.components = names.join("\n");
  const select = $("console-component");
  select.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
  if (names.includes(wanted.get("component"))) select.value = wanted.get("component");
  if (!names.length) setStatus("Nothing is live: a console opens in the live release.", "idle");
  fillInstances().catch(() => {});
}

$("console-connect").addEventListener("click", connect);
$("console-disconnect").addEventListener("click", disconnect);
$("console-form").addEventListener("submit", submitLine);
$("console-line").addEventListener("keydown", historyKeys);
$("console-ctrl-c").addEventListener("click", () => send("\x03"));
$("console-ctrl-d").addEventListener("click", () => send("\x04"));
$("console-component").addEventListener("change", () => fillInstances().catch(() => {}));
window.addEventListener("resize", resize);
window.addEventListener("pagehide", () => { if (state.socket) state.socket.close(); });
startAppPage({ render });
