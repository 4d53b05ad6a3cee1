// Metrics: charts over time from GET /v2/apps/{id}/metrics/series, one line per component,
// with the moments deployments went live (and failed) drawn across every chart. Charts are
// uPlot (static/uplot.js, vendored from npm; see VENDORED.md), redrawn with setData so the
// page stays light while it polls.

import { api, appPath, handleAuthError } from "./api.js";
import { appId, startAppPage } from "./shell.js";
import uPlot from "./uplot.js";
import { $, errorText, h, shortId } from "./ui.js";

const POLL_MS = 5000;
const MIB = 1024 * 1024;
export const CHARTS = [
  { key: "requests_per_second", title: "Requests per second", unit: "req/s", services: true, adds: true },
  { key: "latency_p95_ms", title: "Latency, 95th percentile", unit: "ms", services: true },
  { key: "r5xx", title: "5xx responses", unit: "per interval", services: true, adds: true },
  { key: "cpu_percent", title: "CPU (% of the size's vCPUs)", unit: "%" },
  { key: "memory_bytes", title: "Memory", unit: "MiB", scale: 1 / MIB },
];
const COLORS = ["#0069ff", "#11a36a", "#e07b00", "#b5179e", "#0aa5b8", "#7a5af8", "#c0262d"];
const charts = new Map(); // metric key → { plot, names, box }
let moments = [];
let lastFetch = 0;
let xRange = [0, 1]; // the range asked for, in Unix seconds: the x axis spans all of it

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// One x axis for every component: the union of their bucket times, nulls where one has none.
export function align(components, chart) {
  const times = [...new Set(components.flatMap((c) => c.points.map((p) => p.t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const series = components.map((c) => {
    const ys = new Array(times.length).fill(null);
    for (const p of c.points) {
      const v = p[chart.key];
      if (v !== undefined && v !== null) ys[index.get(p.t)] = chart.scale ? v * chart.scale : v;
    }
    return ys;
  });
  return [times, ...series];
}

// Deployment moments as vertical lines: went live (solid) or ended without going live (dashed).
function drawMoments(u) {
  const { ctx } = u;
  const top = u.bbox.top;
  const height = u.bbox.height;
  ctx.save();
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  let labelEnd = -Infinity; // labels that would overlap the previous one are left out
  for (const m of [...moments].sort((a, b) => a.t - b.t)) {
    const x = Math.round(u.valToPos(m.t, "x", true));
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
    ctx.strokeStyle = m.live ? css("--ok") : css("--bad");
    ctx.fillStyle = ctx.strokeStyle;
    ctx.setLineDash(m.live ? [] : [4 * devicePixelRatio, 3 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    const label = shortId(m.id).slice(0, 4);
    if (x + 3 * devicePixelRatio > labelEnd) {
      ctx.fillText(label, x + 3 * devicePixelRatio, top + 12 * devicePixelRatio);
      labelEnd = x + ctx.measureText(label).width + 8 * devicePixelRatio;
    }
  }
  ctx.restore();
}

function options(chart, names, width) {
  const grid = { stroke: css("--line"), width: 1 };
  const axis = { stroke: css("--muted"), grid, ticks: grid };
  return {
    width, height: width < 500 ? 170 : 200,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true, range: () => xRange }, y: { range: (_u, min, max) => [0, Math.max(max || 0, chart.key === "cpu_percent" ? 10 : 1) * 1.1] } },
    axes: [axis, { ...axis, size: 50 }],
    series: [{}, ...names.map((name, i) => ({
      label: name, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false,
      // dots while the samples are few, so a lone sample between gaps still shows
      points: { show: (u, si) => u.data[si].filter((v) => v !== null).length < 90, size: 5 },
      value: (_u, v) => (v === null || v === undefined ? "–" : `${+v.toFixed(2)} ${chart.unit}`),
    }))],
    hooks: { draw: [drawMoments] },
  };
}

// For the caption and the page's data attributes: counts add up over components, levels
// (latency, CPU, memory) show the highest.
function summary(data, chart) {
  const values = data.slice(1).flat().filter((v) => v !== null);
  const lastAt = data[0].length - 1;
  const now = data.slice(1).map((ys) => ys[lastAt] ?? 0);
  const last = chart.adds ? now.reduce((a, b) => a + b, 0) : Math.max(0, ...now);
  return { points: values.length, max: values.length ? Math.max(...values) : 0, last };
}

function drawChart(chart, comps) {
  const names = comps.map((c) => c.name);
  const data = align(comps, chart);
  let entry = charts.get(chart.key);
  if (!entry) {
    const box = h("figure", { class: "chart", dataset: { metric: chart.key } },
      h("figcaption", {}, h("strong", {}, chart.title), " ", h("span", { class: "muted small chart-summary" })));
    $("charts").append(box);
    entry = { box, names: [], plot: null };
    charts.set(chart.key, entry);
  }
  if (entry.plot && entry.names.join("\n") === names.join("\n")) {
    entry.plot.setData(data);
  } else {
    if (entry.plot) entry.plot.destroy();
    entry.plot = new uPlot(options(chart, names, entry.box.clientWidth || 600), data, entry.box);
    entry.names = names;
  }
  const s = summary(data, chart);
  Object.assign(entry.box.dataset, { points: String(s.points), max: String(s.max), last: String(s.last) });
  entry.box.querySelector(".chart-summary").textContent = s.points
    ? `now ${+s.last.toFixed(2)} · highest ${+s.max.toFixed(2)} ${chart.unit}` : "no samples yet";
}

function drawAll(body) {
  const comps = body.components || [];
  const services = comps.filter((c) => c.points.some((p) => p.requests !== undefined));
  for (const chart of CHARTS) {
    const shown = chart.services ? services : comps;
    const entry = charts.get(chart.key);
    if (!shown.length) {
      if (entry) entry.box.hidden = true;
      continue;
    }
    if (entry) entry.box.hidden = false;
    drawChart(chart, shown);
  }
}

function setMoments(body) {
  moments = (body.deployments || []).map((d) => (d.t
    ? { id: d.id, t: d.t, live: true }
    : { id: d.id, t: Date.parse(d.created_at) / 1000, live: false }))
    .filter((m) => Number.isFinite(m.t));
  $("charts").dataset.moments = String(moments.length);
}

async function poll(force = false) {
  if (!force && Date.now() - lastFetch < POLL_MS - 100) return;
  lastFetch = Date.now();
  const range = $("metrics-range").value;
  try {
    const body = await api("GET", appPath(appId, `/metrics/series?since=${encodeURIComponent(range)}`));
    setMoments(body);
    xRange = [Date.parse(body.since) / 1000, Date.parse(body.until) / 1000];
    const count = (body.components || []).reduce((n, c) => n + c.points.length, 0);
    $("metrics-status").textContent = count
      ? `Every ${body.step} s, sampled every ${body.sample_seconds} s; lines across the charts: `
        + "deployments that went live (solid) or failed (dashed). Updated "
        + `${new Date().toLocaleTimeString()}.`
      : `No samples in this range yet: Dockyard samples every ${body.sample_seconds} s while instances run.`;
    drawAll(body);
  } catch (err) {
    if (!handleAuthError(err)) $("metrics-status").textContent = `Could not load metrics: ${errorText(err)}`;
  }
}

function resize() {
  for (const entry of charts.values()) {
    const width = entry.box.clientWidth;
    if (entry.plot && width && Math.abs(width - entry.plot.width) > 2) {
      entry.plot.setSize({ width, height: width < 500 ? 170 : 200 });
    }
  }
}

$("metrics-range").addEventListener("change", () => poll(true));
new ResizeObserver(resize).observe($("charts"));
startAppPage({ load: () => poll(), render: () => {} });
