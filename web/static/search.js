// search.js: the trace list's search box, which takes the query language
// of the receiver (docs/receiver.md#search) and shows where a query that
// does not parse went wrong.

import { h, replace } from "./dom.js";

const EXAMPLE = "service:shop status:failed duration>100ms";

// queryError returns the position (1-based, in characters) and message of
// the receiver's answer to a q= that does not parse ("q: at 17: want ..."),
// or null for any other error.
export function queryError(err) {
  if (!err || err.status !== 400) return null;
  const m = /^q: at (\d+): ([\s\S]*)$/.exec(err.message);
  return m ? { pos: Number(m[1]), msg: m[2] } : null;
}

// searchBox makes the search input and the element under it that shows a
// parse error: the query again, the character where it went wrong marked,
// and the message; show(null) hides it.
export function searchBox(value) {
  const input = h("input", {
    type: "search", name: "q", value, placeholder: EXAMPLE, class: "search-input",
    spellcheck: "false", autocomplete: "off", "aria-describedby": "search-error",
    title: "service:shop name:~check status:failed duration>100ms tag.version:1.4.2 error:~timeout app:demo, with AND, OR, NOT (or -), ( ) and \"quotes\"",
  });
  const error = h("div", { id: "search-error", class: "search-error", role: "alert", hidden: true });
  const show = (e) => {
    if (!e) {
      error.hidden = true;
      input.removeAttribute("aria-invalid");
      return;
    }
    const chars = [...input.value];
    const at = Math.min(Math.max(e.pos - 1, 0), chars.length);
    replace(
      error,
      h("pre", { class: "search-echo" },
        chars.slice(0, at).join(""), h("mark", {}, at < chars.length ? chars[at] : " "), chars.slice(at + 1).join("")),
      h("p", {}, `At ${e.pos}: ${e.msg}`),
    );
    error.dataset.pos = String(e.pos);
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    const offset = chars.slice(0, at).join("").length; // in UTF-16 units, as the input counts
    input.setSelectionRange(offset, offset);
  };
  return { input, error, show };
}

// quoteValue writes v as the query language reads it back: bare when it
// can be, else in double quotes with " and \ escaped.
export function quoteValue(v) {
  if (v !== "" && !/[\s\u0085()]/.test(v) && v[0] !== '"' && v[0] !== "~") return v;
  return '"' + v.replace(/[\\"]/g, "\\$&") + '"';
}

// pickers makes the service and span name pickers (GET /v1/services, with
// their calls) that feed the search box: choosing one puts service:X or
// name:Y in the box, in place of what the same picker put there before.
export function pickers(box, services) {
  const svc = h("select", { name: "pick-service", class: "pick-service" });
  const op = h("select", { name: "pick-name", class: "pick-name", disabled: true });
  const list = services || [];
  svc.append(h("option", { value: "" }, list.length ? "service…" : "no services in 24h"),
    ...list.map((s, i) => h("option", { value: String(i) }, `${s.service || "(no service tag)"} (${s.count})`)));
  const put = { service: "", name: "" }; // the terms each picker put in the box
  const setTerm = (which, term) => {
    let text = box.input.value;
    if (put[which] && text.includes(put[which])) text = text.replace(put[which], term);
    else if (term) text = text.trim() ? text.trim() + " " + term : term;
    box.input.value = text.replace(/\s+/g, " ").trim();
    put[which] = term;
  };
  svc.addEventListener("change", () => {
    const s = list[Number(svc.value)];
    replace(op, h("option", { value: "" }, "span name…"),
      ...(s ? s.names.map((n) => h("option", { value: n.name }, `${n.name} (${n.count})`)) : []));
    op.disabled = !s;
    setTerm("name", "");
    setTerm("service", s ? "service:" + quoteValue(s.service) : "");
  });
  op.addEventListener("change", () => setTerm("name", op.value ? "name:" + quoteValue(op.value) : ""));
  return { svc, op };
}
