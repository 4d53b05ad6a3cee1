// Live logs: ask the API for a signed follow URL, then read it as Server-Sent Events
// (`&format=sse`: one message per line, an "end" event when the deployment is over) and
// append lines as they come. No token goes to the log URL: it is signed.

import { api, appPath, handleAuthError } from "./api.js";

const MAX_LINES = 5000;

// The API builds the URL from its configured address (https://127.0.0.1:PORT); the browser
// may have opened the dashboard as https://localhost:PORT. Same server either way, so keep
// only the path and query: the fetch stays same-origin and needs no CORS.
export function sameOrigin(url) {
  const u = new URL(url, location.href);
  return u.pathname + u.search;
}

export function logsPath({ appId, depId, type, component }) {
  // The panel keeps MAX_LINES anyway: ask only for that tail of a long RUN log.
  const query = `?type=${encodeURIComponent(type)}&follow=true&tail_lines=${MAX_LINES}`;
  const dep = `/deployments/${encodeURIComponent(depId)}`;
  return component
    ? appPath(appId, `${dep}/components/${encodeURIComponent(component)}/logs${query}`)
    : appPath(appId, `${dep}/logs${query}`);
}

export class LogFollower {
  constructor(pre, status) {
    this.pre = pre;
    this.status = status;
    this.key = null;
    this.ctrl = null;
    this.lines = 0;
  }

  // Start following, unless exactly this stream is already followed (the page calls this on
  // every refresh, so it must be cheap and idempotent).
  follow(target) {
    const key = JSON.stringify(target);
    if (key === this.key) return;
    this.stop();
    this.key = key;
    this.ctrl = new AbortController();
    this.pre.replaceChildren();
    this.lines = 0;
    this.run(target, this.ctrl).catch(() => {});
  }

  stop() {
    if (this.ctrl) this.ctrl.abort();
    this.ctrl = null;
    this.key = null;
  }

  async run(target, ctrl) {
    // target.path: another log endpoint of the same shape (a job invocation's).
    const label = target.label || (`${target.type.toLowerCase()} logs of ${target.depId.slice(0, 8)}`
      + (target.component ? ` (${target.component})` : ""));
    this.setStatus(`Connecting to ${label}…`, "busy");
    try {
      const urls = await api("GET", target.path || logsPath(target));
      if (ctrl.signal.aborted) return;
      this.setStatus(`Following ${label} live`, "live");
      await this.stream(`${sameOrigin(urls.live_url)}&format=sse`, ctrl);
      if (!ctrl.signal.aborted) {
        const why = target.type === "BUILD" ? " (a rollback reuses a built release)" : "";
        const over = target.path ? "it has ended" : "the deployment is over";
        this.setStatus(this.lines ? `End of ${label}: ${this.lines} lines; ${over}.`
          : `No ${label}: ${target.path ? "it wrote nothing" : `this deployment wrote none${why}`}.`, "done");
      }
    } catch (err) {
      if (ctrl.signal.aborted) return;
      handleAuthError(err);
      this.setStatus(`Log stream stopped: ${err.message}. It reconnects on the next refresh.`, "error");
      if (this.ctrl === ctrl) this.key = null; // let the next refresh try again
    }
  }

  // Server-Sent Events: one message per line, an "end" event when the log is complete.
  stream(url, ctrl) {
    return new Promise((resolve, reject) => {
      const source = new EventSource(url);
      let pending = [];
      const flush = () => { this.append(pending); pending = []; };
      const timer = setInterval(flush, 100);
      const close = () => { clearInterval(timer); flush(); source.close(); };
      ctrl.signal.addEventListener("abort", () => { close(); resolve(); });
      source.onmessage = (event) => pending.push(event.data);
      source.addEventListener("end", () => { close(); resolve(); });
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) {
          close();
          reject(new Error("the log stream closed"));
        }
      };
    });
  }

  append(lines) {
    if (!lines.length) return;
    const pre = this.pre;
    const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
    const chunk = document.createElement("span");
    chunk.dataset.lines = String(lines.length);
    chunk.textContent = `${lines.join("\n")}\n`;
    pre.append(chunk);
    this.lines += lines.length;
    let kept = this.lines;
    while (kept > MAX_LINES && pre.firstChild) {
      kept -= Number(pre.firstChild.dataset.lines || 0);
      pre.firstChild.remove();
    }
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  setStatus(text, state) {
    this.status.textContent = text;
    this.status.dataset.state = state;
  }
}
