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
};

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
  const key = currentKey();
  if (key) headers["X-API-Key"] = key;
  const init = { method, headers, cache: "no-store" };
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
