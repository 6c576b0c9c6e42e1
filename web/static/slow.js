// slow.js: the slow spans page (GET /v1/slow): per span name and location,
// calls, p50, p95, p99, the longest, how many calls were slower than their
// own p99, the impact (p95 × calls per second, the share of a core spent
// there) and the slowest traces, ranked by impact.

import { call } from "./api.js";
import { go } from "./app.js";
import { SINCE, field, fmtDuration, h, replace, select } from "./dom.js";

export async function slowView(root, ctx) {
  const since = ctx.query.get("since") || "1h";
  const rows = (await call("slow", { query: { since } })) || [];
  if (!ctx.current()) return;
  const sel = select(SINCE, since, {});
  sel.addEventListener("change", () => go("slow", { since: sel.value === "1h" ? "" : sel.value }));
  const spans = Array.isArray(rows) ? rows : rows.spans || [];
  spans.sort((a, b) => b.impact - a.impact);
  const num = (v) => h("td", { class: "num" }, v);
  replace(
    root,
    h("h1", {}, "Slow spans"),
    h("div", { class: "controls" }, field("Window", sel),
      h("span", { class: "dim" }, "ranked by impact: p95 × calls per second, the share of one core spent there")),
    h("div", { class: "scroll" }, h(
      "table",
      { class: "grid slow-spans" },
      h("caption", { class: "sr-only" }, "Slow spans"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Name"),
        h("th", { scope: "col" }, "App"),
        h("th", { scope: "col", class: "num" }, "Calls"),
        h("th", { scope: "col", class: "num" }, "p50"),
        h("th", { scope: "col", class: "num" }, "p95"),
        h("th", { scope: "col", class: "num" }, "p99"),
        h("th", { scope: "col", class: "num" }, "Max"),
        h("th", { scope: "col", class: "num" }, "Over p99"),
        h("th", { scope: "col", class: "num" }, "Impact"),
        h("th", { scope: "col" }, "Slowest traces"),
      )),
      h("tbody", {}, spans.length === 0
        ? h("tr", {}, h("td", { colspan: 10, class: "empty" }, "No finished spans in this window."))
        : spans.map((s) => h("tr", { "data-name": s.name },
          h("td", {}, s.name, " ", h("span", { class: "dim mono" }, s.location)),
          h("td", {}, s.app || "–"),
          num(s.count),
          num(fmtDuration(s.p50_ns)),
          num(fmtDuration(s.p95_ns)),
          num(fmtDuration(s.p99_ns)),
          num(fmtDuration(s.max_ns)),
          num(s.slow_count),
          num(fmtImpact(s.impact)),
          h("td", { class: "ids" }, (s.slowest || []).slice(0, 3).map((id) =>
            h("a", { href: `#/trace/${id}`, class: "mono", title: id }, id.slice(0, 8) + "…"))),
        ))),
    )),
  );
}

// fmtImpact shows a share of a core as a percentage, small ones with two
// significant digits.
function fmtImpact(v) {
  const pct = 100 * v;
  if (pct === 0) return "0%";
  if (pct < 0.01) return `${pct.toPrecision(2)}%`;
  return `${pct.toFixed(2)}%`;
}
