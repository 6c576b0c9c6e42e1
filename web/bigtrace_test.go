package web_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
)

// The big trace: a root of 10 s, 100 batches 100 ms apart, each of 9 items
// 10 ms apart, each of 10 steps: 10,001 spans in all. Batch k is row
// 1+100k of the tree; one step of batch 70 failed and failed the rest up to
// the root.
const (
	bigBatches = 100
	bigItems   = 9
	bigSteps   = 10
	bigSpans   = 1 + bigBatches*(1+bigItems*(1+bigSteps))
	bigFailed  = 70 // the batch whose step failed
	// rowBound is the most rows that may be in the DOM at once: the rows in
	// sight of a tree at most a window high (860 px over 26 px rows) and the
	// few either side.
	rowBound = 60
)

// bigRow is the span id of the big trace's row i: they are made in the
// tree's order.
func bigRow(i int) spantree.SpanID {
	n := i + 1
	return spantree.SpanID{0, 0, 0, 9, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

// bigTrace ingests the big trace and returns its id.
func bigTrace(t *testing.T, c *client.Client) spantree.TraceID {
	t.Helper()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	id := spantree.NewTraceID(t0)
	n := 0
	sid := func() spantree.SpanID {
		n++
		return bigRow(n - 1)
	}
	ms := func(f float64) time.Time { return t0.Add(time.Duration(f * float64(time.Millisecond))) }
	disk := &spantree.ErrorInfo{Type: "*errors.errorString", Message: "disk full"}
	root := spantree.SpanData{TraceID: id, SpanID: sid(), Name: "big.Run", Location: "big/run.go:10",
		Start: ms(0), End: ms(10000), Status: spantree.StatusFailed, Error: disk}
	spans := []spantree.SpanData{root}
	for k := range bigBatches {
		bs := float64(k) * 100
		batch := spantree.SpanData{TraceID: id, SpanID: sid(), ParentID: root.SpanID, Name: "big.batch",
			Location: "big/run.go:20", Start: ms(bs), End: ms(bs + 90), Status: spantree.StatusSucceeded,
			Attrs: map[string]any{"batch": k}}
		if k == bigFailed {
			batch.Status, batch.Error = spantree.StatusFailed, disk
		}
		spans = append(spans, batch)
		for j := range bigItems {
			is := bs + float64(j)*10
			item := spantree.SpanData{TraceID: id, SpanID: sid(), ParentID: batch.SpanID, Name: "big.item",
				Location: "big/item.go:5", Start: ms(is), End: ms(is + 9), Status: spantree.StatusSucceeded}
			if k == bigFailed && j == 4 {
				item.Status, item.Error = spantree.StatusFailed, disk
			}
			spans = append(spans, item)
			for m := range bigSteps {
				ss := is + float64(m)*0.9
				step := spantree.SpanData{TraceID: id, SpanID: sid(), ParentID: item.SpanID, Name: "big.step",
					Location: "big/item.go:12", Start: ms(ss), End: ms(ss + 0.8), Status: spantree.StatusSucceeded}
				if k == bigFailed && j == 4 && m == 6 {
					step.Status, step.Error = spantree.StatusFailed, disk
					step.Attrs = map[string]any{"key": "needle-7006"}
				}
				spans = append(spans, step)
			}
		}
	}
	if len(spans) != bigSpans {
		t.Fatalf("made %d spans; want %d", len(spans), bigSpans)
	}
	for len(spans) > 0 {
		b := spans[:min(len(spans), 2000)]
		spans = spans[len(b):]
		if _, err := c.Ingest(context.Background(), spantree.Batch{Tags: map[string]string{"service": "big"}, Spans: b}); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// paintedJS waits two animation frames: what the page changed before is laid
// out and painted.
const paintedJS = `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`

// rowCountJS counts the span rows in the DOM.
const rowCountJS = `document.querySelectorAll(".wf-row").length`

// TestBrowserBigTrace opens a trace of 10,001 spans: only the rows in sight
// are in the DOM whatever is done (open, scroll, collapse, keys, find), and
// dragging across the minimap zooms the timeline. It logs how long opening
// and collapsing took (wall-clock figures on a shared machine: logged, not
// checked).
func TestBrowserBigTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "big.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	local := server.Local(st, "default")
	id := bigTrace(t, client.NewHandler(local))
	ts := localUI(t, local)
	b.do(chromedp.Navigate(ts.URL + "/ui/#/traces"))
	b.waitText("#view", "big.Run")

	rows := func(when string) {
		t.Helper()
		if n := eval[int](b, rowCountJS); n > rowBound || n == 0 {
			t.Errorf("%s: %d rows in the DOM; want 1 to %d", when, n, rowBound)
		}
	}
	// inSight says whether node index i's row is rendered and wholly inside
	// the tree's scrolled box.
	inSight := func(i int) bool {
		t.Helper()
		return eval[bool](b, fmt.Sprintf(`(() => {
  const el = document.querySelector('.wf-row[data-index="%d"]');
  if (!el) return false;
  const r = el.getBoundingClientRect(), box = document.querySelector(".wf-rows").getBoundingClientRect();
  return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
})()`, i))
	}
	selected := func() string {
		t.Helper()
		return eval[string](b, `(document.querySelector(".wf-row.selected") || {dataset: {}}).dataset.span || ""`)
	}
	failedRow := 1 + bigFailed*100 + 1 + 4*(1+bigSteps) + 1 + 6
	failed := bigRow(failedRow)

	t.Run("open", func(t *testing.T) {
		b.t = t
		// The fetch alone, for comparison: the same request the page makes.
		fetch := eval[float64](b, fmt.Sprintf(`(async () => {
  const t0 = performance.now();
  await (await import("./api.js")).call("trace", { params: { id: %q } });
  return performance.now() - t0;
})()`, id.String()))
		ms := eval[float64](b, fmt.Sprintf(`(async () => {
  const t0 = performance.now();
  location.hash = %q;
  while (!document.querySelector(".wf-row.selected")) await new Promise((r) => requestAnimationFrame(r));
  await %s;
  return performance.now() - t0;
})()`, "#/trace/"+id.String(), paintedJS))
		draw := eval[float64](b, `performance.getEntriesByName("spantree:trace-draw").at(-1).duration`)
		t.Logf("%d-span trace: open to rendered %.0f ms, of which the page's drawing %.0f ms (fetching and decoding the trace alone: %.0f ms)",
			bigSpans, ms, draw, fetch)
		b.waitText(".trace-head", fmt.Sprintf("%d spans", bigSpans))
		t.Logf("%d row elements in the DOM", eval[int](b, rowCountJS))
		rows("opened")
		// It opens on the step that failed, in sight, deep in the trace.
		if got := selected(); got != failed.String() {
			t.Errorf("selected %s; want the failed step %s", got, failed)
		}
		if !inSight(failedRow) {
			t.Errorf("the failed step's row %d is not in sight", failedRow)
		}
		// The tree scrolls as far as all the rows would reach.
		if got := eval[[]float64](b, `(() => { const tr = document.querySelector(".wf-rows"), r = tr.querySelector(".wf-row");
  return [tr.scrollHeight, r.getBoundingClientRect().height]; })()`); math.Abs(got[0]-bigSpans*got[1]) > got[1] {
			t.Errorf("the tree is %.0f px high; want %d rows of %.2f px", got[0], bigSpans, got[1])
		}
		b.noErrors()
	})

	t.Run("scroll", func(t *testing.T) {
		b.t = t
		eval[chromedp.Void](b, `(() => { const tr = document.querySelector(".wf-rows"); tr.scrollTop = tr.scrollHeight; })()`)
		b.waitFor("the last row", fmt.Sprintf(`!!document.querySelector('.wf-row[data-index="%d"]')`, bigSpans-1))
		rows("scrolled to the end")
		if !inSight(bigSpans - 1) {
			t.Errorf("the last row is not in sight at the end")
		}
		// The minimap frames the rows in sight: the last ones.
		if top := eval[float64](b, `parseFloat(document.querySelector(".mm-window").style.top)`); top < 95 {
			t.Errorf("the minimap's window starts at %.1f%%; want the end of the trace", top)
		}
		b.noErrors()
	})

	t.Run("links land on their span", func(t *testing.T) {
		b.t = t
		for _, tt := range []struct {
			query string
			row   int
		}{
			{"?span=" + bigRow(1+90*100+1+8*11+1+9).String(), 1 + 90*100 + 1 + 8*11 + 1 + 9}, // the last step of batch 90
			{"?span=" + bigRow(1).String(), 1},
			{"?name=big.step&loc=big/item.go:12&msg=disk+full", failedRow}, // an error group's last trace
			{"?name=big.batch", 1 + bigFailed*100},                         // a dashboard row's: the one of the name that failed
		} {
			b.goHash("#/trace/" + id.String() + tt.query)
			want := bigRow(tt.row).String()
			b.waitFor(tt.query, fmt.Sprintf(`(document.querySelector(".wf-row.selected") || {dataset: {}}).dataset.span === %q`, want))
			if !inSight(tt.row) {
				t.Errorf("%s: the selected row %d is not in sight", tt.query, tt.row)
			}
			rows(tt.query)
		}
		b.goHash("#/trace/" + id.String())
		b.waitFor("the failed step", fmt.Sprintf(`(document.querySelector(".wf-row.selected") || {dataset: {}}).dataset.span === %q`, failed))
		b.noErrors()
	})

	t.Run("keys", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Focus(chromedp.CSS(".wf-rows")))
		b.do(chromedp.KeyEvent(kb.Home))
		b.waitFor("the root focused", `document.activeElement.dataset.index === "0"`)
		rows("Home")
		b.do(chromedp.KeyEvent(kb.End))
		b.waitFor("the last row focused", fmt.Sprintf(`document.activeElement.dataset.index === "%d"`, bigSpans-1))
		if !inSight(bigSpans - 1) {
			t.Errorf("End: the last row is not in sight")
		}
		b.do(chromedp.KeyEvent(kb.Home), chromedp.KeyEvent(kb.PageDown))
		b.waitFor("a page down", `+document.activeElement.dataset.index > 10`)
		at := eval[int](b, `+document.activeElement.dataset.index`)
		// Down past the bottom of the tree's box scrolls it.
		for range 3 {
			b.do(chromedp.KeyEvent(kb.ArrowDown))
		}
		b.waitFor("three rows down", fmt.Sprintf(`+document.activeElement.dataset.index === %d`, at+3))
		if !inSight(at + 3) {
			t.Errorf("row %d, three below a page down, is not in sight", at+3)
		}
		rows("keys")
		// Scrolled away from the focused row, the tree keeps the focus
		// and the keys go on from the selection.
		eval[chromedp.Void](b, `document.querySelector(".wf-rows").scrollTop = 200000`)
		b.waitFor("the row out of the DOM", fmt.Sprintf(`!document.querySelector('.wf-row[data-index="%d"]')`, at+3))
		if got := eval[string](b, `document.activeElement.className`); got != "wf-rows" {
			t.Errorf("scrolled away, focus on %q; want the tree", got)
		}
		b.do(chromedp.KeyEvent(kb.ArrowDown))
		b.waitFor("the next row focused", fmt.Sprintf(`+document.activeElement.dataset.index === %d`, at+4))
		if !inSight(at + 4) {
			t.Errorf("row %d, down from the selection, is not in sight", at+4)
		}
		b.noErrors()
	})

	t.Run("narrow window", func(t *testing.T) {
		b.t = t
		b.do(chromedp.EmulateViewport(380, 800))
		defer b.do(chromedp.EmulateViewport(1280, 860))
		// The rows are taller (the bar under the name): the tree measures
		// them and still renders only those in sight.
		b.waitFor("taller rows", `document.querySelector(".wf-row").getBoundingClientRect().height > 40`)
		b.waitFor("the tree sized by them", `(() => { const tr = document.querySelector(".wf-rows");
  return Math.abs(tr.scrollHeight - `+fmt.Sprint(bigSpans)+` * tr.querySelector(".wf-row").getBoundingClientRect().height) < 50; })()`)
		t.Logf("narrow: %d row elements in the DOM", eval[int](b, rowCountJS))
		rows("narrow")
		b.do(chromedp.KeyEvent(kb.ArrowDown))
		b.waitFor("the next row focused", `document.activeElement.classList.contains("wf-row")`)
		if i := eval[int](b, `+document.activeElement.dataset.index`); !inSight(i) {
			t.Errorf("narrow: the focused row %d is not in sight", i)
		}
		b.noErrors()
	})

	t.Run("find", func(t *testing.T) {
		b.t = t
		b.do(chromedp.SendKeys(chromedp.CSS(".find-input"), "needle-7006"))
		b.waitText(".find-count", "1 of 1")
		if got := selected(); got != failed.String() {
			t.Errorf("find selected %s; want the failed step %s", got, failed)
		}
		if !inSight(failedRow) {
			t.Errorf("the found row %d is not in sight", failedRow)
		}
		if n := eval[int](b, `document.querySelectorAll(".wf-row.match").length`); n != 1 {
			t.Errorf("%d rows marked; want 1", n)
		}
		b.do(chromedp.SendKeys(chromedp.CSS(".find-input"), kb.Escape))
		b.noErrors()
	})

	// collapse clicks node i's twisty, which must be in sight, and returns
	// how long until the page painted.
	collapse := func(i int) float64 {
		t.Helper()
		eval[chromedp.Void](b, fmt.Sprintf(`(() => { const tr = document.querySelector(".wf-rows"); tr.scrollTop = %d * tr.querySelector(".wf-row").getBoundingClientRect().height; })()`, i))
		b.waitFor("the row", fmt.Sprintf(`!!document.querySelector('.wf-row[data-index="%d"] .twisty')`, i))
		return eval[float64](b, fmt.Sprintf(`(async () => {
  const t0 = performance.now();
  document.querySelector('.wf-row[data-index="%d"] button.twisty').click();
  await %s;
  return performance.now() - t0;
})()`, i, paintedJS))
	}

	t.Run("collapse", func(t *testing.T) {
		b.t = t
		batch := 1 + bigFailed*100
		ms := collapse(batch)
		t.Logf("collapse a batch of 100 spans: %.0f ms", ms)
		b.waitText(fmt.Sprintf(`.wf-row[data-index="%d"]`, batch), "+99")
		ms = collapse(0)
		t.Logf("collapse the root of %d spans: %.0f ms", bigSpans, ms)
		b.waitText(`.wf-row[data-index="0"]`, fmt.Sprintf("+%d", bigSpans-1))
		if n := eval[int](b, rowCountJS); n != 1 {
			t.Errorf("the root collapsed, %d rows; want 1", n)
		}
		ms = collapse(0)
		t.Logf("expand the root again: %.0f ms", ms)
		b.waitFor("the rows back", `document.querySelectorAll(".wf-row").length > 10 && !!document.querySelector('.wf-row[data-index="1"]')`)
		rows("expanded")
		b.noErrors()
	})

	t.Run("minimap zoom", func(t *testing.T) {
		b.t = t
		// In sight: batch 30, from 3.00 s to 3.09 s of the 10 s trace.
		batch := 1 + 30*100
		eval[chromedp.Void](b, fmt.Sprintf(`(() => { const tr = document.querySelector(".wf-rows"); tr.scrollTop = %d * tr.querySelector(".wf-row").getBoundingClientRect().height; })()`, batch))
		b.waitFor("batch 30", fmt.Sprintf(`!!document.querySelector('.wf-row[data-index="%d"] .bar')`, batch))
		eval[chromedp.Void](b, `window.scrollTo(0, 0)`)
		bar := func() []float64 {
			t.Helper()
			return eval[[]float64](b, fmt.Sprintf(`(() => { const s = document.querySelector('.wf-row[data-index="%d"] .bar').style;
  return [parseFloat(s.left), parseFloat(s.width)]; })()`, batch))
		}
		before := bar()
		if want := []float64{30, 0.9}; math.Abs(before[0]-want[0]) > 0.01 || math.Abs(before[1]-want[1]) > 0.01 {
			t.Errorf("batch 30's bar at %v%% (left, width); want %v", before, want)
		}
		// The minimap frames the rows in sight, about 30% down.
		if top := eval[float64](b, `parseFloat(document.querySelector(".mm-window").style.top)`); top < 29 || top > 31 {
			t.Errorf("the minimap's window starts at %.1f%%; want about 30%%", top)
		}
		box := eval[[]float64](b, `(() => { const r = document.querySelector(".mm-track").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
		// Drags across the strip, from and to as parts of its width; bar is
		// where batch 30's bar is then (left and width in %), nil for none.
		for _, tt := range []struct {
			from, to float64
			label    string
			tick     string
			bar      []float64
		}{
			{0.25, 0.5, "+2.50s to +5.00s", "2.50s", []float64{20, 3.6}},
			{0.4, 0.2, "+2.00s to +4.00s", "2.00s", []float64{50, 4.5}}, // leftwards
			{0.8, 1.2, "+8.00s to +10.0s", "8.00s", nil},                // past the end: to the end
			{0.3, 0.32, "+3.00s to +3.20s", "3.00s", []float64{0, 45}},
		} {
			x0, x1, y := box[0]+box[2]*tt.from, box[0]+box[2]*tt.to, box[1]+box[3]/2
			b.do(chromedp.MouseEvent(chromedp.MousePressed, x0, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
				chromedp.MouseEvent(chromedp.MouseMoved, (x0+x1)/2, y, chromedp.ButtonLeft),
				chromedp.MouseEvent(chromedp.MouseMoved, x1, y, chromedp.ButtonLeft),
				chromedp.MouseEvent(chromedp.MouseReleased, x1, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
			b.waitText(".mm-label", tt.label)
			if got := b.text(".wf-axis .tick"); got != tt.tick {
				t.Errorf("zoomed to %s, the axis starts at %q; want %s", tt.label, got, tt.tick)
			}
			if eval[bool](b, `document.querySelector(".mm-reset").disabled`) {
				t.Errorf("zoomed to %s, Reset zoom is disabled", tt.label)
			}
			got := eval[[]float64](b, fmt.Sprintf(`(() => { const el = document.querySelector('.wf-row[data-index="%d"] .bar');
  return el ? [parseFloat(el.style.left), parseFloat(el.style.width)] : null; })()`, batch))
			if tt.bar == nil && got != nil || tt.bar != nil && (got == nil || math.Abs(got[0]-tt.bar[0]) > 0.2 || math.Abs(got[1]-tt.bar[1]) > 0.2) {
				t.Errorf("zoomed to %s, batch 30's bar at %v%% (left, width); want %v", tt.label, got, tt.bar)
			}
			rows("zoomed to " + tt.label)
		}
		b.screenshot("trace-10k-zoomed")

		b.do(chromedp.Click(chromedp.CSS(".mm-reset")))
		b.waitFor("the reset", `document.querySelector(".mm-reset").disabled`)
		if got := bar(); math.Abs(got[0]-before[0]) > 0.01 || math.Abs(got[1]-before[1]) > 0.01 {
			t.Errorf("reset, batch 30's bar at %v%%; want %v again", got, before)
		}
		// From the keyboard: z zooms to the selected span, Z back out.
		b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`.wf-row[data-index="%d"] .span-name`, batch))))
		b.waitFor("batch 30 focused", fmt.Sprintf(`document.activeElement.dataset.index === "%d"`, batch))
		b.do(chromedp.KeyEvent("z"))
		b.waitText(".mm-label", "+3.00s to +3.09s")
		if got := bar(); math.Abs(got[0]) > 0.01 || math.Abs(got[1]-100) > 0.01 {
			t.Errorf("z on batch 30: its bar at %v%%; want [0 100]", got)
		}
		if got := eval[string](b, `document.activeElement.dataset.index`); got != fmt.Sprint(batch) {
			t.Errorf("z: focus on row %q; want batch 30's still", got)
		}
		b.do(chromedp.KeyEvent("Z"))
		b.waitText(".mm-label", "whole trace")
		// A click on the minimap scrolls the rows there: the last tenth.
		b.do(chromedp.MouseClickXY(box[0]+box[2]/2, box[1]+box[3]*0.95))
		b.waitFor("rows near the end", fmt.Sprintf(`!!document.querySelector('.wf-row[data-index="%d"]')`, 1+95*100))
		rows("a click on the minimap")
		b.noErrors()
	})
}
