// app.js: the page shell: routing on the URL fragment, the API key prompt
// or the sign-in, the signed-in user's namespace, messages, and the
// find-a-trace box. The views live in their own modules.

import { APIError, call, canSignIn, currentSession, getKey, loadSession, setKey, setSession, signInURL, signOut } from "./api.js";
import { h, isTraceID, replace } from "./dom.js";
import { dashboardView, healthView, tracesView } from "./lists.js";
import { traceView } from "./trace.js";
import { errorsView } from "./errors.js";
import { slowView } from "./slow.js";
import { compareView } from "./compare.js";
import { alertsView } from "./alerts.js";
import { appView } from "./charts.js";
import { keysView } from "./keys.js";

const routes = {
  dashboard: dashboardView,
  traces: tracesView,
  trace: traceView,
  errors: errorsView,
  health: healthView,
  slow: slowView,
  compare: compareView,
  alerts: alertsView,
  app: appView,
  keys: keysView,
};

const $ = (id) => document.getElementById(id);

// route splits the fragment "#/trace/ID?x=1" into its view, argument and query.
function route() {
  const frag = location.hash.replace(/^#\/?/, "");
  const [path, qs = ""] = frag.split("?", 2);
  const [name, ...rest] = path.split("/");
  return {
    name: routes[name] ? name : "dashboard",
    arg: rest.map(decodeURIComponent).join("/"),
    query: new URLSearchParams(qs),
  };
}

// go navigates to a fragment; query is an object whose empty values are dropped.
export function go(path, query) {
  let qs = "";
  if (query) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== "" && v !== undefined && v !== null) p.set(k, v);
    qs = p.toString();
  }
  const next = "#/" + path + (qs ? "?" + qs : "");
  if (location.hash === next) render();
  else location.hash = next;
}

// setQuery replaces the fragment's query without adding a history entry or
// re-rendering: for filters that the view applies itself.
export function setQuery(query) {
  const { name, arg } = route();
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== "" && v !== undefined && v !== null) p.set(k, v);
  const qs = p.toString();
  history.replaceState(null, "", "#/" + name + (arg ? "/" + encodeURIComponent(arg) : "") + (qs ? "?" + qs : ""));
}

// showMessage puts text in the message bar; kind is "error" or "info".
export function showMessage(text, kind = "error") {
  const m = $("message");
  m.className = `message message-${kind}`;
  replace(m, text);
  m.hidden = !text;
}

export function clearMessage() {
  showMessage("");
}

// showKeyPanel asks for the API key, saying why, or offers to sign in when
// the receiver signs people in.
function showKeyPanel(reason) {
  const panel = $("key-panel");
  $("key-reason").textContent = reason;
  $("sign-in-box").hidden = !canSignIn();
  $("sign-in").href = signInURL();
  $("key-input").value = "";
  $("key-cancel").hidden = !getKey();
  panel.hidden = false;
  $("key-input").focus();
}

// failed shows what went wrong with an API call in the view and the message
// bar: never a blank page. A 401 asks for the key again.
export function failed(root, err) {
  let text;
  if (err instanceof APIError && err.status === 401) {
    if (currentSession()) {
      setSession(null); // the session ended: sign in again
      showUser();
    }
    text = getKey()
      ? `The receiver rejected the API key: ${err.message}. Enter a valid key.`
      : canSignIn()
        ? "Sign in to see this receiver's traces."
        : "This receiver needs an API key.";
    showKeyPanel(text);
  } else if (err instanceof APIError && err.status === 0) {
    text = err.message;
  } else if (err instanceof APIError) {
    text = `The receiver answered ${err.status}: ${err.message}`;
  } else {
    text = `Something went wrong in the page: ${err && err.message ? err.message : err}`;
    console.error(err);
  }
  showMessage(text);
  if (root) {
    replace(root, h("div", { class: "empty" }, h("p", {}, text), h("button", { type: "button", onclick: render }, "Retry")));
  }
}

let generation = 0;

// render draws the view of the current fragment. A render started later
// wins: views check ctx.current() before touching the page after a fetch.
export async function render() {
  const gen = ++generation;
  const r = route();
  for (const a of document.querySelectorAll("[data-nav]")) {
    const on = a.dataset.nav === r.name || (r.name === "trace" && a.dataset.nav === "traces");
    if (on) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const view = $("view");
  const root = h("div", { class: `view view-${r.name}` }, h("p", { class: "dim" }, "Loading…"));
  replace(view, root);
  clearMessage();
  const ctx = {
    arg: r.arg,
    query: r.query,
    current: () => gen === generation,
  };
  try {
    await routes[r.name](root, ctx);
    if (ctx.current()) document.title = `spantree · ${r.name}${r.arg ? " " + r.arg : ""}`;
  } catch (err) {
    if (ctx.current()) failed(root, err);
  }
}

// showUser shows who is signed in and the namespace they work in, with the
// other namespaces to switch to; or the API key button when nobody is.
function showUser() {
  const me = currentSession();
  $("user").hidden = !me;
  $("keys-nav").hidden = !me;
  $("key-button").hidden = !!me;
  if (!me) return;
  $("user-email").textContent = me.email;
  const sel = $("ns-select");
  sel.replaceChildren(...(me.namespaces || []).map((ns) => h("option", { value: ns }, ns)));
  sel.value = me.namespace;
  sel.disabled = (me.namespaces || []).length < 2;
}

async function setup() {
  await loadSession();
  showUser();
  $("ns-select").addEventListener("change", async (e) => {
    try {
      setSession(await call("setMe", { body: { namespace: e.target.value } }));
      showUser();
      render();
    } catch (err) {
      failed(null, err);
    }
  });
  $("sign-out").addEventListener("click", async () => {
    await signOut();
    showUser();
    await render();
    showKeyPanel("Signed out. Sign in again, or enter an API key.");
  });
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $("key-input").value.trim();
    if (!key) return;
    setKey(key);
    $("key-panel").hidden = true;
    render();
  });
  $("key-cancel").addEventListener("click", () => {
    $("key-panel").hidden = true;
  });
  $("key-button").addEventListener("click", () => {
    showKeyPanel(getKey() ? "Replace the stored API key." : "Enter the API key for this receiver.");
  });
  $("find").addEventListener("submit", (e) => {
    e.preventDefault();
    const id = $("find-id").value.trim();
    if (!isTraceID(id)) {
      showMessage(`"${id}" is not a trace id: want a 27-character KSUID or 32 hex characters.`);
      $("find-id").focus();
      return;
    }
    $("find-id").value = "";
    go("trace/" + encodeURIComponent(id));
  });
  window.addEventListener("hashchange", () => {
    // Move focus to the new view, for keyboards and screen readers, unless
    // the view already focused something of its own.
    render().then(() => {
      if (!$("view").contains(document.activeElement)) $("view").focus({ preventScroll: true });
    });
  });
  render();
}

setup();
