// lists.js: the dashboard, the trace list and the health report.

import { call } from "./api.js";
import { traceScatter } from "./charts.js";
import { go, setQuery } from "./app.js";
import { pickers, queryError, searchBox } from "./search.js";
import {
  SINCE, badge, field, fmtDuration, fmtTime, h, parseDuration, replace, runLabel, runTerms, select, timeEl, toggle,
  verdictBadge,
} from "./dom.js";

const DEFAULT_SLOW = "100ms";

// keepRow applies the status and speed toggles to a dashboard row, as the
// terminal UI does: error = anything failed, crash = failures not silenced,
// ok = nothing failed; slow = p95 at least the threshold.
function keepRow(r, f) {
  switch (f.status) {
    case "error":
      if (r.failed === 0) return false;
      break;
    case "crash":
      if (r.failed === 0 || r.verdict === "silenced") return false;
      break;
    case "ok":
      if (r.failed > 0) return false;
      break;
  }
  if (f.speed === "slow") return r.p95_ns >= f.slowNS;
  if (f.speed === "fast") return r.p95_ns < f.slowNS;
  return true;
}

// matches reports whether every word of q is in one of the fields.
function matches(q, ...fields) {
  const hay = fields.join("\n").toLowerCase();
  return q.toLowerCase().split(/\s+/).every((w) => hay.includes(w));
}

function statusBadge(failed, running) {
  if (failed) return badge("fail", "FAIL", "failed");
  if (running) return badge("run", "RUN", "still running");
  return badge("ok", "ok", "succeeded");
}

// dashboardView: one row per span name, with toggles and a filter box.
export async function dashboardView(root, ctx) {
  const q = ctx.query;
  const f = {
    since: q.get("since") || "1h",
    q: q.get("q") || "",
    status: q.get("status") || "all",
    speed: q.get("speed") || "all",
    slow: q.get("slow") || DEFAULT_SLOW,
  };
  f.slowNS = parseDuration(f.slow);
  if (Number.isNaN(f.slowNS)) f.slowNS = parseDuration(DEFAULT_SLOW);

  const [dash, health, status] = await Promise.allSettled([
    call("dashboard", { query: { since: f.since } }),
    call("health"),
    call("status"),
  ]);
  if (!ctx.current()) return;
  if (dash.status === "rejected") throw dash.reason;
  const rows = dash.value.rows || [];

  const count = h("p", { class: "count", "aria-live": "polite" });
  const body = h("tbody");
  const table = h(
    "table",
    { class: "grid dashboard" },
    h("caption", { class: "sr-only" }, "Span names"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Name"),
        h("th", { scope: "col" }, "Status"),
        h("th", { scope: "col", class: "num" }, "Calls"),
        h("th", { scope: "col", class: "num" }, "Failed"),
        h("th", { scope: "col", class: "num opt" }, "Last seen"),
        h("th", { scope: "col", class: "num" }, "p95"),
        h("th", { scope: "col" }, "Verdict"),
        h("th", { scope: "col", class: "opt" }, "Last trace"),
      ),
    ),
    body,
  );

  const redraw = () => {
    setQuery(ctxQuery(f));
    const shown = rows.filter((r) => keepRow(r, f) && matches(f.q, r.name, r.location, r.app, r.verdict));
    count.textContent = `${shown.length} of ${rows.length} span names`;
    replace(
      body,
      shown.length === 0
        ? h("tr", {}, h("td", { colspan: 8, class: "empty" },
          rows.length === 0
            ? "No spans in this window yet. Point a program at the receiver (SPANTREE_SINK=http://HOST:PORT) or run `spantree ingest`."
            : "No span name matches the filters."))
        : shown.map((r) => dashboardRow(r, f)),
    );
    for (const t of controls.querySelectorAll(".toggle")) {
      const v = t.getAttribute("aria-label") === "Status" ? f.status : f.speed;
      for (const b of t.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.value === v));
    }
  };

  const filter = h("input", { type: "search", value: f.q, placeholder: "name, location, app, verdict" });
  filter.addEventListener("input", () => {
    f.q = filter.value.trim();
    redraw();
  });
  const since = select(SINCE, f.since, {});
  since.addEventListener("change", () => go("dashboard", { ...ctxQuery(f), since: since.value }));
  const slow = h("input", { value: f.slow, size: 6, inputmode: "text", title: "Go duration, such as 100ms or 2s" });
  slow.addEventListener("change", () => {
    const ns = parseDuration(slow.value);
    if (Number.isNaN(ns)) {
      slow.setAttribute("aria-invalid", "true");
      return;
    }
    slow.removeAttribute("aria-invalid");
    f.slow = slow.value.trim();
    f.slowNS = ns;
    redraw();
  });
  const controls = h(
    "div",
    { class: "controls" },
    field("Filter", filter, "grow"),
    field("Window", since),
    toggle("Status", ["all", "error", "crash", "ok"], f.status, (v) => {
      f.status = v;
      redraw();
    }),
    toggle("Speed", ["all", "slow", "fast"], f.speed, (v) => {
      f.speed = v;
      redraw();
    }),
    field("Slow at", slow),
    h("button", { type: "button", onclick: () => go("dashboard", ctxQuery(f)) }, "Refresh"),
  );

  replace(
    root,
    h("h1", {}, "Dashboard"),
    healthLine(health),
    appStatus(status),
    controls,
    count,
    h("div", { class: "scroll" }, table),
  );
  redraw();
}

function ctxQuery(f) {
  return {
    since: f.since === "1h" ? "" : f.since,
    q: f.q,
    status: f.status === "all" ? "" : f.status,
    speed: f.speed === "all" ? "" : f.speed,
    slow: f.slow === DEFAULT_SLOW ? "" : f.slow,
  };
}

function dashboardRow(r, f) {
  const slow = r.p95_ns >= f.slowNS;
  const hasTrace = r.last_trace_id && !/^0+$/.test(r.last_trace_id);
  return h(
    "tr",
    { class: r.failed > 0 ? "row-fail" : "", dataset: { name: r.name } },
    h(
      "td",
      { class: "name" },
      h("a", { href: "#/traces?" + new URLSearchParams({ name: r.name }), title: "Traces with this span" }, r.name),
      h("div", { class: "loc" }, r.location, r.app ? h("span", { class: "app" }, " · ",
        h("a", { href: "#/app/" + encodeURIComponent(r.app), title: "The app's charts" }, r.app)) : null),
    ),
    h("td", {}, statusBadge(r.failed > 0, false)),
    h("td", { class: "num" }, r.count),
    h("td", { class: "num" + (r.failed ? " bad" : "") }, r.failed),
    h("td", { class: "num opt" }, timeEl(r.last_seen)),
    h("td", { class: "num" + (slow ? " slow" : ""), title: `p50 ${fmtDuration(r.p50_ns)} · max ${fmtDuration(r.max_ns)}` },
      fmtDuration(r.p95_ns)),
    h(
      "td",
      {},
      r.verdict
        ? h("a", { href: "#/errors?" + new URLSearchParams({ q: r.name }), title: "Error groups of this span" },
          verdictBadge(r.verdict))
        : verdictBadge(""),
    ),
    h("td", { class: "opt" }, hasTrace
      ? h("a", { href: `#/trace/${r.last_trace_id}?` + new URLSearchParams({ name: r.name, loc: r.location }), class: "mono" }, "open")
      : "–"),
  );
}

// healthLine is the one-line health summary above the dashboard.
function healthLine(res) {
  if (res.status === "rejected") {
    return h("p", { class: "health-line dim" }, "Health: unavailable (" + res.reason.message + ")");
  }
  const hl = res.value;
  const apps = hl.apps || [];
  const unannotated = apps.reduce((n, a) => n + (a.unannotated_errors || 0), 0);
  const alerts = apps.reduce((n, a) => n + (a.alert_errors || []).length, 0);
  return h(
    "p",
    { class: "health-line" },
    h("a", { href: "#/health" }, "Health"),
    ": ",
    badge(hl.status, hl.status.toUpperCase()),
    ` ${apps.length} app${apps.length === 1 ? "" : "s"} in the last 24h`,
    unannotated ? ` · ${unannotated} error group${unannotated === 1 ? "" : "s"} to triage` : "",
    alerts ? ` · ${alerts} at ALERT` : "",
  );
}

// appStatus lists the apps that are not OK (GET /v1/status), ALERT first,
// each with the reason in words; nothing when all are OK or the receiver
// gave no answer.
function appStatus(res) {
  if (res.status === "rejected") return null;
  const rank = { ALERT: 2, WARN: 1 };
  const bad = (res.value.apps || []).filter((a) => a.status !== "OK")
    .sort((a, b) => (rank[b.status] || 0) - (rank[a.status] || 0));
  if (bad.length === 0) return null;
  return h("ul", { class: "app-status" }, bad.map((a) =>
    h("li", { "data-app": a.app },
      badge(a.status.toLowerCase(), a.status), " ", h("a", { href: "#/app/" + encodeURIComponent(a.app) }, h("strong", {}, a.app)), " ",
      h("span", { class: "err-text" }, a.reason.replace(a.status + ": ", "")))));
}

// tracesView: a filtered list of traces, newest first: the search box
// (q=, the query language) beside the older filters, and a "More" button
// that fetches the page after the last one shown (cursor=).
export async function tracesView(root, ctx) {
  const q = ctx.query;
  const f = {
    q: q.get("q") || "",
    status: q.get("status") || "",
    name: q.get("name") || "",
    tag: q.get("tag") || "",
    min_duration: q.get("min_duration") || "",
    since: q.get("since") || "",
    limit: q.get("limit") || "100",
  };
  const form = h("form", { class: "controls", role: "search", "aria-label": "Trace filters" });
  const box = searchBox(f.q);
  // Both asked at once: the list, and the pickers' services (which may fail alone).
  // The tag words' run:142 and shop#142 are run numbers (run=).
  const terms = runTerms(f.tag.split(/\s+/).filter(Boolean));
  const query = { ...f, tag: terms.rest, run: terms.run };
  const pending = call("traces", { query });
  pending.catch(() => {}); // handled below, after the pickers
  const services = call("services", { query: { since: f.since } }).then((r) => r.services, () => null);
  const status = select([["", "any"], ["failed", "failed"], ["succeeded", "succeeded"], ["started", "running"]],
    f.status, { name: "status" });
  const name = h("input", { name: "name", value: f.name, placeholder: "any span name" });
  const tag = h("input", { name: "tag", value: f.tag, placeholder: "k:v shop#142", size: 12,
    title: "tags k:v, all of which must match; run:142 or shop#142 for a run number" });
  const minDur = h("input", { name: "min_duration", value: f.min_duration, placeholder: "100ms", size: 7 });
  const since = select([["", "any time"], ...SINCE], f.since, { name: "since" });
  const pick = pickers(box, await services);
  if (!ctx.current()) return;
  form.append(
    field("Search", box.input, "grow search"),
    field("Service", pick.svc),
    field("Span", pick.op),
    field("Status", status),
    field("Span name", name),
    field("Tags", tag),
    field("Min duration", minDur),
    field("Window", since),
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (minDur.value.trim() && Number.isNaN(parseDuration(minDur.value))) {
      minDur.setAttribute("aria-invalid", "true");
      minDur.focus();
      return;
    }
    go("traces", {
      q: box.input.value.trim(),
      status: status.value,
      name: name.value.trim(),
      tag: tag.value.trim(),
      min_duration: minDur.value.trim(),
      since: since.value,
      limit: f.limit === "100" ? "" : f.limit,
    });
  });

  let res;
  try {
    res = await pending;
  } catch (e) {
    const qe = queryError(e);
    if (!qe) throw e;
    if (!ctx.current()) return;
    replace(root, h("h1", {}, "Traces"), form, box.error);
    box.show(qe);
    return;
  }
  if (!ctx.current()) return;
  const traces = res.traces || [];
  const count = h("p", { class: "count", "aria-live": "polite" });
  const tbody = h("tbody", {}, traces.length ? traces.map(traceRow)
    : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No trace matches these filters.")));
  let shown = traces.length;
  let cursor = res.next_cursor || "";
  const more = h("button", { type: "button", class: "more" }, "More");
  const recount = () => {
    count.textContent = `${shown} trace${shown === 1 ? "" : "s"}, newest first` + (cursor ? " (more below)" : "");
    more.hidden = !cursor;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await call("traces", { query: { ...query, cursor } });
      if (!ctx.current()) return;
      const rows = page.traces || [];
      tbody.append(...rows.map(traceRow));
      addDots(rows);
      shown += rows.length;
      cursor = page.next_cursor || "";
      recount();
    } catch (e) {
      more.after(h("p", { class: "err-text" }, "More: " + e.message));
    } finally {
      more.disabled = false;
    }
  });
  recount();
  // The results as dots of their start and duration; a click opens one.
  const dots = h("figure", { class: "chart scatter", "aria-label": "Duration of the traces over time" });
  let addDots = () => {};
  replace(
    root,
    h("h1", {}, "Traces"),
    form,
    box.error,
    count,
    traces.length ? dots : null,
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "grid traces" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col", class: "opt" }, "Started"),
          h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col" }, "Root span"),
          h("th", { scope: "col", class: "num" }, "Duration"),
          h("th", { scope: "col", class: "num opt" }, "Spans"),
          h("th", { scope: "col", class: "num" }, "Errors"),
          h("th", { scope: "col", class: "opt" }, "Trace id"))),
        tbody,
      ),
    ),
    more,
  );
  if (traces.length) addDots = traceScatter(dots, traces, (id) => go("trace/" + encodeURIComponent(id)));
}

function traceRow(t) {
  return h(
    "tr",
    { class: t.status === "failed" ? "row-fail" : "", dataset: { trace: t.trace_id } },
    h("td", { class: "opt" }, timeEl(t.start)),
    h("td", {}, t.abandoned
      ? badge("hidden", "ABANDONED", "the root never ended and nothing arrived for a while: its process stopped (killed or crashed)")
      : statusBadge(t.status === "failed", t.status === "started")),
    h("td", { class: "name" }, h("a", { href: `#/trace/${t.trace_id}` }, t.name || "(no root span)"),
      t.app || t.run ? h("div", { class: "loc" }, h("span", { class: "run" }, runLabel(t.app, t.run) || t.app)) : null),
    h("td", { class: "num" }, t.status === "started" ? (t.abandoned ? "abandoned" : "running") : fmtDuration(t.duration_ns)),
    h("td", { class: "num opt" }, t.spans),
    h("td", { class: "num" + (t.errors ? " bad" : "") }, t.errors),
    h("td", { class: "mono opt", title: t.hex }, t.trace_id),
  );
}

// healthView: the health report, per app.
export async function healthView(root, ctx) {
  const since = ctx.query.get("since") || "24h";
  const hl = await call("health", { query: { since } });
  if (!ctx.current()) return;
  const sel = select(SINCE, since, {});
  sel.addEventListener("change", () => go("health", { since: sel.value === "24h" ? "" : sel.value }));
  const apps = hl.apps || [];
  const fpLinks = (fps) =>
    fps && fps.length
      ? fps.map((fp) => h("a", { href: "#/errors?" + new URLSearchParams({ fp }), class: "mono fp" }, fp.slice(0, 12)))
      : "none";
  replace(
    root,
    h("h1", {}, "Health ", badge(hl.status, hl.status.toUpperCase())),
    h("div", { class: "controls" }, field("Window", sel), h("span", { class: "dim" }, "since " + fmtTime(hl.since))),
    apps.length === 0 ? h("p", { class: "empty" }, "No app has sent spans yet.") : null,
    apps.map((a) =>
      h(
        "section",
        { class: "card health-app", "aria-label": `App ${a.app || "(no service tag)"}` },
        h("h2", {}, a.app ? h("a", { href: "#/app/" + encodeURIComponent(a.app), title: "The app's charts" }, a.app) : "(no service tag)",
          " ", badge(a.status, a.status.toUpperCase())),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Versions"), h("dd", {}, (a.versions || []).join(", ") || "–"),
          h("dt", {}, "Last seen"), h("dd", {}, timeEl(a.last_seen)),
          h("dt", {}, "Traces"), h("dd", {}, a.traces),
          h("dt", {}, "Failed"), h("dd", { class: a.failed ? "bad" : "" },
            `${a.failed} (${(100 * (a.failure_rate || 0)).toFixed(1)}%)`),
          h("dt", {}, "To triage"), h("dd", {}, a.unannotated_errors
            ? h("a", { href: "#/errors?todo=1" }, `${a.unannotated_errors} error group${a.unannotated_errors === 1 ? "" : "s"}`)
            : "none"),
          h("dt", {}, "At ALERT"), h("dd", {}, fpLinks(a.alert_errors)),
          h("dt", {}, "Regressed"), h("dd", {}, fpLinks(a.regressed_errors)),
        ),
        a.slow_regressions && a.slow_regressions.length
          ? h(
            "table",
            { class: "grid" },
            h("caption", {}, "Slower than before"),
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Span"), h("th", { scope: "col", class: "num" }, "p95"),
              h("th", { scope: "col", class: "num" }, "baseline p95"))),
            h("tbody", {}, a.slow_regressions.map((s) =>
              h("tr", {}, h("td", { class: "name" }, s.name, h("div", { class: "loc" }, s.location)),
                h("td", { class: "num slow" }, fmtDuration(s.p95_ns)),
                h("td", { class: "num" }, fmtDuration(s.baseline_p95_ns))))),
          )
          : h("p", { class: "dim" }, "No span got slower."),
      )),
  );
}
