// api.js: the receiver's JSON API as the page uses it.
//
// Every endpoint the page calls is listed in ENDPOINTS as "METHOD /path",
// spelled as in the receiver's API document; web's Go tests read this table
// and check each entry against the real server.

export const ENDPOINTS = {
  dashboard: "GET /v1/dashboard",
  series: "GET /v1/series",
  traces: "GET /v1/traces",
  services: "GET /v1/services",
  trace: "GET /v1/traces/{id}",
  errors: "GET /v1/errors",
  annotate: "PUT /v1/errors/{fingerprint}",
  health: "GET /v1/health",
  status: "GET /v1/status",
  slow: "GET /v1/slow",
  alerts: "GET /v1/alerts",
  alertRules: "GET /v1/alerts/rules",
  setAlertRule: "POST /v1/alerts/rules",
  deleteAlertRule: "DELETE /v1/alerts/rules/{id}",
  me: "GET /v1/me",
  setMe: "PUT /v1/me",
  keys: "GET /v1/keys",
  createKey: "POST /v1/keys",
  revokeKey: "DELETE /v1/keys/{id}",
};

// The sign-in routes of the receiver (package signin), next to the API:
// pages the browser goes to, not JSON endpoints.
const SIGN_IN = "../auth/login";
const SIGN_OUT = "../auth/logout";

// session is the signed-in user (GET /v1/me) when the page works with a
// session cookie instead of an API key; null otherwise.
let session = null;

export function currentSession() {
  return session;
}

// signInAvailable is set once GET /v1/me said the receiver signs people in.
let signInAvailable = false;

export function canSignIn() {
  return signInAvailable;
}

// loadSession asks the receiver who the session cookie stands for: the
// user (and the page then sends no API key), or null when nobody is signed
// in. It also learns whether the receiver signs people in at all (404: keys
// only).
export async function loadSession() {
  let res;
  try {
    res = await fetch(apiURL(ENDPOINTS.me.split(" ")[1]), { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" });
  } catch {
    return null; // the first API call says what is wrong
  }
  signInAvailable = res.status !== 404;
  session = res.ok ? await res.json() : null;
  return session;
}

// setSession replaces the user after PUT /v1/me.
export function setSession(me) {
  session = me;
}

// signInURL is where the sign-in starts; the browser comes back to the
// page's current view.
export function signInURL() {
  const u = new URL(SIGN_IN, document.baseURI);
  u.searchParams.set("return", location.pathname + location.hash);
  return u.toString();
}

// signOut ends the session.
export async function signOut() {
  const headers = {};
  if (session) headers["X-CSRF-Token"] = session.csrf_token;
  session = null;
  await fetch(new URL(SIGN_OUT, document.baseURI), { method: "POST", headers, credentials: "same-origin" });
}

const KEY_STORAGE = "spantree.apiKey";

// APIError is a failed call: status is the HTTP status, or 0 when the
// receiver could not be reached at all.
export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "APIError";
    this.status = status;
  }
}

export function getKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return ""; // storage disabled: the key lives only as long as the page
  }
}

let memoryKey = "";

export function setKey(key) {
  memoryKey = key;
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage disabled (private mode): keep the key in memory only.
  }
}

function currentKey() {
  return getKey() || memoryKey;
}

// apiURL resolves an API path against the page: the page is served at the
// receiver's root or one level below it (/ui/), so "../v1/..." reaches the
// API either way.
function apiURL(path, query) {
  const u = new URL(".." + path, document.baseURI);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === "") continue;
      if (Array.isArray(v)) v.forEach((x) => x && u.searchParams.append(k, x));
      else u.searchParams.set(k, String(v));
    }
  }
  return u;
}

// call invokes endpoint (a key of ENDPOINTS) with path parameters params,
// query parameters query and an optional JSON body, and returns the decoded
// JSON answer or throws an APIError with a message fit for the page.
export async function call(endpoint, { params = {}, query, body } = {}) {
  const spec = ENDPOINTS[endpoint];
  if (!spec) throw new Error(`unknown endpoint ${endpoint}`);
  const [method, pattern] = spec.split(" ");
  const path = pattern.replace(/\{(\w+)\}/g, (_, name) => {
    if (!(name in params)) throw new Error(`${spec}: missing ${name}`);
    return encodeURIComponent(params[name]);
  });
  const url = apiURL(path, query);
  const headers = { Accept: "application/json" };
  if (session) {
    // The session cookie goes by itself; what changes something carries
    // the session's CSRF token.
    if (method !== "GET") headers["X-CSRF-Token"] = session.csrf_token;
  } else {
    const key = currentKey();
    if (key) headers["X-API-Key"] = key;
  }
  const init = { method, headers, cache: "no-store", credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new APIError(0, `Cannot reach the receiver at ${url.origin} (${e.message}). Is \`spantree serve\` running?`);
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      if (res.ok) throw new APIError(res.status, `${method} ${path}: the answer is not JSON`);
    }
  }
  if (!res.ok) {
    const detail = (data && data.error) || text.trim() || res.statusText;
    throw new APIError(res.status, detail);
  }
  return data;
}
