// charts.js: an app's page (#/app/NAME) and the trace list's scatter plot
// (traceScatter). An app's page shows its status, its requests (the
// roots of its traces), failures and latency over time as charts, then its
// functions, error groups and slow spans; with ?name= the same charts for
// one of its functions. Dragging across a chart zooms all of them to that
// range (since= and until= in the fragment, so the zoom is a link and Back
// undoes it). The charts are uPlot's (uPlot.iife.min.js, vendored from npm:
// docs/receiver.md says why), drawn from GET /v1/series.

import { call } from "./api.js";
import { go } from "./app.js";
import { SINCE, badge, field, fmtDuration, h, replace, select, timeEl, verdictBadge } from "./dom.js";

// isAbsolute reports whether a since= or until= value is a time rather
// than a duration back from now.
const isAbsolute = (v) => /^\d{4}-/.test(v);

export async function appView(root, ctx) {
  const app = ctx.arg;
  const q = ctx.query;
  const f = { name: q.get("name") || "", since: q.get("since") || "1h", until: q.get("until") || "" };
  const [series, dash, status, errs, slow] = await Promise.allSettled([
    call("series", { query: { app, name: f.name, since: f.since, until: f.until } }),
    call("dashboard", { query: { since: f.since } }),
    call("status", { query: { since: f.since } }),
    call("errors", { query: { since: f.since } }),
    call("slow", { query: { since: f.since } }),
  ]);
  if (!ctx.current()) return;
  if (series.status === "rejected") throw series.reason;
  const s = series.value;

  const nav = (changes) => go("app/" + encodeURIComponent(app), { ...f, ...changes });
  const zoomed = isAbsolute(f.since) || f.until !== "";
  const sel = select(SINCE, zoomed ? "" : f.since, {});
  if (zoomed) sel.prepend(h("option", { value: "", selected: true }, "zoomed in"));
  sel.addEventListener("change", () => sel.value && nav({ since: sel.value, until: "" }));

  const charts = h("div", { class: "charts" });
  replace(
    root,
    h("h1", {}, f.name ? h("span", {}, h("a", { href: "#/app/" + encodeURIComponent(app) }, app), " · ", f.name) : app),
    appStatusLine(status, app),
    h("div", { class: "controls" },
      field("Window", sel),
      zoomed ? h("button", { type: "button", class: "quiet", onclick: () => nav({ since: "1h", until: "" }) }, "Reset zoom") : null,
      h("span", { class: "dim" }, `a point per ${fmtStep(s.step_ns)} · drag across a chart to zoom`)),
    charts,
    pointsTable(s),
    f.name ? null : functionsTable(dash, app, f),
    f.name ? null : groupsTable(errs, app),
    f.name ? null : slowTable(slow, app),
  );
  drawCharts(charts, s, f.name ? "Calls" : "Requests", (from, to) =>
    nav({ since: new Date(from * 1000).toISOString(), until: new Date(to * 1000).toISOString() }));
}

// chartData turns a series into uPlot's columns: times in seconds, then
// calls, failed, the failure rate in percent and p50, p95, p99 in ms (null
// where a step has no call: a gap, not a zero).
function chartData(s) {
  const pts = s.points || [];
  const col = (fn) => pts.map(fn);
  const ms = (v, p) => (p.calls > 0 && v > 0 ? v / 1e6 : null);
  return {
    t: col((p) => Date.parse(p.t) / 1000),
    calls: col((p) => p.calls),
    failed: col((p) => p.failed),
    rate: col((p) => (p.calls > 0 ? (100 * p.failed) / p.calls : null)),
    p50: col((p) => ms(p.p50_ns, p)),
    p95: col((p) => ms(p.p95_ns, p)),
    p99: col((p) => ms(p.p99_ns, p)),
  };
}

// drawCharts draws the three charts into el once it is in the page (uPlot
// needs a width); onZoom gets the range a drag selected, in seconds.
function drawCharts(el, s, what, onZoom) {
  const d = chartData(s);
  const width = Math.max(320, Math.min(el.clientWidth || 900, 1200));
  const zoom = (u) => {
    if (u.select.width < 4) return;
    const from = u.posToVal(u.select.left, "x");
    const to = u.posToVal(u.select.left + u.select.width, "x");
    onZoom(from, to);
  };
  const base = (title, ylabel) => ({
    title,
    width,
    height: 200,
    cursor: { drag: { x: true, y: false, setScale: false } },
    hooks: { setSelect: [zoom] },
    scales: { x: { time: true } },
    axes: [{}, { label: ylabel, size: 60 }],
  });
  const bars = window.uPlot.paths.bars({ size: [0.8, 24] });
  const specs = [
    [`${what} per ${fmtStep(s.step_ns)}`, "calls", [d.calls, d.failed],
      [{ label: what, stroke: "#2b6cb0", fill: "rgba(43,108,176,0.35)", paths: bars },
        { label: "Failed", stroke: "#c53030", fill: "rgba(197,48,48,0.6)", paths: bars }]],
    ["Failure rate", "%", [d.rate], [{ label: "Failed %", stroke: "#c53030", spanGaps: false }]],
    ["Latency", "ms", [d.p50, d.p95, d.p99],
      [{ label: "p50", stroke: "#38a169" }, { label: "p95", stroke: "#d69e2e" }, { label: "p99", stroke: "#c53030" }]],
  ];
  for (const [title, ylabel, cols, series] of specs) {
    const box = h("figure", { class: "chart", "aria-label": title });
    el.append(box);
    const opts = base(title, ylabel);
    // Points show on the lines: a step with calls between empty ones is a
    // point, not a line.
    opts.series = [{}, ...series.map((x) => ({ width: 1.5, points: { show: !x.paths, size: 5 }, ...x }))];
    const chart = new window.uPlot(opts, [d.t, ...cols], box);
    box.chart = chart; // for the browser tests
  }
}

// fmtStep words a step: "minute", "5 minutes", "hour", "6 hours", "day".
function fmtStep(ns) {
  const min = Math.round(ns / 60e9);
  if (min % 1440 === 0) return min === 1440 ? "day" : `${min / 1440} days`;
  if (min % 60 === 0) return min === 60 ? "hour" : `${min / 60} hours`;
  return min === 1 ? "minute" : `${min} minutes`;
}

// pointsTable is the series as numbers, for reading and for screen readers.
function pointsTable(s) {
  const pts = (s.points || []).filter((p) => p.calls > 0);
  return h("details", { class: "points" },
    h("summary", {}, `Points with calls: ${pts.length} of ${(s.points || []).length}`),
    h("div", { class: "scroll" }, h("table", { class: "grid series-points" },
      h("thead", {}, h("tr", {},
        ["Time", "Calls", "Failed", "p50", "p95", "p99", "Max"].map((c, i) => h("th", { scope: "col", class: i ? "num" : "" }, c)))),
      h("tbody", {}, pts.map((p) => h("tr", {},
        h("td", {}, timeEl(p.t)),
        h("td", { class: "num" }, p.calls),
        h("td", { class: "num" + (p.failed ? " bad" : "") }, p.failed),
        h("td", { class: "num" }, fmtDuration(p.p50_ns)),
        h("td", { class: "num" }, fmtDuration(p.p95_ns)),
        h("td", { class: "num" }, fmtDuration(p.p99_ns)),
        h("td", { class: "num" }, fmtDuration(p.max_ns))))))));
}

// appStatusLine is the app's OK / WARN / ALERT with the reason.
function appStatusLine(res, app) {
  if (res.status === "rejected") return null;
  const a = (res.value.apps || []).find((x) => x.app === app);
  if (!a) return h("p", { class: "dim" }, "No status for this app in this window.");
  return h("p", { class: "app-status-line" }, badge(a.status.toLowerCase(), a.status), " ", a.reason);
}

// section is a heading and a table, or a line saying there is nothing.
function section(title, rows, empty, head, row) {
  return h("section", { class: "app-section", "aria-label": title },
    h("h2", {}, title),
    rows.length === 0 ? h("p", { class: "dim" }, empty) : h("div", { class: "scroll" }, h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, head.map((c, i) => h("th", { scope: "col", class: i ? "num" : "" }, c)))),
      h("tbody", {}, rows.map(row)))));
}

// functionsTable lists the app's span names, most failures first, each a
// link to its own charts.
function functionsTable(res, app, f) {
  const rows = res.status === "fulfilled" ? (res.value.rows || []).filter((r) => r.app === app) : [];
  rows.sort((a, b) => b.failed - a.failed || b.count - a.count);
  return section("Functions", rows, "No finished spans of this app in this window.",
    ["Name", "Calls", "Failed", "p95", "Verdict"],
    (r) => h("tr", { class: r.failed > 0 ? "row-fail" : "", dataset: { name: r.name } },
      h("td", {}, h("a", { href: "#/app/" + encodeURIComponent(app) + "?" + new URLSearchParams({ name: r.name, since: f.since }) }, r.name),
        h("div", { class: "loc" }, r.location)),
      h("td", { class: "num" }, r.count),
      h("td", { class: "num" + (r.failed ? " bad" : "") }, r.failed),
      h("td", { class: "num" }, fmtDuration(r.p95_ns)),
      h("td", {}, verdictBadge(r.verdict))));
}

// groupsTable lists the app's error groups seen in the window.
function groupsTable(res, app) {
  const list = res.status === "fulfilled" ? (res.value.errors || []).filter((g) => g.app === app) : [];
  list.sort((a, b) => b.count - a.count);
  return section("Error groups", list, "No errors in this window.",
    ["Error", "Count", "Last seen", "Last trace"],
    (g) => h("tr", { dataset: { fingerprint: g.fingerprint } },
      h("td", {}, h("strong", {}, g.type), " ", h("span", { class: "err-text" }, g.message), h("div", { class: "loc" }, g.name)),
      h("td", { class: "num" }, g.count),
      h("td", { class: "num" }, timeEl(g.last_seen)),
      h("td", { class: "num" }, h("a", { href: `#/trace/${g.last_trace_id}`, class: "mono" }, g.last_trace_id.slice(0, 8) + "…"))));
}

// slowTable lists the app's ten span names of the most impact.
function slowTable(res, app) {
  const list = res.status === "fulfilled" ? (res.value.spans || []).filter((s) => s.app === app) : [];
  list.sort((a, b) => b.impact - a.impact);
  return section("Slowest by impact", list.slice(0, 10), "No finished spans in this window.",
    ["Name", "Calls", "p95", "p99", "Max"],
    (s) => h("tr", { dataset: { name: s.name } },
      h("td", {}, s.name),
      h("td", { class: "num" }, s.count),
      h("td", { class: "num" }, fmtDuration(s.p95_ns)),
      h("td", { class: "num" }, fmtDuration(s.p99_ns)),
      h("td", { class: "num" }, fmtDuration(s.max_ns))));
}

// traceScatter draws a trace list as dots, each trace at its start and
// duration (a log scale: durations span orders of magnitude), the failed
// ones red, into el once it is in the page; a click on a dot opens its
// trace with onOpen(id). It returns a function that redraws it with more
// traces (the list's next pages).
export function traceScatter(el, traces, onOpen) {
  let list = [];
  let chart = null;
  const draw = () => {
    const sorted = [...list].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const t = sorted.map((x) => Date.parse(x.start) / 1000);
    const ms = (x) => Math.max(x.duration_ns, 1e3) / 1e6; // 1µs at least: the log scale has no 0
    const ok = sorted.map((x) => (x.status === "failed" ? null : ms(x)));
    const bad = sorted.map((x) => (x.status === "failed" ? ms(x) : null));
    if (chart) {
      chart.setData([t, ok, bad]);
    } else {
      const dots = (stroke, fill) => ({ stroke, fill, paths: () => null, points: { show: true, size: 7, stroke, fill } });
      chart = new window.uPlot({
        width: Math.max(320, Math.min(el.clientWidth || 900, 1200)),
        height: 180,
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        // A little room either side, so that the first and last dots are
        // not cut by the plot's edge.
        scales: { x: { time: true, range: (u, min, max) => [min - (max - min) * 0.03 - 1, max + (max - min) * 0.03 + 1] }, y: { distr: 3 } },
        axes: [{}, { label: "ms", size: 60 }],
        legend: { show: false },
        series: [{}, { label: "Succeeded", ...dots("#2b6cb0", "rgba(43,108,176,0.5)") },
          { label: "Failed", ...dots("#c53030", "rgba(197,48,48,0.8)") }],
      }, [t, ok, bad], el);
      el.chart = chart; // for the browser tests
      chart.over.addEventListener("click", (e) => {
        const id = nearest(chart, sorted, e.offsetX, e.offsetY);
        if (id) onOpen(id);
      });
    }
    el.sorted = sorted;
  };
  // nearest is the trace whose dot is within 8 pixels of (x, y) in the
  // plot's area, the closest of them.
  const nearest = (u, sorted, x, y) => {
    let best = null;
    let bestD = 64;
    const data = u.data;
    for (let i = 0; i < sorted.length; i++) {
      const v = data[1][i] ?? data[2][i];
      if (v == null) continue;
      const dx = u.valToPos(data[0][i], "x") - x;
      const dy = u.valToPos(v, "y") - y;
      const d = dx * dx + dy * dy;
      if (d < bestD) {
        bestD = d;
        best = sorted[i].trace_id;
      }
    }
    return best;
  };
  const add = (more) => {
    list = list.concat(more);
    if (list.length > 0) draw();
  };
  add(traces);
  return add;
}
