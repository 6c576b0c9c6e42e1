// alerts.js: the alerts page: what fires now (and what resolved in the
// last hour), the namespace's rules, and a form to add one. Rules of the
// receiver's rules file are listed but changed only in the file.

import { call } from "./api.js";
import { failed, render, showMessage } from "./app.js";
import { badge, field, fmtDuration, h, parseDuration, replace, select, timeEl } from "./dom.js";

const KINDS = [
  ["new_group", "new error group nobody judged"],
  ["regression", "silenced group back in a newer version"],
  ["status", "an app's status at WARN or ALERT"],
  ["failure_rate", "a span name's failure rate over a threshold"],
  ["p95", "a span name's p95 over a threshold"],
];

// THRESHOLD says what the threshold of each kind is.
const THRESHOLD = {
  new_group: "none",
  regression: "none",
  status: "warn or alert (default warn)",
  failure_rate: "a fraction of calls, 0.05 is 5%",
  p95: "a duration, such as 250ms",
};

// alertsView renders GET /v1/alerts and GET /v1/alerts/rules.
export async function alertsView(root, ctx) {
  const [alerts, rules] = await Promise.all([call("alerts"), call("alertRules")]);
  if (!ctx.current()) return;
  replace(
    root,
    h("h1", {}, "Alerts"),
    h("section", { class: "alerts", "aria-labelledby": "alerts-now" },
      h("h2", { id: "alerts-now" }, "Now"),
      alertTable(alerts.alerts || [])),
    h("section", { class: "rules", "aria-labelledby": "alerts-rules" },
      h("h2", { id: "alerts-rules" }, "Rules"),
      ruleTable(rules.rules || []),
      ruleForm()),
  );
}

// stateBadge shows an alert's state.
function stateBadge(state) {
  const kind = { firing: "alert", pending: "warn", resolved: "ok" }[state] || "info";
  return badge(kind, state.toUpperCase());
}

// viewLink is the web view's fragment of an alert's url, or null.
function viewLink(url) {
  const i = url ? url.indexOf("#/") : -1;
  return i < 0 ? null : h("a", { href: url.slice(i) }, "open");
}

function alertTable(alerts) {
  if (alerts.length === 0) return h("p", { class: "empty" }, "Nothing fires, nothing resolved in the last hour.");
  return h("div", { class: "scroll" }, h(
    "table",
    { class: "grid alert-list" },
    h("caption", { class: "sr-only" }, "Alerts"),
    h("thead", {}, h("tr", {},
      ["State", "Rule", "App", "Span", "Reason", "Since", ""].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, alerts.map((a) => h(
      "tr",
      { dataset: { rule: a.rule, state: a.state } },
      h("td", {}, stateBadge(a.state)),
      h("td", { class: "mono" }, a.rule),
      h("td", {}, a.labels.app || "–"),
      h("td", { class: "mono" }, a.labels.name || "–"),
      h("td", { class: "reason" }, a.reason),
      h("td", {}, a.state === "resolved" ? ["resolved ", timeEl(a.ends_at)] : timeEl(a.starts_at || a.active_since)),
      h("td", {}, viewLink(a.url)),
    ))),
  ));
}

// fmtThreshold writes a rule's threshold as it reads best for its kind.
function fmtThreshold(r) {
  if (!r.threshold) return r.kind === "status" ? "warn" : "–";
  if (r.kind === "failure_rate") return `${+(100 * Number(r.threshold)).toFixed(2)}%`;
  if (r.kind === "p95") {
    const ns = parseDuration(r.threshold);
    return Number.isNaN(ns) ? r.threshold : fmtDuration(ns);
  }
  return r.threshold;
}

function ruleTable(rules) {
  if (rules.length === 0) return h("p", { class: "empty" }, "No rules yet: add one below, or start the receiver with -alert-rules FILE.");
  return h("div", { class: "scroll" }, h(
    "table",
    { class: "grid rule-list" },
    h("caption", { class: "sr-only" }, "Alert rules"),
    h("thead", {}, h("tr", {},
      ["Id", "Kind", "App", "Span", "Threshold", "Window", "For", "Labels", ""].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rules.map((r) => h(
      "tr",
      { dataset: { rule: r.id, source: r.source } },
      h("td", { class: "mono" }, r.id),
      h("td", {}, r.kind),
      h("td", {}, r.app || "any"),
      h("td", { class: "mono" }, r.name || "–"),
      h("td", {}, fmtThreshold(r)),
      h("td", {}, r.window ? fmtDuration(parseDuration(r.window)) : "–"),
      h("td", {}, r.for ? fmtDuration(parseDuration(r.for)) : "–"),
      h("td", {}, Object.entries(r.labels || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "–"),
      h("td", {}, r.source === "file"
        ? h("span", { class: "dim", title: "change it in the rules file (-alert-rules)" }, "from the file")
        : h("button", { type: "button", class: "quiet", "aria-label": `Delete rule ${r.id}`, onclick: (e) => deleteRule(e.target, r.id) }, "Delete")),
    ))),
  ));
}

async function deleteRule(button, id) {
  button.disabled = true;
  try {
    await call("deleteAlertRule", { params: { id } });
    await render(); // clears the message bar: say it after
    showMessage(`Deleted rule ${id}.`, "info");
  } catch (err) {
    button.disabled = false;
    if (err.status === 401 || err.status === 0) failed(null, err);
    else showMessage(`Could not delete rule ${id}: ${err.message}`);
  }
}

// parseLabels reads "team=pay, tier=1" into an object, or throws naming
// the part it cannot read.
function parseLabels(text) {
  const out = {};
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const i = part.indexOf("=");
    if (i <= 0) throw new Error(`labels: "${part}": want name=value`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function ruleForm() {
  const input = (name, placeholder, attrs = {}) => h("input", { name, placeholder, autocomplete: "off", spellcheck: "false", ...attrs });
  const id = input("id", "charge-slow", { required: true, maxlength: 64 });
  const kind = select(KINDS, "new_group", { name: "kind" });
  const app = input("app", "any app");
  const name = input("name", "shop.charge");
  const threshold = input("threshold", "");
  const windowIn = input("window", "default");
  const forIn = input("for", "0s");
  const minCalls = input("min_calls", "1", { type: "number", min: 1 });
  const labels = input("labels", "team=pay, tier=1");
  const status = h("p", { class: "save-status", role: "status" });
  const needsName = () => kind.value === "failure_rate" || kind.value === "p95";
  const sync = () => {
    threshold.placeholder = THRESHOLD[kind.value];
    threshold.disabled = kind.value === "new_group" || kind.value === "regression";
    name.disabled = minCalls.disabled = !needsName();
  };
  kind.addEventListener("change", sync);
  sync();
  const save = h("button", { type: "submit" }, "Add rule");
  const form = h(
    "form",
    { class: "rule-form", "aria-label": "Add a rule" },
    h("h3", {}, "Add a rule"),
    h("div", { class: "controls" },
      field("Id", id), field("Kind", kind), field("App", app), field("Span name", name, "grow")),
    h("div", { class: "controls" },
      field("Threshold", threshold), field("Window", windowIn), field("For", forIn), field("Min calls", minCalls),
      field("Labels", labels, "grow")),
    h("div", { class: "controls" }, save, status),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const rule = { id: id.value.trim(), kind: kind.value };
    try {
      const add = (k, v) => { if (v !== "") rule[k] = v; };
      add("app", app.value.trim());
      if (!threshold.disabled) add("threshold", threshold.value.trim());
      add("window", windowIn.value.trim());
      add("for", forIn.value.trim());
      if (needsName()) {
        add("name", name.value.trim());
        if (minCalls.value !== "") rule.min_calls = Number(minCalls.value);
      }
      const l = parseLabels(labels.value);
      if (Object.keys(l).length) rule.labels = l;
    } catch (err) {
      status.textContent = `Not added: ${err.message}`;
      return;
    }
    save.disabled = true;
    status.textContent = "Saving…";
    try {
      await call("setAlertRule", { body: rule });
      await render();
      showMessage(`Added rule ${rule.id}.`, "info");
    } catch (err) {
      save.disabled = false;
      if (err.status === 401 || err.status === 0) {
        status.textContent = "";
        failed(null, err);
        return;
      }
      // The receiver names the field: "threshold: want ...".
      status.textContent = `Not added: ${err.message}`;
      const bad = form.querySelector(`[name="${err.message.split(":")[0]}"]`);
      if (bad) bad.focus();
    }
  });
  return form;
}
