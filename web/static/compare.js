// compare.js: two traces side by side, aligned by the program's own
// function names (#/compare/A/B). Spans are matched by their path from the
// root, a name per level with the occurrence among same-named siblings
// (main.run/main.step#3), so that the tree diff says which calls were added
// or removed, which got slower or faster and by how much, and which fail
// now or no longer fail.

import { call } from "./api.js";
import { go } from "./app.js";
import { buildTree } from "./trace.js";
import { badge, fmtDuration, h, isTraceID, replace, timeNS } from "./dom.js";

// changeShown is how much a duration must change, both as a share and in
// time, for a row to say slower or faster.
const changeShare = 0.2;
const changeNS = 100e3;

export async function compareView(root, ctx) {
  const [a, b] = ctx.arg.split("/");
  for (const id of [a, b]) {
    if (!isTraceID(id || "")) {
      replace(root, h("div", { class: "empty" }, h("h1", {}, "Compare two traces"),
        h("p", {}, "Open #/compare/A/B with two trace ids (27-character KSUIDs or 32 hex), or use “Compare with” on a trace.")));
      return;
    }
  }
  const [ta, tb] = await Promise.all([call("trace", { params: { id: a } }), call("trace", { params: { id: b } })]);
  if (!ctx.current()) return;
  const rows = diffTraces(ta.spans || [], tb.spans || []);
  const count = (k) => rows.filter((r) => r.change === k).length;
  const swap = h("button", { type: "button", onclick: () => go(`compare/${b}/${a}`) }, "Swap");
  replace(
    root,
    h("h1", {}, "Compare"),
    h("p", { class: "facts-inline" },
      h("span", {}, "A ", h("a", { href: `#/trace/${a}`, class: "mono" }, a)),
      h("span", {}, "B ", h("a", { href: `#/trace/${b}`, class: "mono" }, b)),
      swap),
    h("p", { class: "compare-summary" },
      `${count("added")} added · ${count("removed")} removed · ${count("slower")} slower · ${count("faster")} faster · ` +
      `${count("failing")} failing now · ${count("fixed")} no longer failing`),
    h("div", { class: "scroll" }, h(
      "table",
      { class: "grid compare" },
      h("caption", { class: "sr-only" }, "Spans of A and B"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Span"),
        h("th", { scope: "col", class: "num" }, "A"),
        h("th", { scope: "col", class: "num" }, "B"),
        h("th", { scope: "col", class: "num" }, "Change"),
        h("th", { scope: "col" }, ""))),
      h("tbody", {}, rows.map((r) => h("tr", { class: `change-${r.change}`, "data-path": r.path },
        h("td", { style: { paddingLeft: `${0.4 + 1.1 * r.depth}rem` } }, r.name,
          r.calls > 1 ? h("span", { class: "dim" }, ` ×${r.calls}`) : null),
        h("td", { class: "num" }, r.a ? took(r.a) : "–"),
        h("td", { class: "num" }, r.b ? took(r.b) : "–"),
        h("td", { class: "num" }, r.a && r.b ? delta(took(r.a, true), took(r.b, true)) : ""),
        h("td", {}, changeBadge(r.change)),
      ))),
    )),
  );
}

// took is a span's duration (a folded line's calls' total), formatted or
// in nanoseconds.
function took(s, raw) {
  const ns = s.fold && s.fold.count > 1 ? s.fold.total_ns : timeNS(s.end) - timeNS(s.start);
  return raw ? ns : fmtDuration(ns);
}

function delta(a, b) {
  const d = b - a;
  const pct = a > 0 ? ` (${d >= 0 ? "+" : ""}${Math.round((100 * d) / a)}%)` : "";
  return (d >= 0 ? "+" : "-") + fmtDuration(Math.abs(d)) + pct;
}

function changeBadge(c) {
  switch (c) {
    case "added": return badge("info", "added");
    case "removed": return badge("hidden", "removed");
    case "slower": return badge("warn", "slower");
    case "faster": return badge("ok", "faster");
    case "failing": return badge("alert", "failing now");
    case "fixed": return badge("ok", "no longer failing");
  }
  return null;
}

// diffTraces aligns the spans of two traces by path and returns one row per
// path, in the order of B's tree with A's removed spans where they were.
export function diffTraces(as, bs) {
  const pa = paths(as), pb = paths(bs);
  const order = [];
  const seen = new Set();
  const visit = (list) => {
    for (const p of list) {
      if (!seen.has(p.path)) {
        seen.add(p.path);
        order.push(p);
      }
    }
  };
  // B's order, then A's paths not in B after their parent's rows.
  visit(pb.list);
  for (const p of pa.list) {
    if (seen.has(p.path)) continue;
    seen.add(p.path);
    const parent = p.path.slice(0, p.path.lastIndexOf("/"));
    let at = order.findIndex((q) => q.path === parent);
    if (at < 0) at = order.length - 1;
    // after the parent's subtree
    let end = at + 1;
    while (end < order.length && order[end].path.startsWith(parent + "/")) end++;
    order.splice(end, 0, p);
  }
  return order.map((p) => {
    const a = pa.byPath.get(p.path), b = pb.byPath.get(p.path);
    let change = "";
    if (!a) change = "added";
    else if (!b) change = "removed";
    else if (a.status !== "failed" && b.status === "failed") change = "failing";
    else if (a.status === "failed" && b.status !== "failed") change = "fixed";
    else {
      const ta = took(a, true), tb = took(b, true);
      if (Math.abs(tb - ta) >= changeNS && Math.abs(tb - ta) >= changeShare * ta) change = tb > ta ? "slower" : "faster";
    }
    const s = b || a;
    return { path: p.path, depth: p.depth, name: s.name, calls: s.fold ? s.fold.count : 1, a, b, change };
  });
}

// paths names each span of a trace by its path from the root: the names of
// its ancestors and its own, each with its occurrence among the siblings of
// the same name (#2 for the second).
function paths(spans) {
  const nodes = buildTree(spans);
  const list = [];
  const byPath = new Map();
  const pathOf = new Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const parentPath = n.parent >= 0 ? pathOf[n.parent] : "";
    const siblings = n.parent >= 0 ? nodes[n.parent].children : nodes.map((m, j) => (m.parent < 0 ? j : -1)).filter((j) => j >= 0);
    let k = 0;
    for (const j of siblings) {
      if (j === i) break;
      if (nodes[j].span.name === n.span.name) k++;
    }
    const path = parentPath + "/" + n.span.name + (k ? "#" + (k + 1) : "");
    pathOf[i] = path;
    list.push({ path, depth: n.depth });
    byPath.set(path, n.span);
  }
  return { list, byPath };
}
