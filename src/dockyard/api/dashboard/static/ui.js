// Small DOM and formatting helpers shared by the pages. Everything from the API goes into
// the page as text nodes (never innerHTML), so an app name or log line cannot inject markup.

import { isReadOnly, signOut } from "./api.js";

export const TERMINAL = new Set(["ACTIVE", "SUPERSEDED", "ERROR", "CANCELED"]);
const PHASE_CLASS = {
  ACTIVE: "ok", SUPERSEDED: "muted", ERROR: "bad", CANCELED: "muted",
  PENDING_BUILD: "busy", BUILDING: "busy", PENDING_DEPLOY: "busy", DEPLOYING: "busy",
};

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A table cell that the phone layout labels with its column name (CSS reads data-label).
export function cell(label, ...children) {
  return h("td", { "data-label": label }, h("div", { class: "cell" }, ...children));
}

export function $(id) {
  return document.getElementById(id);
}

export function phaseBadge(phase) {
  const p = phase || "UNKNOWN";
  return h("span", { class: `badge badge-${PHASE_CLASS[p] || "muted"}`, "data-phase": p },
    p.replaceAll("_", " "));
}

export function flash(message, kind = "error") {
  const box = $("flash");
  if (!box) return;
  box.replaceChildren(h("span", {}, message),
    h("button", { class: "btn btn-small btn-ghost", type: "button", "aria-label": "Dismiss",
      onclick: () => { box.hidden = true; } }, "×"));
  box.className = `flash flash-${kind}`;
  box.hidden = false;
}

export function clearFlash() {
  const box = $("flash");
  if (box) box.hidden = true;
}

export function parseTime(value) {
  const t = Date.parse(value || "");
  return Number.isNaN(t) || t <= 0 ? null : t;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || ms < 0) return "–";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// Created → updated for a finished deployment, created → now while it still runs.
export function deploymentDuration(dep) {
  const start = parseTime(dep.created_at);
  const end = TERMINAL.has(dep.phase) ? parseTime(dep.updated_at) : Date.now();
  return start && end ? formatDuration(end - start) : "–";
}

export function timeAgo(value) {
  const t = parseTime(value);
  if (!t) return "–";
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

export function shortId(id) {
  return (id || "").slice(0, 8);
}

// Write buttons carry data-write; a read-only token disables them with a visible reason.
export function applyReadOnly() {
  if (!isReadOnly()) return;
  const badge = $("readonly-badge");
  if (badge) badge.hidden = false;
  for (const control of document.querySelectorAll("[data-write]")) {
    control.title = "This token is read-only";
    if (control.tagName === "A") {
      control.setAttribute("aria-disabled", "true");
      control.classList.add("disabled");
      control.removeAttribute("href");
    } else {
      control.disabled = true;
    }
  }
}

// An API error as the user should read it: DigitalOcean's message, then its code (or id).
export function errorText(err) {
  const body = (err && err.body) || {};
  const tag = body.code || body.id;
  const plain = !tag || ["bad_request", "dockyard.error"].includes(tag);
  return `${err.message}${plain ? "" : ` (${tag})`}`;
}

// Previous / next buttons for a DigitalOcean list (links.pages, meta.total).
export function pager(box, { page, perPage, total, onPage }) {
  const last = Math.max(1, Math.ceil((total || 0) / perPage));
  if (last <= 1) {
    box.replaceChildren();
    return;
  }
  const go = (n) => () => onPage(Math.min(Math.max(1, n), last));
  box.replaceChildren(
    h("button", { class: "btn btn-small", type: "button", disabled: page <= 1, "data-page": "prev",
      onclick: go(page - 1) }, "‹ Newer"),
    h("span", { class: "muted small" }, `page ${page} of ${last} · ${total} in all`),
    h("button", { class: "btn btn-small", type: "button", disabled: page >= last, "data-page": "next",
      onclick: go(page + 1) }, "Older ›"));
}

export function initChrome() {
  const out = $("signout");
  if (out) {
    out.addEventListener("click", () => {
      signOut();
      location.assign("/dashboard/signin?reason=signedout");
    });
  }
  document.addEventListener("dockyard:readonly", applyReadOnly);
  applyReadOnly();
}

// Redrawing replaces nodes; a click whose mousedown hit a node that was replaced before the
// mouseup is lost. Pages skip a redraw while a pointer is pressed.
let pressed = false;
for (const [type, value] of [["pointerdown", true], ["pointerup", false], ["pointercancel", false]]) {
  document.addEventListener(type, () => { pressed = value; }, true);
}
export function pointerPressed() {
  return pressed;
}

// Poll without overlapping: the next round starts only after the previous one finished,
// so a slow API never piles up requests.
export function every(ms, fn) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    try {
      await fn();
    } finally {
      if (!stopped) timer = setTimeout(tick, ms);
    }
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
