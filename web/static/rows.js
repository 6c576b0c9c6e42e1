// rows.js: a scrolling list that keeps only the rows in sight in the DOM
// (issue 17: a 10,000-span trace took 3.8 s to open and 3 s to collapse a
// span with every row in the page).

import { h } from "./dom.js";

// OVERSCAN is how many rows either side of those in sight are kept ready.
const OVERSCAN = 8;

// Rows renders items of a list, in order, into el, a scrolling box of
// attrs (el's own role, label, key handler), as rows of one height: those
// in sight and OVERSCAN either side, the rest as padding, so that the
// scroll bar reads as if all were there. make(item) builds an item's row;
// focused() is the item whose row should hold the focus; inSight(first,
// last, count) hears which rows, fractional, are in sight after each
// render.
export class Rows {
  constructor(attrs, { make, focused, inSight }) {
    this.make = make;
    this.focused = focused;
    this.inSight = inSight;
    this.items = [];
    this.at = new Map(); // item -> its place in items
    this.shown = new Map(); // item -> its rendered row
    this.height = 28; // px, measured from a rendered row
    this.frame = 0;
    this.body = h("div", { class: "rows-body", role: "none" });
    this.el = h("div", { ...attrs, onscroll: () => this.scrolled() }, this.body);
    // The rows in sight change with the box's height (a resized window).
    const ro = new ResizeObserver(() => {
      if (!this.el.isConnected) {
        ro.disconnect();
        return;
      }
      this.measure();
      this.render(false);
    });
    ro.observe(this.el);
  }

  // set replaces the list: items in order, each once.
  set(items) {
    this.items = items;
    this.at = new Map(items.map((it, k) => [it, k]));
  }

  // place is item's place in the list, or -1.
  place(item) {
    const k = this.at.get(item);
    return k === undefined ? -1 : k;
  }

  // row is item's rendered row, or undefined when it is out of sight.
  row(item) {
    return this.shown.get(item);
  }

  // page is how many rows a page up or down moves.
  page() {
    return Math.max(1, Math.floor(this.el.clientHeight / this.height) - 1);
  }

  // render puts the rows in sight in the DOM. Rows still in sight are kept
  // unless fresh (after a change of what rows show), so the focus stays on
  // them; a focused row that leaves the DOM passes the focus to the
  // focused() item's new row, or to the box when that is out of sight.
  render(fresh) {
    const H = this.height;
    const view = this.el.clientHeight || window.innerHeight;
    const top = this.el.scrollTop;
    const first = Math.max(0, Math.floor(top / H) - OVERSCAN);
    const last = Math.min(this.items.length, Math.ceil((top + view) / H) + OVERSCAN);
    const hadFocus = this.el.contains(document.activeElement) && document.activeElement !== this.el;
    const shown = new Map();
    for (let k = first; k < last; k++) {
      const el = !fresh && this.shown.get(this.items[k]);
      if (el) shown.set(this.items[k], el);
    }
    for (const [it, el] of this.shown) if (shown.get(it) !== el) el.remove();
    // Kept rows stay where they are (moving a focused row would blur it);
    // new ones go in around them.
    let cur = this.body.firstChild;
    for (let k = first; k < last; k++) {
      const it = this.items[k];
      let el = shown.get(it);
      if (!el) shown.set(it, (el = this.make(it)));
      if (el === cur) cur = cur.nextSibling;
      else this.body.insertBefore(el, cur);
    }
    this.shown = shown;
    this.body.style.height = `${this.items.length * H}px`;
    this.body.style.paddingTop = `${first * H}px`;
    // The box is the tab stop when the focused item's row is out of sight.
    const want = shown.get(this.focused());
    this.el.tabIndex = want ? -1 : 0;
    if (hadFocus && !this.el.contains(document.activeElement)) (want || this.el).focus({ preventScroll: true });
    this.inSight(Math.floor(top / H), (top + view) / H, this.items.length);
  }

  // measure takes the row height from a rendered row (rows are taller in
  // a narrow window) and renders again if it was not what was assumed.
  measure() {
    const el = this.body.firstElementChild;
    const H = el ? el.getBoundingClientRect().height : 0;
    if (H > 0 && Math.abs(H - this.height) > 0.01) {
      const top = this.el.scrollTop / this.height;
      this.height = H;
      this.el.scrollTop = top * H;
      this.render(false);
    }
  }

  // scrolled renders the rows that came into sight, once a frame.
  scrolled() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render(false);
    });
  }

  // center scrolls item's row to the middle of the box.
  center(item) {
    const k = this.place(item);
    if (k < 0) return;
    this.scrollTo((k + 0.5) / Math.max(this.items.length, 1));
  }

  // scrollTo scrolls the rows at frac (0 to 1) of the list to the middle
  // of the box.
  scrollTo(frac) {
    this.el.scrollTop = Math.max(0, frac * this.items.length * this.height - this.el.clientHeight / 2);
    this.render(false);
  }

  // reveal scrolls the box, and the page if need be, until item's row is
  // wholly in sight.
  reveal(item) {
    const k = this.place(item);
    if (k < 0) return;
    const top = k * this.height;
    const view = this.el.clientHeight;
    if (top < this.el.scrollTop) this.el.scrollTop = top;
    else if (top + this.height > this.el.scrollTop + view) this.el.scrollTop = top + this.height - view;
    this.render(false);
    const el = this.row(item);
    if (el) el.scrollIntoView({ block: "nearest" });
  }
}
