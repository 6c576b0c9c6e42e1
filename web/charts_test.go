package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestBrowserAppCharts opens an app's page: its status, three charts of its
// roots drawn from GET /v1/series, its functions and error groups; a drag
// across a chart zooms every chart to that range (since= and until= in the
// fragment), and Reset zoom goes back to the window.
func TestBrowserAppCharts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	r := newReceiver(t)
	b.openWithKey(r, "#/app/shop")
	b.waitFor("three charts", `document.querySelectorAll(".chart canvas").length === 3`)
	// shop's roots in the last hour: the warm-up, the failed checkout and
	// the payment (payd's span has a parent: not a root).
	sum := func(series int) int {
		return eval[int](b, `document.querySelector(".chart").chart.data[`+strconv.Itoa(series)+`].reduce((a, v) => a + (v || 0), 0)`)
	}
	if calls, failed := sum(1), sum(2); calls != 3 || failed != 1 {
		t.Errorf("the requests chart sums %d calls, %d failed; want 3, 1", calls, failed)
	}
	for _, title := range []string{"Requests per minute", "Failure rate", "Latency"} {
		if !strings.Contains(b.text(".charts"), title) {
			t.Errorf("the charts have no %q: %q", title, b.text(".charts"))
		}
	}
	b.waitText(".app-status-line", "nobody judged")
	b.waitText(`section[aria-label="Functions"] tr[data-name="db.Connect"]`, "db.Connect")
	b.waitText(`section[aria-label="Error groups"]`, "*net.OpError")
	b.screenshot("app-charts")

	// Drag across the second half of the requests chart, to its end.
	box := eval[[]float64](b, `(() => { const r = document.querySelector(".chart .u-over").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	x0, x1, y := box[0]+box[2]*0.5, box[0]+box[2]-1, box[1]+box[3]/2
	before := time.Now()
	b.do(
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0, y),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (x0+x1)/2, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	)
	b.waitFor("the zoomed fragment", `location.hash.includes("until=") && document.querySelectorAll(".chart canvas").length === 3`)
	frag := eval[string](b, `decodeURIComponent(location.hash)`)
	since, until := fragTime(t, frag, "since"), fragTime(t, frag, "until")
	// The hour shown was [now-1h, now]: its second half starts about 30
	// minutes back.
	if d := before.Sub(since); d < 20*time.Minute || d > 40*time.Minute || !until.After(since) || until.After(time.Now().Add(time.Minute)) {
		t.Errorf("zoomed to %v .. %v; want about the last 30 minutes", since, until)
	}
	b.waitText(".controls", "Reset zoom")
	if calls := sum(1); calls != 3 {
		t.Errorf("the zoomed chart sums %d calls; want the 3 of the last minutes", calls)
	}
	b.do(chromedp.Click(chromedp.CSS(`.controls button.quiet`)))
	// Drawn again for the window (no Reset zoom), before its links are used.
	b.waitFor("the window again", `!location.hash.includes("until=") && location.hash.includes("since=1h") &&
		!document.querySelector(".controls button.quiet") && !!document.querySelector('section[aria-label="Functions"] tr[data-name="db.Connect"] a')`)

	// A function's own charts.
	b.do(chromedp.Click(chromedp.CSS(`section[aria-label="Functions"] tr[data-name="db.Connect"] a`)))
	b.waitFor("db.Connect's charts", `location.hash.includes("name=db.Connect") && (document.querySelector("h1")?.innerText || "").includes("db.Connect") &&
		document.querySelectorAll(".chart canvas").length === 3`)
	if calls, failed := sum(1), sum(2); calls != 202 || failed != 2 {
		t.Errorf("db.Connect's chart sums %d calls, %d failed; want 202, 2", calls, failed)
	}
	b.noErrors()
}

// fragTime reads an RFC 3339 parameter of the fragment frag.
func fragTime(t *testing.T, frag, name string) time.Time {
	t.Helper()
	i := strings.Index(frag, name+"=")
	if i < 0 {
		t.Fatalf("no %s in %q", name, frag)
	}
	v := frag[i+len(name)+1:]
	if j := strings.IndexByte(v, '&'); j >= 0 {
		v = v[:j]
	}
	tm, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatalf("%s in %q: %v", name, frag, err)
	}
	return tm
}

// TestBrowserTraceScatter checks the trace list's scatter plot: a dot per
// trace at its start and duration, the failed one in the failed series, and
// a click on a dot opening its trace.
func TestBrowserTraceScatter(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	r := newReceiver(t)
	b.openWithKey(r, "#/traces")
	b.waitFor("the scatter plot", `!!document.querySelector(".scatter canvas") && !!document.querySelector(".scatter").sorted`)
	rows := eval[int](b, `document.querySelectorAll("table.traces tbody tr[data-trace]").length`)
	dots := eval[[]int](b, `(() => { const u = document.querySelector(".scatter").chart;
		const n = (s) => u.data[s].filter((v) => v != null).length; return [n(1), n(2)]; })()`)
	if rows == 0 || dots[0]+dots[1] != rows || dots[1] != 1 {
		t.Errorf("%d rows, dots %v (succeeded, failed); want a dot per row, the checkout failed", rows, dots)
	}
	b.screenshot("trace-scatter")
	// Click the failed checkout's dot.
	pos := eval[[]float64](b, `(() => { const el = document.querySelector(".scatter"), u = el.chart;
		const i = el.sorted.findIndex((t) => t.trace_id === `+strconv.Quote(r.failed.String())+`);
		const r = u.over.getBoundingClientRect();
		return [r.left + u.valToPos(u.data[0][i], "x"), r.top + u.valToPos(u.data[2][i], "y")]; })()`)
	b.do(chromedp.MouseClickXY(pos[0], pos[1]))
	b.waitFor("the checkout's trace", `location.hash.startsWith("#/trace/`+r.failed.String()+`")`)
	b.noErrors()
}
