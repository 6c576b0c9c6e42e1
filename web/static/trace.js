// trace.js: one trace as a waterfall (the span tree, indented, with duration
// bars on a shared time axis) and the detail of the selected span.

import { call } from "./api.js";
import { setQuery } from "./app.js";
import { Minimap } from "./minimap.js";
import { Rows } from "./rows.js";
import {
  badge, fmtDuration, fmtTime, fmtValue, h, isTraceID, isZeroTime, replace, runLabel, stackView, timeNS, verdictBadge,
} from "./dom.js";

// buildTree orders the spans depth first, children by start time. A span
// whose parent is missing becomes a root, so partial traces still show; a
// cycle in bad data cannot loop. Each node has its span's start in startNS
// (timeNS), read once: sorting by it was most of the time a 10,000-span
// trace took to open.
export function buildTree(spans) {
  const byID = new Map(spans.map((s, i) => [s.span_id, i]));
  const kids = spans.map(() => []);
  const roots = [];
  spans.forEach((s, i) => {
    const p = s.parent_id ? byID.get(s.parent_id) : undefined;
    if (p !== undefined && p !== i) kids[p].push(i);
    else roots.push(i);
  });
  const starts = spans.map((s) => timeNS(s.start));
  const byStart = (a, b) => starts[a] - starts[b];
  roots.sort(byStart);
  const nodes = [];
  const seen = new Array(spans.length).fill(false);
  const stack = roots.slice().reverse().map((i) => ({ i, parent: -1, depth: 0 }));
  while (stack.length) {
    const f = stack.pop();
    if (seen[f.i]) continue;
    seen[f.i] = true;
    const ix = nodes.length;
    nodes.push({ span: spans[f.i], parent: f.parent, depth: f.depth, children: [], size: 1, startNS: starts[f.i] });
    if (f.parent >= 0) nodes[f.parent].children.push(ix);
    const k = kids[f.i].slice().sort(byStart);
    for (let j = k.length - 1; j >= 0; j--) stack.push({ i: k[j], parent: ix, depth: f.depth + 1 });
  }
  for (let i = nodes.length - 1; i >= 0; i--) {
    const p = nodes[i].parent;
    if (p >= 0) nodes[p].size += nodes[i].size;
  }
  return nodes;
}

// niceStep picks a tick spacing of 1, 2 or 5 times a power of ten that cuts
// total into at most about five parts.
function niceStep(total) {
  const raw = total / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

// traceView renders GET /v1/traces/{id}.
export async function traceView(root, ctx) {
  const id = ctx.arg;
  if (!isTraceID(id)) {
    replace(root, h("div", { class: "empty" },
      h("h1", {}, "Not a trace id"),
      h("p", {}, `"${id}" is not a trace id: want a 27-character KSUID or 32 hex characters.`)));
    return;
  }
  let t;
  try {
    t = await call("trace", { params: { id } });
  } catch (err) {
    if (err.status === 404) {
      if (!ctx.current()) return;
      replace(root, h("div", { class: "empty" },
        h("h1", {}, "Trace not found"),
        h("p", {}, `No trace ${id} in this namespace. It may not have arrived yet, or belong to another API key.`),
        h("p", {}, h("a", { href: "#/traces" }, "Recent traces"))));
      return;
    }
    throw err;
  }
  if (!ctx.current()) return;
  const q = ctx.query;
  const began = performance.now();
  new TraceView(root, t, q.get("span") || "", { name: q.get("name"), loc: q.get("loc"), msg: q.get("msg") }).draw();
  // The page's own share of opening a trace, for DevTools and the browser
  // test (TestBrowserBigTrace).
  performance.measure("spantree:trace-draw", { start: began });
}

class TraceView {
  // selectID is the span to select; else the span focus names (a link from
  // an error group or a dashboard row); else where the error came from.
  constructor(root, t, selectID, focus) {
    this.root = root;
    this.t = t;
    this.nodes = buildTree(t.spans || []);
    this.slow = new Set(t.slow_spans || []);
    this.errors = new Map((t.errors || []).map((e) => [e.span_id, e]));
    this.collapsed = new Set();
    this.matches = []; // node indexes that the find box matches, in tree order
    this.matched = new Set(this.matches);
    this.texts = null; // each node's spanText, made on the first find
    this.vis = []; // the rows not hidden in a collapsed span, in order
    this.byID = new Map(this.nodes.map((n, i) => [n.span.span_id, i]));
    // Each row says where it is among its siblings (aria-posinset of
    // aria-setsize), as the rows out of sight are not there to count.
    const roots = this.nodes.filter((n) => n.parent < 0);
    roots.forEach((n, k) => Object.assign(n, { nth: k + 1, of: roots.length }));
    for (const n of this.nodes) n.children.forEach((c, k) => Object.assign(this.nodes[c], { nth: k + 1, of: n.children.length }));
    // The services of the spans, the root's first: each gets a colour of
    // its own when the trace crosses processes.
    this.services = t.services || [];
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const n of this.nodes) {
      const s = n.startNS;
      const e = isZeroTime(n.span.end) ? s : timeNS(n.span.end);
      n.endNS = e;
      t0 = Math.min(t0, s);
      t1 = Math.max(t1, e);
    }
    this.t0 = Number.isFinite(t0) ? t0 : 0;
    this.total = Math.max(t1 - this.t0, 1);
    // The timeline's range, in ns since t0: the whole trace until a drag
    // on the minimap zooms in.
    this.from = 0;
    this.to = this.total;
    // Running spans have no end yet: their bars reach the latest time seen.
    for (const n of this.nodes) if (isZeroTime(n.span.end)) n.endNS = this.t0 + this.total;
    this.selected = this.byID.has(selectID) ? this.byID.get(selectID) : this.named(focus) ?? this.firstInteresting();
  }

  // named finds the span a link names by function (focus.name), at
  // focus.loc when given: the latest that failed with focus.msg, else the
  // latest that failed, else the first; undefined when none has the name.
  named(focus) {
    if (!focus || !focus.name) return undefined;
    const all = [];
    this.nodes.forEach((n, i) => {
      if (n.span.name === focus.name && (!focus.loc || n.span.location === focus.loc)) all.push(i);
    });
    const failed = all.filter((i) => this.nodes[i].span.status === "failed");
    const same = failed.filter((i) => focus.msg && this.nodes[i].span.error && this.nodes[i].span.error.message === focus.msg);
    const pick = same.length ? same : failed;
    if (pick.length) return pick[pick.length - 1];
    return all.length ? all[0] : undefined;
  }

  // firstInteresting is where to start reading: from a failed root, down
  // the latest failed child at each level to where the error came from; else
  // the first failed span (an error someone handled); else the root.
  firstInteresting() {
    const failed = (i) => this.nodes[i].span.status === "failed";
    if (this.nodes.length && failed(0)) {
      let i = 0;
      for (;;) {
        const kids = this.nodes[i].children.filter(failed);
        if (!kids.length) return i;
        i = kids[kids.length - 1];
      }
    }
    const i = this.nodes.findIndex((n) => n.span.status === "failed");
    return i >= 0 ? i : 0;
  }

  draw() {
    const t = this.t;
    const rootNode = this.nodes[0];
    const failed = this.nodes.filter((n) => n.span.status === "failed").length;
    this.minimap = new Minimap({
      total: this.total,
      zoom: (from, to) => this.zoom(from, to),
      jump: (frac) => this.rows.scrollTo(frac),
    });
    // The tree scrolls by itself, the axis and minimap staying above it,
    // and holds only the rows in sight (issue 17): those not hidden in a
    // collapsed span, by node index.
    this.rows = new Rows({
      class: "wf-rows",
      role: "tree",
      tabindex: -1,
      "aria-label": "Spans of the trace",
      onkeydown: (e) => this.key(e),
    }, {
      make: (i) => this.row(i),
      focused: () => this.selected,
      inSight: (first, last, count) => this.minimap.rows(first, last, count),
    });
    this.tree = this.rows.el;
    this.axisTrack = h("span", { class: "wf-track" });
    this.detail = h("aside", { class: "detail card", "aria-label": "Selected span", "aria-live": "polite" });
    const tags = Object.entries(t.tags || {}).sort(([a], [b]) => a.localeCompare(b));
    replace(
      this.root,
      h(
        "header",
        { class: "trace-head" },
        h("h1", {}, rootNode ? rootNode.span.name : "(empty trace)", " ",
          rootNode ? spanStatus(rootNode.span) : null,
          t.run ? [" ", this.runLink(t)] : null),
        h("p", { class: "facts-inline" },
          h("span", {}, "started ", rootNode ? fmtTime(rootNode.span.start) : "–"),
          h("span", {}, "took ", rootNode && !isZeroTime(rootNode.span.end) ? fmtDuration(this.total)
            : t.abandoned ? "(abandoned: its process stopped publishing before the root ended)" : "(running)"),
          h("span", {}, `${this.nodes.length} span${this.nodes.length === 1 ? "" : "s"}`),
          h("span", { class: failed ? "bad" : "" }, `${failed} failed`),
          this.slow.size ? h("span", { class: "slow" }, `${this.slow.size} slow`) : null,
          this.services.length > 1
            ? h("span", { class: "services" }, "services ", this.services.map((v, i) =>
              [i ? ", " : null, h("span", { class: `svc svc-${i % 6}` }, v)]))
            : null),
        h("p", { class: "ids" },
          h("span", {}, "trace ", h("code", {}, t.trace_id)),
          h("span", {}, "hex ", h("code", {}, t.hex)),
          compareForm(t.trace_id)),
        tags.length
          ? h("ul", { class: "tags", "aria-label": "Tags" }, tags.map(([k, v]) =>
            h("li", {}, h("a", { href: "#/traces?" + new URLSearchParams({ tag: `${k}:${v}` }) }, `${k}=${v}`))))
          : null,
      ),
      this.nodes.length === 0
        ? h("p", { class: "empty" }, "This trace has no spans.")
        : h(
          "div",
          { class: "trace-layout" },
          h("section", { class: "waterfall", "aria-label": "Waterfall" },
            this.findBox(), this.minimap.el, this.axis(), this.tree),
          this.detail,
        ),
    );
    if (!this.nodes.length) return;
    this.drawTicks();
    this.layout();
    this.drawRows();
    this.rows.measure();
    // Open with the selected span in the middle of the rows in sight (the
    // tree has its full height now).
    this.rows.center(this.selected);
    this.drawDetail();
  }

  // runLink is the trace's run number, service#142, linked to the list of
  // the traces of that number and service.
  runLink(t) {
    const label = runLabel((t.services || [])[0] || (t.tags || {}).service, t.run);
    return h("a", {
      class: "run", href: "#/traces?" + new URLSearchParams({ tag: label }),
      title: "run number: this is the " + t.run + ordinal(t.run) + " trace of its service with these tags",
    }, label);
  }

  // findBox is find-in-trace: spans whose name, location, service, error
  // or attributes contain the text (any case) are marked, the first at or
  // after the selection is selected; Enter goes to the next, Shift+Enter to
  // the previous, Escape clears. "/" in the tree comes here.
  findBox() {
    this.findCount = h("span", { class: "find-count", "aria-live": "polite" });
    this.findInput = h("input", {
      type: "search",
      class: "find-input",
      placeholder: "find in trace: name, location, error…",
      "aria-label": "Find in trace",
      oninput: () => this.find(this.findInput.value, 0),
      onkeydown: (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          this.find(this.findInput.value, e.shiftKey ? -1 : 1);
        } else if (e.key === "Escape") {
          this.findInput.value = "";
          this.find("", 0);
        }
      },
    });
    return h("div", { class: "trace-find" }, this.findInput, this.findCount);
  }

  // find marks the spans that match text and selects one: with step 0 the
  // first at or after the selection, else the next (1) or previous (-1)
  // match.
  find(text, step) {
    const q = text.trim().toLowerCase();
    if (q && !this.texts) this.texts = this.nodes.map((n) => spanText(n.span));
    this.matches = q ? this.texts.flatMap((s, i) => (s.includes(q) ? [i] : [])) : [];
    this.matched = new Set(this.matches);
    if (!q || !this.matches.length) {
      this.findCount.textContent = q ? "no span matches" : "";
      this.drawRows();
      return;
    }
    let at = this.matches.findIndex((i) => (step > 0 ? i > this.selected : i >= this.selected));
    if (step < 0) {
      at = this.matches.findLastIndex((i) => i < this.selected);
      if (at < 0) at = this.matches.length - 1;
    } else if (at < 0) at = 0;
    this.select(this.matches[at], false);
    this.drawRows();
    this.rows.reveal(this.selected);
    this.findCount.textContent = `${at + 1} of ${this.matches.length}`;
  }

  axis() {
    return h(
      "div",
      { class: "wf-axis", "aria-hidden": "true" },
      h("span", { class: "wf-name" }, "span"),
      h("span", { class: "wf-dur" }, "duration"),
      this.axisTrack,
    );
  }

  // drawTicks labels the timeline's range, in time since the trace began.
  drawTicks() {
    const span = this.to - this.from;
    const step = niceStep(span);
    const ticks = [];
    for (let x = Math.ceil(this.from / step - 1e-4) * step; x <= this.to + span * 1e-4; x += step) ticks.push(x);
    // A tick at the right end is labelled to its left, so that it shows.
    replace(this.axisTrack, ticks.map((x) => {
      const at = (100 * (x - this.from)) / span;
      return h("span", { class: at > 97 ? "tick tick-end" : "tick", style: { left: `${at}%` } }, x === 0 ? "0" : fmtDuration(x));
    }));
  }

  // layout lists the rows not hidden inside a collapsed span for the tree
  // and the minimap.
  layout() {
    const vis = [];
    for (let i = 0; i < this.nodes.length;) {
      vis.push(i);
      i += this.collapsed.has(i) ? this.nodes[i].size : 1;
    }
    this.vis = vis;
    this.rows.set(vis);
    this.minimap.bars(vis.map((i) => {
      const n = this.nodes[i];
      return { from: n.startNS - this.t0, to: n.endNS - this.t0, failed: n.span.status === "failed" };
    }));
  }

  // drawRows renders the rows in sight afresh, after a change of state
  // (selection, collapse, find, zoom).
  drawRows() {
    this.rows.render(true);
  }

  // zoom shows the timeline from from to to (ns since the trace began):
  // the bars and ticks rescale.
  zoom(from, to) {
    this.from = Math.max(0, from);
    this.to = Math.min(this.total, Math.max(to, this.from + 1));
    this.minimap.zoomed(this.from, this.to);
    this.drawTicks();
    this.drawRows();
  }

  row(i) {
    const n = this.nodes[i];
    const s = n.span;
    const failed = s.status === "failed";
    const running = s.status === "started";
    const slow = this.slow.has(s.span_id);
    const hasKids = n.children.length > 0;
    const open = !this.collapsed.has(i);
    // Bars outside the zoomed range are clipped by the track; their ends
    // are bounded so that a deep zoom makes no huge boxes.
    const span = this.to - this.from;
    const a = Math.max(-1, Math.min(101, (100 * (n.startNS - this.t0 - this.from)) / span));
    const b = Math.max(-1, Math.min(101, (100 * (n.endNS - this.t0 - this.from)) / span));
    // The service is named on the roots and where a call crossed into
    // another process; the spans below it share it.
    const parentSvc = n.parent >= 0 ? this.nodes[n.parent].span.service : undefined;
    const svcIx = this.services.length > 1 && s.service ? this.services.indexOf(s.service) : -1;
    const cls = ["wf-row", failed && "failed", slow && "slow", running && "running", i === this.selected && "selected",
      svcIx >= 0 && `svc-${svcIx % 6}`, this.matched.has(i) && "match"].filter(Boolean).join(" ");
    const dur = running ? "running" : fmtDuration(spanTook(s, n));
    return h(
      "div",
      {
        class: cls,
        role: "treeitem",
        "aria-level": n.depth + 1,
        "aria-posinset": n.nth,
        "aria-setsize": n.of,
        "aria-expanded": hasKids ? String(open) : null,
        "aria-selected": String(i === this.selected),
        tabindex: i === this.selected ? 0 : -1,
        dataset: { index: i, span: s.span_id },
        onclick: () => this.select(i, true),
      },
      h(
        "span",
        { class: "wf-name", style: { paddingLeft: `${Math.min(n.depth, 40) * 0.9}rem` } },
        hasKids
          ? h("button", {
            type: "button",
            class: "twisty",
            tabindex: -1,
            "aria-label": open ? "Collapse" : "Expand",
            onclick: (e) => {
              e.stopPropagation();
              this.toggle(i);
            },
          }, open ? "▾" : "▸")
          : h("span", { class: "twisty" }),
        failed ? h("span", { class: "mark-fail", title: "failed" }, "✗ ") : null,
        h("span", { class: "span-name" }, s.name),
        s.service && s.service !== parentSvc
          ? badge("svc", s.service, `recorded by service ${s.service}`) : null,
        s.fold ? badge("fold", `×${s.fold.count}`, `${s.fold.count} calls folded into one line`) : null,
        s.goroutine ? badge("go", "go", "ran in its own goroutine") : null,
        slow ? badge("slow", "slow", "slower than this span's p99 over the last day") : null,
        !open ? badge("hidden", `+${n.size - 1}`, `${n.size - 1} spans hidden`) : null,
        s.handled_errors && s.handled_errors.length
          ? badge("handled", `${s.handled_errors.length} handled`, "errors this span handled") : null,
      ),
      h("span", { class: "wf-dur" }, dur),
      h("span", { class: "wf-track" },
        b < 0 || a > 100 ? null : h("span", { class: "bar", style: { left: `${a}%`, width: `${b - a}%` } })),
    );
  }

  // processTags returns the tags other than service of the process that
  // sent the span id, as a dim list, or null.
  processTags(id) {
    const p = (this.t.processes || []).find((q) => (q.span_ids || []).includes(id));
    if (!p) return null;
    const tags = Object.entries(p.tags || {}).filter(([k]) => k !== "service").sort(([a], [b]) => a.localeCompare(b));
    return tags.length ? h("span", { class: "dim" }, " (" + tags.map(([k, v]) => `${k}=${v}`).join(", ") + ")") : null;
  }

  toggle(i) {
    if (this.collapsed.has(i)) this.collapsed.delete(i);
    else this.collapsed.add(i);
    // A selection inside the collapsed span moves up to it.
    const n = this.nodes[i];
    if (this.selected > i && this.selected < i + n.size && this.collapsed.has(i)) this.selected = i;
    this.layout();
    this.drawRows();
    this.focusSelected();
    this.drawDetail();
  }

  select(i, focus) {
    // Unfold the ancestors of a span selected from elsewhere (a link).
    let redraw = false;
    for (let p = this.nodes[i].parent; p >= 0; p = this.nodes[p].parent) {
      if (this.collapsed.delete(p)) redraw = true;
    }
    if (redraw) this.layout();
    const prev = this.rowEl(this.selected);
    this.selected = i;
    const el = this.rowEl(i);
    if (redraw || !prev || !el) this.drawRows();
    else {
      prev.classList.remove("selected");
      prev.setAttribute("aria-selected", "false");
      prev.tabIndex = -1;
      el.classList.add("selected");
      el.setAttribute("aria-selected", "true");
      el.tabIndex = 0;
      this.tree.tabIndex = -1;
    }
    setQuery({ span: this.nodes[i].span.span_id });
    this.drawDetail();
    if (focus) this.focusSelected();
    else this.rows.reveal(i);
  }

  // rowEl is node i's row element, or undefined when it is not rendered.
  rowEl(i) {
    return this.rows.row(i);
  }

  focusSelected() {
    this.rows.reveal(this.selected);
    const el = this.rowEl(this.selected);
    if (el) el.focus({ preventScroll: true });
  }

  // key moves through the tree as a tree widget does: up and down (a page
  // at a time with Page Up and Page Down), left to collapse or go to the
  // parent, right to expand or go to the first child. z zooms the timeline
  // to the selected span, Z back to the whole trace (the minimap's drag and
  // Reset zoom, from the keyboard).
  key(e) {
    const vis = this.vis;
    const at = this.rows.place(this.selected);
    const page = this.rows.page();
    const n = this.nodes[this.selected];
    let next = -1;
    switch (e.key) {
      case "ArrowDown": next = vis[Math.min(at + 1, vis.length - 1)]; break;
      case "ArrowUp": next = vis[Math.max(at - 1, 0)]; break;
      case "PageDown": next = vis[Math.min(at + page, vis.length - 1)]; break;
      case "PageUp": next = vis[Math.max(at - page, 0)]; break;
      case "Home": next = vis[0]; break;
      case "End": next = vis[vis.length - 1]; break;
      case "ArrowLeft":
        if (n.children.length && !this.collapsed.has(this.selected)) {
          this.toggle(this.selected);
          e.preventDefault();
          return;
        }
        next = n.parent;
        break;
      case "ArrowRight":
        if (n.children.length && this.collapsed.has(this.selected)) {
          this.toggle(this.selected);
          e.preventDefault();
          return;
        }
        next = n.children.length ? n.children[0] : -1;
        break;
      case "Enter":
      case " ":
        if (n.children.length) this.toggle(this.selected);
        e.preventDefault();
        return;
      case "/":
        e.preventDefault();
        this.findInput.focus();
        return;
      case "z":
      case "Z":
        if (e.ctrlKey || e.metaKey || e.altKey) return;
        if (e.key === "z") this.zoom(n.startNS - this.t0, n.endNS - this.t0);
        else this.zoom(0, this.total);
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    if (next >= 0) this.select(next, true);
  }

  drawDetail() {
    const n = this.nodes[this.selected];
    if (!n) return;
    const s = n.span;
    const parent = n.parent >= 0 ? this.nodes[n.parent].span : null;
    const group = this.errors.get(s.span_id);
    const spanLink = (id, label) =>
      this.byID.has(id)
        ? h("button", { type: "button", class: "link", onclick: () => this.select(this.byID.get(id), true) },
          label || this.nodes[this.byID.get(id)].span.name)
        : h("code", {}, id);
    replace(
      this.detail,
      h("h2", {}, s.name, " ", spanStatus(s)),
      h(
        "dl",
        { class: "facts" },
        s.service ? [h("dt", {}, "Service"), h("dd", {}, s.service, this.processTags(s.span_id))] : null,
        h("dt", {}, "Location"), h("dd", { class: "mono" }, s.location || "–"),
        h("dt", {}, "Started"), h("dd", {}, `+${fmtDuration(n.startNS - this.t0)}`, h("span", { class: "dim" }, ` (${fmtTime(s.start)})`)),
        h("dt", {}, "Duration"), h("dd", { class: this.slow.has(s.span_id) ? "slow" : "" },
          s.status === "started" ? "still running" : fmtDuration(spanTook(s, n)),
          this.slow.has(s.span_id) ? " — slower than its p99 over the last day" : ""),
        s.fold ? [h("dt", {}, "Folded"), h("dd", {},
          `${s.fold.count} calls, total ${fmtDuration(s.fold.total_ns)}, min ${fmtDuration(s.fold.min_ns)}, max ${fmtDuration(s.fold.max_ns)}`)] : null,
        s.goroutine ? [h("dt", {}, "Goroutine"), h("dd", {}, "ran in a goroutine of its own")] : null,
        s.kind ? [h("dt", {}, "Kind"), h("dd", {}, s.kind)] : null,
        s.level ? [h("dt", {}, "Level"), h("dd", {}, s.level)] : null,
        h("dt", {}, "Span id"), h("dd", { class: "mono" }, s.span_id),
        parent ? [h("dt", {}, "Parent"), h("dd", {}, spanLink(parent.span_id))] : null,
      ),
      s.error ? this.errorBlock("Error", s.error, group) : null,
      s.handled_errors && s.handled_errors.length
        ? h("section", { class: "handled" }, h("h3", {}, "Handled errors"),
          s.handled_errors.map((e) => this.errorBlock(null, e, null, e.span_id ? spanLink(e.span_id) : null)))
        : null,
      attrsBlock("Attributes", s.attrs),
      s.events && s.events.length
        ? h("section", {}, h("h3", {}, "Events"), h("ol", { class: "events" }, s.events.map((ev) =>
          h("li", { class: `level-${ev.level || "info"}` },
            h("span", { class: "mono dim" }, `+${fmtDuration(timeNS(ev.time) - this.t0)} `),
            ev.level ? badge(ev.level, ev.level) : null, " ", ev.msg,
            ev.attrs ? attrsBlock(null, ev.attrs) : null))))
        : null,
      s.links && s.links.length
        ? h("section", {}, h("h3", {}, "Links"), h("ul", { class: "links" }, s.links.map((l) => {
          // A link to a span of this trace selects it; others open their trace.
          const here = l.span_id && this.byID.has(l.span_id);
          return h("li", {},
            here
              ? spanLink(l.span_id)
              : h("a", { href: `#/trace/${l.trace_id}${l.span_id ? "?span=" + l.span_id : ""}` },
                "trace ", h("code", {}, l.trace_id), l.span_id ? [" span ", h("code", {}, l.span_id)] : null),
            l.ref ? h("span", { class: "dim" }, ` ref ${l.ref}`) : null);
        })))
        : null,
    );
  }

  errorBlock(title, e, group, from) {
    return h(
      "section",
      { class: "error-block" },
      title ? h("h3", {}, title) : null,
      h("p", { class: "error-msg" },
        e.panic ? badge("fail", "panic") : null, " ",
        h("span", { class: "mono" }, e.type), ": ", h("span", { class: "err-text" }, e.message)),
      from ? h("p", { class: "dim" }, "returned by ", from) : null,
      group
        ? h("p", {}, "Error group ",
          h("a", { href: "#/errors?" + new URLSearchParams({ fp: group.fingerprint }) }, h("code", {}, group.fingerprint.slice(0, 12))),
          " ", group.annotation ? verdictBadge(group.annotation.severity) : verdictBadge("unannotated"),
          group.annotation ? ` ${group.annotation.kind}` : "",
          group.regressed ? [" ", badge("alert", "REGRESSED")] : null)
        : null,
      e.stack ? h("details", { open: title ? true : null }, h("summary", {}, "Stack"), stackView(e.stack)) : null,
    );
  }
}

function spanStatus(s) {
  if (s.status === "failed") return badge("fail", "FAILED");
  if (s.status === "started") return badge("run", "RUNNING");
  return badge("ok", "ok");
}

function attrsBlock(title, attrs) {
  const entries = Object.entries(attrs || {}).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return null;
  return h(
    title ? "section" : "div",
    {},
    title ? h("h3", {}, title) : null,
    h("table", { class: "attrs" }, h("tbody", {}, entries.map(([k, v]) =>
      h("tr", {}, h("th", { scope: "row" }, k), h("td", { class: "mono" }, fmtValue(v)))))),
  );
}

// spanTook is how long a span took: for a folded line, the time spent in all
// its calls (what the terminal UI and `spantree show` print), not the window
// from the first call's start to the last one's end, which the bar shows.
function spanTook(s, n) {
  return s.fold && s.fold.count > 1 ? s.fold.total_ns : n.endNS - n.startNS;
}

// compareForm asks for a second trace to compare this one with (#/compare).
function compareForm(id) {
  const input = h("input", { type: "text", size: 28, placeholder: "trace id", "aria-label": "Trace to compare with", class: "mono" });
  return h("form", {
    class: "compare-form",
    onsubmit: (e) => {
      e.preventDefault();
      const other = input.value.trim();
      if (isTraceID(other)) location.hash = `#/compare/${id}/${other}`;
      else input.setAttribute("aria-invalid", "true");
    },
  }, "compare with ", input, " ", h("button", { type: "submit" }, "Compare"));
}

// spanText is what find-in-trace searches in a span, lower case: its name,
// location, service, error, handled errors and attribute values.
function spanText(s) {
  const parts = [s.name, s.location, s.service];
  if (s.error) parts.push(s.error.type, s.error.message);
  for (const e of s.handled_errors || []) parts.push(e.type, e.message);
  for (const [k, v] of Object.entries(s.attrs || {})) parts.push(k, typeof v === "string" ? v : JSON.stringify(v));
  return parts.filter((p) => p !== undefined && p !== null).join("\n").toLowerCase();
}

// ordinal is the English suffix of n: st, nd, rd or th.
function ordinal(n) {
  const t = n % 100;
  if (t >= 11 && t <= 13) return "th";
  return { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th";
}
