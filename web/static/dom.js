// dom.js: building DOM nodes and formatting values.
//
// Everything from the API goes into the page as text nodes, never as HTML.

// h makes an element: h("a", {href: "#/x", class: "y"}, "text", child, ...).
// Attributes starting with "on" are event listeners; false, null and
// undefined attributes and children are skipped; arrays of children are
// flattened.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties el and appends children.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// Durations come in nanoseconds.
const units = [
  [3600e9, "h"],
  [60e9, "m"],
  [1e9, "s"],
  [1e6, "ms"],
  [1e3, "µs"],
];

// fmtDuration writes ns as 3 significant digits in the largest fitting unit:
// "1.25s", "830µs", "2m05s".
export function fmtDuration(ns) {
  if (ns === undefined || ns === null || Number.isNaN(ns)) return "–";
  if (ns < 0) return "-" + fmtDuration(-ns);
  if (ns < 1e3) return `${Math.round(ns)}ns`;
  if (ns >= 60e9) {
    const h = Math.floor(ns / 3600e9);
    const m = Math.floor((ns % 3600e9) / 60e9);
    const s = Math.floor((ns % 60e9) / 1e9);
    return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s).padStart(2, "0")}s`;
  }
  for (const [size, unit] of units) {
    if (ns >= size) {
      const v = ns / size;
      return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + unit;
    }
  }
  return `${ns}ns`;
}

// parseDuration reads a Go duration ("250ms", "1h30m") into nanoseconds,
// or returns NaN.
export function parseDuration(s) {
  s = String(s).trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const scale = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let matched = 0;
  let m;
  while ((m = re.exec(s)) !== null) {
    total += parseFloat(m[1]) * scale[m[2]];
    matched = re.lastIndex;
  }
  return s !== "" && matched === s.length ? total : NaN;
}

// timeNS is an RFC 3339 time with nanoseconds as nanoseconds since a second
// near the page's start: differences between times within about 100 days of
// now are exact in a Number, and only differences are ever used.
const EPOCH_SEC = Math.floor(Date.now() / 1000);

export function timeNS(s) {
  if (!s) return NaN;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return NaN;
  const m = /\.(\d+)/.exec(s);
  const frac = m ? (m[1] + "000000000").slice(0, 9) : "000000000";
  return (Math.floor(ms / 1000) - EPOCH_SEC) * 1e9 + Number(frac);
}

// isZeroTime reports whether s is missing or Go's zero time.
export function isZeroTime(s) {
  return !s || s.startsWith("0001-01-01");
}

// fmtAgo writes how long ago s (RFC 3339) was: "12s ago", "3h ago".
export function fmtAgo(s, now = Date.now()) {
  if (isZeroTime(s)) return "never";
  const d = (now - Date.parse(s)) / 1000;
  if (d < 0) return "just now";
  if (d < 60) return `${Math.floor(d)}s ago`;
  if (d < 3600) return `${Math.floor(d / 60)}m ago`;
  if (d < 86400) return `${Math.floor(d / 3600)}h ago`;
  return `${Math.floor(d / 86400)}d ago`;
}

// fmtTime writes s (RFC 3339) in the browser's local time.
export function fmtTime(s) {
  if (isZeroTime(s)) return "–";
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}

// timeEl is a <time> showing how long ago s was, with the full time on hover.
export function timeEl(s) {
  return h("time", { datetime: s, title: fmtTime(s) }, fmtAgo(s));
}

// badge is a small label with a class of its own: badge("fail", "FAIL").
export function badge(kind, text, title) {
  return h("span", { class: `badge badge-${kind}`, title }, text);
}

// verdictBadge shows a dashboard or error-group verdict.
export function verdictBadge(verdict) {
  if (!verdict) return h("span", { class: "dim" }, "–");
  return badge(verdict, verdict.toUpperCase());
}

// isTraceID reports whether s looks like a trace id: a 27-character base62
// KSUID or 32 hex characters.
// runLabel names a trace by its run number, as every viewer does:
// "shop#142", the 142nd trace of shop with its tags; "" without a number.
export function runLabel(app, run) {
  return run > 0 ? `${app || ""}#${run}` : "";
}

// runTerms takes the run numbers out of the words of a trace search, as
// the other viewers read them (store.RunTerm): "run:142" is a run number,
// "shop#142" a run number of service shop. It returns the run ("" for
// none) and the other words, with "service:shop" for the latter.
export function runTerms(words) {
  let run = "";
  const rest = [];
  for (const w of words) {
    let m = /^run:([0-9]+)$/.exec(w);
    if (m && Number(m[1]) > 0) {
      run = m[1];
      continue;
    }
    m = /^([^:=]+)#([0-9]+)$/.exec(w);
    if (m && Number(m[2]) > 0) {
      run = m[2];
      rest.push(`service:${m[1]}`);
      continue;
    }
    rest.push(w);
  }
  return { run, rest };
}

export function isTraceID(s) {
  return /^[0-9A-Za-z]{27}$/.test(s) || /^[0-9a-fA-F]{32}$/.test(s);
}

// fmtValue writes an attribute value: strings as they are, the rest as JSON.
export function fmtValue(v) {
  return typeof v === "string" ? v : JSON.stringify(v);
}

// field is a labelled form control: field("Filter", h("input", {...})).
let fieldSeq = 0;
export function field(label, control, cls) {
  if (!control.id) control.id = `f${++fieldSeq}`;
  return h("span", { class: `field ${cls || ""}` }, h("label", { for: control.id }, label), control);
}

// select makes a <select> of options [[value, text], ...] with value chosen.
export function select(options, value, attrs) {
  return h(
    "select",
    attrs,
    options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
  );
}

// toggle is a group of radio-like buttons: toggle("Status", ["all", "error"],
// "all", onchange). The chosen one has aria-pressed="true".
export function toggle(label, values, value, onchange) {
  return h(
    "span",
    { class: "toggle", role: "group", "aria-label": label },
    h("span", { class: "toggle-label" }, label),
    values.map((v) =>
      h(
        "button",
        {
          type: "button",
          "aria-pressed": v === value ? "true" : "false",
          dataset: { value: v },
          onclick: () => onchange(v),
        },
        v,
      ),
    ),
  );
}

// SINCE are the time windows offered by the views.
export const SINCE = [
  ["15m", "last 15 minutes"],
  ["1h", "last hour"],
  ["6h", "last 6 hours"],
  ["24h", "last 24 hours"],
  ["168h", "last 7 days"],
];

// stackFrames splits a Go stack (runtime.Stack's text) into its header and
// frames: each frame is its function line and its file line, with own
// false for the frames of the standard library (a package whose path starts
// with one of the standard library's top-level names) and of spantree's
// runtime, which the viewers fold away so that the program's own frames
// come first.
export function stackFrames(text) {
  const lines = (text || "").split("\n");
  const out = { header: [], frames: [] };
  let i = 0;
  while (i < lines.length && !/^\S.*\)$/.test(lines[i]) && !lines[i].startsWith("created by ")) out.header.push(lines[i++]);
  for (; i < lines.length; i++) {
    const fn = lines[i];
    if (fn === "") continue;
    const file = i + 1 < lines.length && lines[i + 1].startsWith("\t") ? lines[++i] : "";
    out.frames.push({ fn, file, own: ownFrame(fn) });
  }
  return out;
}

function ownFrame(fn) {
  const name = fn.replace(/^created by /, "").replace(/\(.*$/, "");
  // The package path is what comes before the last "/"-free dotted part:
  // github.com/x/y.(*T).M -> github.com/x/y; net/http.(*conn).serve -> net/http.
  const slash = name.lastIndexOf("/");
  const dot = name.indexOf(".", slash + 1);
  const pkg = dot < 0 ? name : name.slice(0, dot);
  if (pkg === "github.com/spantree/spantree/runtime" || pkg.startsWith("github.com/spantree/spantree/runtime/")) return false;
  return !STD.has(pkg.split("/")[0]);
}

// STD are the first elements of the standard library's import paths.
const STD = new Set(("archive bufio builtin bytes cmp compress container context crypto database debug embed encoding " +
  "errors expvar flag fmt go hash html image index internal io iter log maps math mime net os path plugin reflect " +
  "regexp runtime slices sort strconv strings structs sync syscall testing text time unicode unique unsafe weak").split(" "));

// stackView renders a Go stack with the program's frames shown and each run
// of standard library and runtime frames folded into a line that opens.
export function stackView(text) {
  const { header, frames } = stackFrames(text);
  const parts = [];
  if (header.length) parts.push(h("div", { class: "stack-head" }, header.join("\n")));
  for (let i = 0; i < frames.length;) {
    if (frames[i].own) {
      const f = frames[i++];
      parts.push(h("div", { class: "frame own" }, f.fn + (f.file ? "\n" + f.file : "")));
      continue;
    }
    let j = i;
    while (j < frames.length && !frames[j].own) j++;
    const run = frames.slice(i, j);
    parts.push(h("details", { class: "frames-folded" },
      h("summary", {}, `${run.length} frame${run.length === 1 ? "" : "s"} of the standard library and the runtime`),
      h("div", { class: "frame" }, run.map((f) => f.fn + (f.file ? "\n" + f.file : "")).join("\n"))));
    i = j;
  }
  return h("div", { class: "stack" }, parts);
}
