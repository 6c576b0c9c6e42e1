// keys.js: the Keys page of a signed-in user: the API keys of the namespace
// the user works in, for programs to send spans with, made and revoked
// here. A new key is shown once; the receiver keeps only its hash.

import { call, currentSession } from "./api.js";
import { failed, render, showMessage } from "./app.js";
import { h, replace, timeEl } from "./dom.js";

// keysView renders GET /v1/keys, with a button that makes a key.
export async function keysView(root, ctx) {
  const me = currentSession();
  if (!me) {
    replace(root, h("h1", {}, "Keys"), h("p", { class: "empty" }, "Sign in to make and revoke the API keys of your namespaces."));
    return;
  }
  const { keys } = await call("keys");
  if (!ctx.current()) return;
  const shown = h("div", { id: "new-key-box", "aria-live": "polite" });
  replace(
    root,
    h("h1", {}, "Keys"),
    h("p", {}, "API keys of namespace ", h("strong", { id: "keys-namespace" }, me.namespace),
      ": a program sends its spans with one in ", h("code", {}, "SPANTREE_API_KEY"), "."),
    h("button", { type: "button", id: "create-key", onclick: () => createKey(shown) }, "Create key"),
    shown,
    keyTable(keys || []),
  );
}

async function createKey(box) {
  try {
    const k = await call("createKey", { body: {} });
    await render();
    const target = document.getElementById("new-key-box") || box;
    replace(target, h("p", {}, "The new key ", h("code", {}, k.id), " of ", k.namespace,
      ". Copy it now: it is not shown again."), h("code", { class: "new-key", id: "new-key" }, k.key));
  } catch (err) {
    failed(null, err);
  }
}

function keyTable(keys) {
  if (keys.length === 0) return h("p", { class: "empty" }, "No key in this namespace yet.");
  return h("div", { class: "scroll" }, h(
    "table",
    { class: "grid key-list" },
    h("caption", { class: "sr-only" }, "API keys"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Id"), h("th", { scope: "col" }, "Created"), h("th", { scope: "col" }, ""))),
    h("tbody", {}, keys.map((k) => h("tr", { dataset: { key: k.id } },
      h("td", {}, h("code", {}, k.id)),
      h("td", {}, timeEl(k.created)),
      h("td", {}, revokeButton(k.id))))),
  ));
}

// revokeButton asks once more before it revokes: programs using the key
// are refused at once.
function revokeButton(id) {
  const b = h("button", { type: "button", class: "revoke", "aria-label": `Revoke key ${id}` }, "Revoke");
  b.addEventListener("click", async () => {
    if (b.dataset.armed !== "1") {
      b.dataset.armed = "1";
      b.textContent = "Revoke: sure?";
      return;
    }
    try {
      await call("revokeKey", { params: { id } });
      await render();
      showMessage(`Key ${id} revoked: programs using it are refused from now on.`, "info");
    } catch (err) {
      failed(null, err);
    }
  });
  return b;
}
