// minimap.js: the overview strip above a trace's waterfall (issue 17). It
// draws every row's bar over the whole trace's time, one thin line a row,
// marks the rows in sight and the zoomed range; dragging across it zooms the
// timeline to what was dragged over, a click scrolls the rows to that place,
// and Reset zoom shows the whole trace again.

import { fmtDuration, h } from "./dom.js";

// A drag shorter than this many pixels is a click.
const CLICK_PX = 4;

// Minimap is the strip; el is its element. zoom(from, to) is called with
// the range dragged over and jump(frac) with where a click fell, from 0 (the
// first row) to 1 (the last); times are ns since the trace began, total
// the trace's length.
export class Minimap {
  constructor({ total, zoom, jump }) {
    this.total = total;
    this.onZoom = zoom;
    this.onJump = jump;
    this.from = 0;
    this.to = total;
    this.list = [];
    this.canvas = h("canvas", { class: "mm-canvas" });
    this.shadeL = h("span", { class: "mm-shade mm-shade-left" });
    this.shadeR = h("span", { class: "mm-shade mm-shade-right" });
    this.window = h("span", { class: "mm-window" });
    this.drag = h("span", { class: "mm-drag", hidden: true });
    this.track = h("span", {
      class: "mm-track",
      title: "Drag across to zoom the timeline; click to scroll the spans there",
      onpointerdown: (e) => this.down(e),
    }, this.canvas, this.shadeL, this.shadeR, this.window, this.drag);
    this.label = h("span", { class: "mm-label" }, "whole trace");
    this.reset = h("button", {
      type: "button",
      class: "mm-reset quiet",
      disabled: true,
      onclick: () => this.onZoom(0, this.total),
    }, "Reset zoom");
    this.el = h("div", { class: "wf-minimap", role: "group", "aria-label": "Overview of the trace" },
      h("span", { class: "mm-head" }, this.label, this.reset),
      this.track);
    const ro = new ResizeObserver(() => {
      if (this.track.isConnected) this.paint();
      else ro.disconnect();
    });
    ro.observe(this.track);
  }

  // bars sets the rows to draw, in order: each {from, to, failed}.
  bars(list) {
    this.list = list;
    this.paint();
  }

  // rows marks rows first up to last (fractional) of count as in sight.
  rows(first, last, count) {
    const n = Math.max(count, 1);
    this.window.style.top = `${(100 * first) / n}%`;
    this.window.style.height = `${(100 * Math.max(Math.min(last, n) - first, 0)) / n}%`;
  }

  // zoomed shows from..to as the timeline's range: the owner calls it once
  // it has zoomed.
  zoomed(from, to) {
    this.from = from;
    this.to = to;
    const whole = from <= 0 && to >= this.total;
    this.reset.disabled = whole;
    this.label.textContent = whole ? "whole trace" : `+${fmtDuration(from)} to +${fmtDuration(to)}`;
    this.shadeL.style.width = `${(100 * from) / this.total}%`;
    this.shadeR.style.width = `${(100 * (this.total - to)) / this.total}%`;
  }

  // paint draws the bars, one line a row, on a canvas as wide as the track.
  paint() {
    const w = this.track.clientWidth;
    const ht = this.track.clientHeight;
    if (!w || !ht) return;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(ht * dpr);
    const g = this.canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, ht);
    const css = getComputedStyle(this.track);
    const colours = [css.getPropertyValue("--bar").trim() || "#5b8def", css.getPropertyValue("--bad").trim() || "#b42318"];
    const n = Math.max(this.list.length, 1);
    const rh = Math.max(ht / n, 1);
    // Failed rows last and at least 2 by 3 px, so that they are seen over
    // the rest.
    for (const failed of [false, true]) {
      g.fillStyle = colours[failed ? 1 : 0];
      const minW = failed ? 2 : 1;
      const minH = failed ? Math.max(rh, 3) : rh;
      this.list.forEach((r, k) => {
        if (r.failed !== failed) return;
        const x = (w * r.from) / this.total;
        g.fillRect(x, (ht * k) / n, Math.max((w * (r.to - r.from)) / this.total, minW), minH);
      });
    }
  }

  // down starts a drag: across, it zooms; in place, it is a click.
  down(e) {
    if (e.button !== 0) return;
    e.preventDefault();
    const box = this.track.getBoundingClientRect();
    const clamp = (x) => Math.max(0, Math.min(box.width, x - box.left));
    const x0 = clamp(e.clientX);
    const move = (ev) => {
      const x = clamp(ev.clientX);
      this.drag.hidden = false;
      this.drag.style.left = `${Math.min(x0, x)}px`;
      this.drag.style.width = `${Math.abs(x - x0)}px`;
    };
    const end = () => {
      removeEventListener("pointermove", move);
      removeEventListener("pointerup", up);
      removeEventListener("pointercancel", end);
      this.drag.hidden = true;
    };
    const up = (ev) => {
      end();
      const x1 = clamp(ev.clientX);
      if (Math.abs(x1 - x0) < CLICK_PX) {
        this.onJump((ev.clientY - box.top) / box.height);
        return;
      }
      const from = (this.total * Math.min(x0, x1)) / box.width;
      const to = (this.total * Math.max(x0, x1)) / box.width;
      this.onZoom(from, to);
    };
    // Captured, the pointer's events reach the track (and window, where
    // they are listened for) even when it leaves the page.
    this.track.setPointerCapture(e.pointerId);
    addEventListener("pointermove", move);
    addEventListener("pointerup", up);
    addEventListener("pointercancel", end);
  }
}
