// errors.js: the error groups and their triage: a person marks a group
// crash or silenced, at OK, WARN or ALERT, with a note, once; every later
// occurrence inherits the verdict.

import { call } from "./api.js";
import { failed, go, setQuery, showMessage } from "./app.js";
import { SINCE, badge, field, fmtTime, h, replace, select, timeEl, toggle, verdictBadge } from "./dom.js";

// errorsView renders GET /v1/errors with a triage form per group.
export async function errorsView(root, ctx) {
  const q = ctx.query;
  const f = {
    since: q.get("since") || "",
    q: q.get("q") || "",
    fp: q.get("fp") || "",
    show: q.get("todo") ? "to triage" : "all",
    sort: q.get("sort") === "count" ? "count" : "last seen",
  };
  const res = await call("errors", { query: { since: f.since } });
  if (!ctx.current()) return;
  const groups = res.errors || [];

  const list = h("div", { class: "groups" });
  const count = h("p", { class: "count", "aria-live": "polite" });
  const redraw = () => {
    setQuery({ since: f.since, q: f.q, fp: f.fp, todo: f.show === "to triage" ? "1" : "", sort: f.sort === "count" ? "count" : "" });
    const shown = groups.filter((g) =>
      (!f.fp || g.fingerprint.startsWith(f.fp)) &&
      (f.show === "all" || !g.annotation || g.regressed) &&
      f.q.toLowerCase().split(/\s+/).every((w) =>
        [g.type, g.message, g.name, g.location, g.app].join("\n").toLowerCase().includes(w)));
    if (f.sort === "count") shown.sort((a, b) => b.count - a.count || Date.parse(b.last_seen) - Date.parse(a.last_seen));
    count.textContent = `${shown.length} of ${groups.length} error groups, ${f.sort === "count" ? "most occurrences" : "last seen"} first`;
    replace(list, shown.length
      ? shown.map((g) => groupCard(g))
      : h("p", { class: "empty" }, groups.length ? "No error group matches the filters." : "No errors in this window. Nice."));
    for (const t of controls.querySelectorAll(".toggle")) {
      const v = t.getAttribute("aria-label") === "Sort" ? f.sort : f.show;
      for (const b of t.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.value === v));
    }
  };

  const filter = h("input", { type: "search", value: f.q, placeholder: "type, message, span, app" });
  filter.addEventListener("input", () => {
    f.q = filter.value.trim();
    redraw();
  });
  const since = select([["", "all time"], ...SINCE], f.since, {});
  since.addEventListener("change", () =>
    go("errors", { since: since.value, q: f.q, fp: f.fp, todo: f.show === "to triage" ? "1" : "" }));
  const controls = h(
    "div",
    { class: "controls" },
    field("Filter", filter, "grow"),
    field("Window", since),
    toggle("Show", ["all", "to triage"], f.show, (v) => {
      f.show = v;
      redraw();
    }),
    toggle("Sort", ["last seen", "count"], f.sort, (v) => {
      f.sort = v;
      redraw();
    }),
    f.fp ? h("button", { type: "button", class: "quiet", onclick: () => { f.fp = ""; redraw(); } },
      `Only ${f.fp.slice(0, 12)} ✕`) : null,
  );
  replace(root, h("h1", {}, "Errors"), controls, count, list);
  redraw();
}

const KINDS = [["crash", "crash"], ["silenced", "silenced"]];
const SEVERITIES = [["ok", "OK"], ["warn", "WARN"], ["alert", "ALERT"]];

// groupCard shows one error group and its triage form.
function groupCard(g) {
  const card = h("article", { class: "card group", dataset: { fingerprint: g.fingerprint } });
  drawGroup(card, g);
  return card;
}

function drawGroup(card, g) {
  const a = g.annotation;
  const kind = select(KINDS, a ? a.kind : "crash", { name: "kind" });
  const severity = select(SEVERITIES, a ? a.severity : "warn", { name: "severity" });
  const note = h("input", { name: "note", value: a ? a.note || "" : "", placeholder: "why, what to do", maxlength: 10000 });
  const save = h("button", { type: "submit" }, a ? "Update verdict" : "Save verdict");
  const status = h("span", { class: "save-status", role: "status" });
  const form = h(
    "form",
    { class: "triage", "aria-label": `Triage ${g.type}` },
    field("Kind", kind),
    field("Severity", severity),
    field("Note", note, "grow"),
    save,
    status,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    save.disabled = true;
    status.textContent = "Saving…";
    try {
      const updated = await call("annotate", {
        params: { fingerprint: g.fingerprint },
        body: { kind: kind.value, severity: severity.value, note: note.value.trim() },
      });
      drawGroup(card, updated);
      const s = card.querySelector(".save-status");
      s.textContent = `Saved: ${updated.annotation.severity.toUpperCase()} ${updated.annotation.kind}`;
      card.querySelector("button[type=submit]").focus();
    } catch (err) {
      save.disabled = false;
      status.textContent = "Not saved.";
      if (err.status === 401 || err.status === 0) failed(null, err);
      else showMessage(`Could not save the verdict: ${err.message}`);
    }
  });
  const hasTrace = g.last_trace_id && !/^0+$/.test(g.last_trace_id);
  replace(
    card,
    h(
      "header",
      {},
      a ? verdictBadge(a.severity) : verdictBadge("unannotated"),
      a ? badge(a.kind, a.kind) : null,
      g.regressed ? badge("alert", "REGRESSED", "silenced, and back in a newer version") : null,
      h("h2", {}, h("span", { class: "mono" }, g.type), ": ", h("span", { class: "err-text" }, g.message)),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Span"), h("dd", {}, h("a", { href: "#/traces?" + new URLSearchParams({ name: g.name, status: "" }) }, g.name),
        h("span", { class: "loc" }, " " + g.location)),
      g.app ? [h("dt", {}, "App"), h("dd", {}, g.app, g.last_version ? ` (last in ${g.last_version})` : "")] : null,
      h("dt", {}, "Count"), h("dd", {}, g.count, " · ",
        h("a", { href: "#/traces?" + new URLSearchParams({ q: "fingerprint:" + g.fingerprint }), class: "group-traces" }, "its traces")),
      h("dt", {}, "Seen"), h("dd", {}, "first ", timeEl(g.first_seen), ", last ", timeEl(g.last_seen)),
      hasTrace ? [h("dt", {}, "Last trace"), h("dd", {}, h("a", {
        href: `#/trace/${g.last_trace_id}?` + new URLSearchParams({ name: g.name, loc: g.location, msg: g.message }),
        class: "mono",
      }, g.last_trace_id))] : null,
      a ? [h("dt", {}, "Verdict"), h("dd", {}, `${a.severity.toUpperCase()} ${a.kind}`, a.note ? ` — ${a.note}` : "",
        h("span", { class: "dim" }, ` (${fmtTime(a.updated)}${a.version ? ", at " + a.version : ""})`))] : null,
      h("dt", {}, "Fingerprint"), h("dd", { class: "mono" }, g.fingerprint),
    ),
    form,
  );
}
