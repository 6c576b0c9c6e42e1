package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
	"github.com/spantree/spantree/web"
)

// waterfallJS renders the waterfall as text: one line per row, indented by
// level, with its name, badges, duration and state.
const waterfallJS = `[...document.querySelectorAll(".wf-axis .tick")].map((x) => x.innerText).join(" ") + "\n" +
[...document.querySelectorAll(".wf-row")].map((r) => {
  const flags = ["failed", "slow", "running", "selected"].filter((c) => r.classList.contains(c));
  return "  ".repeat(+r.getAttribute("aria-level") - 1) +
    r.querySelector(".wf-name").innerText.replace(/\s+/g, " ").trim() + " | " +
    r.querySelector(".wf-dur").innerText + (flags.length ? " [" + flags.join(" ") + "]" : "");
}).join("\n") + "\n"`

// TestBrowser drives the page in headless Chromium against a real receiver,
// one user session in steps: key prompt, dashboard, trace, find, triage.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	r := newReceiver(t)
	ui := r.URL + "/ui/"

	t.Run("no key asks for one", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(ui))
		b.waitText("#key-panel", "API key")
		b.waitText("#message", "needs an API key")
		if got := eval[string](b, `document.activeElement.id`); got != "key-input" {
			t.Errorf("focus on %q; want the key input", got)
		}
	})

	t.Run("wrong key says so", func(t *testing.T) {
		b.t = t
		b.do(chromedp.SendKeys(chromedp.CSS("#key-input"), "not-a-key"),
			chromedp.Click(chromedp.CSS(`#key-form button[type="submit"]`)))
		b.waitText("#message", "rejected the API key")
		b.waitText("#view", "Retry")
		b.waitFor("the key panel", `!document.querySelector("#key-panel").hidden`)
	})

	t.Run("dashboard", func(t *testing.T) {
		b.t = t
		b.do(chromedp.SendKeys(chromedp.CSS("#key-input"), r.key),
			chromedp.Click(chromedp.CSS(`#key-form button[type="submit"]`)))
		b.waitText(`tr[data-name="db.Connect"]`, "FAIL")
		row := b.text(`tr[data-name="db.Connect"]`)
		for _, want := range []string{"db.Connect", "shop/db/db.go:30", "202", "UNANNOTATED", "open"} {
			if !strings.Contains(row, want) {
				t.Errorf("db.Connect row %q does not show %q", row, want)
			}
		}
		if got := eval[string](b, `localStorage.getItem("spantree.apiKey")`); got != r.key {
			t.Errorf("stored key = %q; want the key typed", got)
		}
		b.waitText(".health-line", "to triage")
		// The apps that are not OK, with the reason (GET /v1/status).
		b.waitText(`.app-status li[data-app="shop"]`, "nobody judged")
		if got := b.text(`.app-status li[data-app="shop"] .badge`); got != "WARN" && got != "ALERT" {
			t.Errorf("shop's status badge = %q; want WARN or ALERT", got)
		}
		b.screenshot("dashboard")
		// The ok toggle hides failing names; the filter box narrows by text.
		b.do(chromedp.Click(chromedp.CSS(`.toggle[aria-label="Status"] button[data-value="ok"]`)))
		b.waitFor("the ok toggle", `!document.querySelector('tr[data-name="db.Connect"]') && !!document.querySelector('tr[data-name="shop.Warmup"]')`)
		b.do(chromedp.Click(chromedp.CSS(`.toggle[aria-label="Status"] button[data-value="all"]`)),
			chromedp.SendKeys(chromedp.CSS(`.controls input[type="search"]`), "charge"))
		b.waitFor("the filter", `document.querySelectorAll("tbody tr").length === 1 && !!document.querySelector('tr[data-name="shop.charge"]')`)
		if got := eval[string](b, `location.hash`); got != "#/dashboard?q=charge" {
			t.Errorf("fragment = %q; want the filter in it", got)
		}
		b.noErrors()
	})

	t.Run("trace shows the failed span", func(t *testing.T) {
		b.t = t
		b.goHash("#/dashboard?q=db.Connect")
		b.do(chromedp.Click(chromedp.CSS(`tr[data-name="db.Connect"] a.mono`)))
		b.waitText(".detail", "connection refused")
		detail := b.text(".detail")
		for _, want := range []string{"db.Connect", "FAILED", "shop/db/db.go:30", "*net.OpError",
			"dial tcp 10.0.0.5:5432: connect: connection refused", "shop/db.Connect(...)", "retrying", "UNANNOTATED",
			"slower than its p99"} {
			if !strings.Contains(detail, want) {
				t.Errorf("detail does not show %q:\n%s", want, detail)
			}
		}
		if got := eval[string](b, `document.querySelector(".wf-row.selected").dataset.span`); got != r.origin.String() {
			t.Errorf("selected span %s; want the failing db.Connect %s", got, r.origin)
		}
		checkGolden(t, "trace-waterfall.txt", eval[string](b, waterfallJS))
		b.screenshot("trace")

		// Keyboard: up from the origin is the handled db.Connect; its
		// parent (left twice: collapse nothing, go up) handled its error.
		b.do(chromedp.SendKeys(chromedp.CSS(".wf-row.selected"), kb.ArrowUp))
		b.waitFor("the previous row", fmt.Sprintf(`document.activeElement.dataset.span === %q`, r.handled.String()))
		b.do(chromedp.SendKeys(chromedp.CSS(".wf-row.selected"), kb.ArrowLeft))
		b.waitText(".detail", "Handled errors")
		b.waitText(".detail .handled", "i/o timeout")
		// Collapsing charge hides its children and shows how many.
		b.do(chromedp.SendKeys(chromedp.CSS(".wf-row.selected"), kb.ArrowLeft))
		b.waitText(".wf-row.selected", "+2")
		b.noErrors()
	})

	t.Run("find by id", func(t *testing.T) {
		b.t = t
		b.goHash("#/health")
		b.waitText("#view", "shop")
		b.screenshot("health")
		b.do(chromedp.SendKeys(chromedp.CSS("#find-id"), r.failed.Hex()),
			chromedp.Click(chromedp.CSS(`#find button[type="submit"]`)))
		b.waitText(".trace-head", r.failed.String())
		b.do(chromedp.SendKeys(chromedp.CSS("#find-id"), "nonsense"),
			chromedp.Click(chromedp.CSS(`#find button[type="submit"]`)))
		b.waitText("#message", "not a trace id")
		b.goHash("#/trace/" + strings.Repeat("ab", 16))
		b.waitText("#view", "Trace not found")
		b.noErrors()
	})

	t.Run("a trace across services", func(t *testing.T) {
		b.t = t
		b.goHash("#/trace/" + r.crossing.String())
		b.waitText(".trace-head", "services")
		if got := b.text(".trace-head .services"); got != "services shop, payd" {
			t.Errorf("services in the header = %q; want the root's first", got)
		}
		// The service is named where it changes: the root and payd's
		// handler, not the spans below them.
		got := eval[string](b, `[...document.querySelectorAll(".wf-row")].map((r) =>
  r.querySelector(".span-name").innerText + ":" + ((r.querySelector(".badge-svc") || {}).innerText || "")).join(" ")`)
		if want := "shop.Pay:shop pay.Handle:payd pay.capture:"; got != want {
			t.Errorf("rows and their service badges = %q; want %q", got, want)
		}
		b.do(chromedp.Click(chromedp.CSS(`.wf-row[data-span="0000000000000134"]`)))
		b.waitText(".detail h2", "pay.capture")
		if d := b.text(".detail"); !strings.Contains(d, "payd (region=eu, version=2.3.0)") {
			t.Errorf("pay.capture's detail does not name its service and process:\n%s", d)
		}
		b.screenshot("trace-services")
		b.noErrors()
	})

	t.Run("trace list", func(t *testing.T) {
		b.t = t
		b.goHash("#/traces?status=failed")
		b.waitText(".traces tbody", "shop.Checkout")
		if got := eval[int](b, `document.querySelectorAll(".traces tbody tr").length`); got != 1 {
			t.Errorf("failed traces listed: %d; want 1", got)
		}
		b.noErrors()
	})

	t.Run("run numbers", func(t *testing.T) {
		b.t = t
		// shop's traces in the order they arrived: the warm-up, the
		// failed checkout, the payment across services.
		b.goHash("#/traces?status=failed")
		b.waitText(".traces tbody", "shop#2")
		b.goHash("#/trace/" + r.failed.String())
		b.waitText(".trace-head h1", "shop#2")
		if got := b.text(".trace-head .run"); got != "shop#2" {
			t.Errorf("run in the trace's header = %q; want shop#2", got)
		}
		// The number links to the list of that number, and the tags box
		// takes it back as it is written.
		b.do(chromedp.Click(chromedp.CSS(".trace-head a.run")))
		b.waitFor("the list of shop#2", `location.hash.startsWith("#/traces") && document.querySelector(".traces tbody") !== null`)
		b.waitText(".traces tbody", "shop.Checkout")
		if got := eval[string](b, `[...document.querySelectorAll(".traces tbody .run")].map((e) => e.innerText).join(" ")`); got != "shop#2" {
			t.Errorf("traces of shop#2 = %q; want the one", got)
		}
		if got := eval[string](b, `document.querySelector('input[name="tag"]').value`); got != "shop#2" {
			t.Errorf("tags box = %q; want shop#2", got)
		}
		b.do(chromedp.SetValue(chromedp.CSS(`input[name="tag"]`), "run:3"),
			chromedp.Click(chromedp.CSS(`form.controls button[type="submit"]`)))
		b.waitText(".traces tbody", "shop#3")
		if got := eval[string](b, `[...document.querySelectorAll(".traces tbody tr")].map((r) =>
  r.querySelector("td.name a").innerText + " " + r.querySelector(".run").innerText).join(", ")`); got != "shop.Pay shop#3" {
			t.Errorf("traces of run:3 = %q; want shop.Pay shop#3", got)
		}
		b.noErrors()
	})

	t.Run("slow spans", func(t *testing.T) {
		b.t = t
		b.goHash("#/slow?since=24h")
		b.waitText(`table.slow-spans tr[data-name="db.Connect"]`, "db.Connect")
		row := b.text(`table.slow-spans tr[data-name="db.Connect"]`)
		for _, want := range []string{"shop/db/db.go:30", "shop", "%"} {
			if !strings.Contains(row, want) {
				t.Errorf("db.Connect's slow row %q does not show %q", row, want)
			}
		}
		// Ranked by impact: the first row has the largest.
		first := eval[string](b, `document.querySelector("table.slow-spans tbody tr").dataset.name`)
		if first == "" {
			t.Errorf("no first row")
		}
		b.screenshot("slow")
		b.do(chromedp.Click(chromedp.CSS(`table.slow-spans tr[data-name="db.Connect"] a.mono`)))
		b.waitFor("the slowest trace", `location.hash.startsWith("#/trace/")`)
		b.noErrors()
	})

	t.Run("triage", func(t *testing.T) {
		b.t = t
		b.goHash("#/errors?q=connection+refused")
		b.waitText(".groups", "connection refused")
		fp := eval[string](b, `document.querySelector("article.group").dataset.fingerprint`)
		card := fmt.Sprintf(`article[data-fingerprint=%q]`, fp)
		b.do(chromedp.SetValue(chromedp.CSS(card+` select[name="kind"]`), "crash"),
			chromedp.SetValue(chromedp.CSS(card+` select[name="severity"]`), "alert"),
			chromedp.SendKeys(chromedp.CSS(card+` input[name="note"]`), "db down: page on-call"),
			chromedp.Click(chromedp.CSS(card+` button[type="submit"]`)))
		b.waitText(card+" .save-status", "Saved: ALERT crash")
		b.waitText(card+" header", "ALERT")
		b.screenshot("errors")

		groups, err := r.client.Errors(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		var got *store.Annotation
		for _, g := range groups {
			if g.Fingerprint == fp {
				got = g.Annotation
			}
		}
		want := &store.Annotation{Kind: "crash", Severity: "alert", Note: "db down: page on-call"}
		if diff := cmp.Diff(want, got, cmpIgnoreSetByStore); diff != "" {
			t.Errorf("annotation of %s after triage (-want +got):\n%s", fp, diff)
		}
		b.goHash("#/dashboard?q=db.Connect")
		b.waitText(`tr[data-name="db.Connect"]`, "ALERT")
		b.noErrors()
	})

	t.Run("find in trace", func(t *testing.T) {
		b.t = t
		b.goHash("#/trace/" + r.failed.String())
		b.waitText(".trace-head", "shop.Checkout")
		selected := func() string { return eval[string](b, `document.querySelector(".wf-row.selected").dataset.span`) }
		// The trace opens on the connect that failed it, the second of two.
		b.do(chromedp.SendKeys(chromedp.CSS(".find-input"), "DB.CONNECT"))
		b.waitText(".find-count", "2 of 2")
		if got := selected(); got != r.origin.String() {
			t.Errorf("selected %s; want the failing db.Connect %s", got, r.origin)
		}
		if n := eval[int](b, `document.querySelectorAll(".wf-row.match").length`); n != 2 {
			t.Errorf("%d rows marked; want the 2 db.Connect", n)
		}
		b.do(chromedp.SendKeys(chromedp.CSS(".find-input"), kb.Enter))
		b.waitText(".find-count", "1 of 2")
		if got := selected(); got != r.handled.String() {
			t.Errorf("after Enter, selected %s; want the other db.Connect %s", got, r.handled)
		}
		// An error's text is found too: the handled i/o timeout is in
		// shop.charge's handled errors and in the first connect's error.
		b.do(chromedp.SendKeys(chromedp.CSS(".find-input"), kb.Escape))
		b.waitFor("the marks cleared", `document.querySelectorAll(".wf-row.match").length === 0`)
		b.do(chromedp.SendKeys(chromedp.CSS(".find-input"), "i/o timeout"))
		b.waitText(".find-count", "of 2")
		b.noErrors()
	})

	t.Run("a dashboard row's trace opens on its span", func(t *testing.T) {
		b.t = t
		// shop.charge failed, but by itself the trace opens where its
		// error came from, the db.Connect beneath it.
		b.goHash("#/dashboard?q=shop.charge")
		b.do(chromedp.Click(chromedp.CSS(`tr[data-name="shop.charge"] a.mono`)))
		b.waitFor("the trace", `document.querySelector(".wf-row.selected") !== null`)
		charge := spantree.SpanID{0, 0, 0, 0, 0, 0, 1, 4}
		if got := eval[string](b, `document.querySelector(".wf-row.selected").dataset.span`); got != charge.String() {
			t.Errorf("selected span %s; want shop.charge %s", got, charge)
		}
		b.noErrors()
	})

	t.Run("narrow window", func(t *testing.T) {
		b.t = t
		b.do(chromedp.EmulateViewport(380, 800))
		defer b.do(chromedp.EmulateViewport(1280, 860))
		for _, frag := range []string{"#/trace/" + r.failed.String(), "#/dashboard", "#/errors", "#/traces"} {
			b.goHash(frag)
			b.waitFor(frag, `!!document.querySelector(".view") && !document.querySelector(".view").innerText.startsWith("Loading")`)
			if w := eval[[]int](b, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
				t.Errorf("%s is %dpx wide in a %dpx window", frag, w[0], w[1])
			}
		}
		b.goHash("#/trace/" + r.failed.String())
		b.waitText(".detail", "connection refused")
		b.screenshot("trace-narrow")
	})

	t.Run("unreachable receiver", func(t *testing.T) {
		b.t = t
		// A receiver that drops every API connection, as a dead one would.
		mux := http.NewServeMux()
		mux.Handle("GET /ui/", http.StripPrefix("/ui", web.Handler()))
		mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		dead := httptest.NewServer(mux)
		defer dead.Close()
		b.do(chromedp.Navigate(dead.URL + "/ui/#/errors"))
		b.waitText("#message", "Cannot reach the receiver")
		b.waitText("#view", "Retry")
		b.noErrors()
	})
}

// TestBrowserLocal checks the page over server.Local, as a `spantree web
// -db PATH` would serve it: no key is asked for.
func TestBrowserLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "local.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	batches := []spantree.Batch{{Tags: map[string]string{"service": "cli"}, Spans: []spantree.SpanData{{
		TraceID: spantree.NewTraceID(time.Now()), SpanID: spantree.SpanID{1}, Name: "main.main", Location: "cmd/x/main.go:9",
		Start: time.Now().Add(-time.Second), End: time.Now(), Status: spantree.StatusSucceeded}}}}
	local := server.Local(st, "default")
	if _, err := client.NewHandler(local).Ingest(context.Background(), batches[0]); err != nil {
		t.Fatal(err)
	}
	ts := localUI(t, local)
	b.do(chromedp.Navigate(ts.URL + "/ui/"))
	b.waitText(`tr[data-name="main.main"]`, "ok")
	if !eval[bool](b, `document.querySelector("#key-panel").hidden`) {
		t.Error("the key panel shows, but server.Local needs no key")
	}
	b.noErrors()
}

// TestBrowserCompare opens two checkouts of one shop side by side: the
// second has a span more, a slower charge and a failing one.
func TestBrowserCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "compare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	ms := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Millisecond))) }
	checkout := func(id spantree.TraceID, charge float64, fail bool, extra bool) []spantree.SpanData {
		sid := func(n byte) spantree.SpanID { return spantree.SpanID{0, 0, 0, 0, 0, 0, 3, n} }
		ok := spantree.StatusSucceeded
		spans := []spantree.SpanData{
			{TraceID: id, SpanID: sid(1), Name: "shop.Checkout", Location: "shop/checkout.go:20", Start: ms(0), End: ms(charge + 20), Status: ok},
			{TraceID: id, SpanID: sid(2), ParentID: sid(1), Name: "shop.loadCart", Location: "shop/cart.go:12", Start: ms(1), End: ms(5), Status: ok},
			{TraceID: id, SpanID: sid(3), ParentID: sid(1), Name: "shop.charge", Location: "shop/charge.go:30", Start: ms(6), End: ms(6 + charge), Status: ok},
			{TraceID: id, SpanID: sid(4), ParentID: sid(3), Name: "db.Query", Location: "shop/db.go:9", Start: ms(7), End: ms(8), Status: ok},
		}
		if fail {
			spans[3].Status, spans[3].Error = spantree.StatusFailed, &spantree.ErrorInfo{Type: "*errors.errorString", Message: "deadlock"}
		}
		if extra {
			spans = append(spans, spantree.SpanData{TraceID: id, SpanID: sid(5), ParentID: sid(1), Name: "shop.audit",
				Location: "shop/audit.go:8", Start: ms(charge + 10), End: ms(charge + 12), Status: ok})
		}
		return spans
	}
	a, bID := spantree.NewTraceID(t0), spantree.NewTraceID(t0.Add(time.Second))
	local := server.Local(st, "default")
	c := client.NewHandler(local)
	for _, spans := range [][]spantree.SpanData{checkout(a, 10, false, false), checkout(bID, 40, true, true)} {
		if _, err := c.Ingest(context.Background(), spantree.Batch{Tags: map[string]string{"service": "shop"}, Spans: spans}); err != nil {
			t.Fatal(err)
		}
	}
	ts := localUI(t, local)

	// From the trace page's form.
	b.do(chromedp.Navigate(ts.URL + "/ui/#/trace/" + a.String()))
	b.waitText(".trace-head", "shop.Checkout")
	b.do(chromedp.SendKeys(chromedp.CSS(`.compare-form input`), bID.String()),
		chromedp.Click(chromedp.CSS(`.compare-form button`)))
	b.waitText(".compare-summary", "added")
	got := eval[string](b, `[...document.querySelectorAll("table.compare tbody tr")].map((r) =>
		r.dataset.path + " " + (r.querySelector(".badge") ? r.querySelector(".badge").innerText : "-")).join("\n")`)
	want := strings.Join([]string{
		"/shop.Checkout slower",
		"/shop.Checkout/shop.loadCart -",
		"/shop.Checkout/shop.charge slower",
		"/shop.Checkout/shop.charge/db.Query failing now",
		"/shop.Checkout/shop.audit added",
	}, "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("compare rows (-want +got):\n%s", diff)
	}
	if row := b.text(`tr[data-path="/shop.Checkout/shop.charge"]`); !strings.Contains(row, "+30.0ms (+300%)") {
		t.Errorf("charge row %q does not say +30.0ms (+300%%)", row)
	}
	b.screenshot("compare")
	// Swapped, the audit span is removed and the query fixed.
	b.do(chromedp.Click(chromedp.CSS(`.view-compare button`)))
	b.waitText(".compare-summary", "1 removed")
	if got := b.text(`tr[data-path="/shop.Checkout/shop.charge/db.Query"] .badge`); got != "no longer failing" {
		t.Errorf("swapped, db.Query is %q; want no longer failing", got)
	}
	b.noErrors()
}

// localUI serves the page and api (a server.Local) on a loopback port, as
// a `spantree web -db PATH` would, until the test ends.
func localUI(t *testing.T, api http.Handler) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.Handle("GET /ui/", http.StripPrefix("/ui", web.Handler()))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// cmpIgnoreSetByStore ignores the annotation fields the store fills in.
var cmpIgnoreSetByStore = cmp.FilterPath(func(p cmp.Path) bool {
	s := p.String()
	return s == "Updated" || s == "Version"
}, cmp.Ignore())

// TestFormatting checks the page's formatting helpers in the browser,
// where they run.
func TestFormatting(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	ts := httptest.NewServer(web.Handler())
	defer ts.Close()
	b.do(chromedp.Navigate(ts.URL + "/"))
	tests := []struct{ expr, want string }{
		{`fmtDuration(0)`, `"0ns"`},
		{`fmtDuration(999)`, `"999ns"`},
		{`fmtDuration(1500)`, `"1.50µs"`},
		{`fmtDuration(24e6)`, `"24.0ms"`},
		{`fmtDuration(250e6)`, `"250ms"`},
		{`fmtDuration(1.25e9)`, `"1.25s"`},
		{`fmtDuration(125e9)`, `"2m05s"`},
		{`fmtDuration(3.75 * 3600e9)`, `"3h45m"`},
		{`parseDuration("1h30m")`, `5400000000000`},
		{`parseDuration("250ms")`, `250000000`},
		{`parseDuration("1.5s")`, `1500000000`},
		{`parseDuration("fast")`, `null`}, // NaN
		{`parseDuration("10")`, `null`},
		{`isTraceID("2K8nq6Fv9Wq4ZJpjJrGkz5nbzYN")`, `true`},
		{`isTraceID("0123456789abcdef0123456789ABCDEF")`, `true`},
		{`isTraceID("0123456789abcdef")`, `false`},
		{`isTraceID("2K8nq6Fv9Wq4ZJpjJrGkz5nbzY-")`, `false`},
		{`timeNS("2026-11-25T10:00:00.123456789Z") - timeNS("2026-11-25T10:00:00Z")`, `123456789`},
		{`fmtAgo("2026-11-25T10:00:00Z", Date.parse("2026-11-25T10:03:10Z"))`, `"3m ago"`},
		{`fmtAgo("0001-01-01T00:00:00Z")`, `"never"`},
	}
	const stack = "goroutine 7 [running]:\n" +
		"runtime/debug.Stack()\n\t/usr/local/go/src/runtime/debug/stack.go:26 +0x5e\n" +
		"github.com/spantree/spantree/runtime.Span.Done(...)\n\t/x/runtime/api.go:150 +0x1\n" +
		"shop/db.Connect(...)\n\tshop/db/db.go:31 +0x1d\n" +
		"net/http.HandlerFunc.ServeHTTP(...)\n\t/usr/local/go/src/net/http/server.go:2220 +0x29\n" +
		"main.main()\n\t/src/main.go:9 +0x2\n" +
		"created by net/http.(*Server).Serve in goroutine 1\n\t/usr/local/go/src/net/http/server.go:3454 +0x485"
	tests = append(tests,
		struct{ expr, want string }{"stackFrames(" + strconv.Quote(stack) + ").frames.map((f) => (f.own ? \"+\" : \"-\") + f.fn.split(\"(\")[0]).join(\" \")",
			`"-runtime/debug.Stack -github.com/spantree/spantree/runtime.Span.Done +shop/db.Connect -net/http.HandlerFunc.ServeHTTP +main.main -created by net/http."`},
		struct{ expr, want string }{"stackView(" + strconv.Quote(stack) + ").querySelectorAll(\"details\").length", `3`},
	)
	for _, tt := range tests {
		got := eval[json.RawMessage](b, `import("./dom.js").then(({fmtDuration, parseDuration, isTraceID, timeNS, fmtAgo, stackFrames, stackView}) => JSON.stringify(`+tt.expr+`))`)
		var s string
		if err := json.Unmarshal(got, &s); err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if s != tt.want {
			t.Errorf("%s = %s; want %s", tt.expr, s, tt.want)
		}
	}
}

// TestBrowserSearch: the trace list's search box takes the query language
// (terms joined by AND bind to one span), shows a parse error at its
// position, and "More" fetches the next pages.
func TestBrowserSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	r := newReceiver(t)
	b.openWithKey(r, "#/traces")
	b.waitText(".traces tbody", "shop.Checkout")
	rows := func() []string {
		return eval[[]string](b, `[...document.querySelectorAll(".traces tbody tr[data-trace]")].map((tr) => tr.querySelector(".name a").innerText)`)
	}
	search := func(q string) {
		b.do(chromedp.SetValue(chromedp.CSS(".search-input"), q),
			chromedp.Click(chromedp.CSS(`form[aria-label="Trace filters"] button[type="submit"]`)))
		b.waitFor("the list for "+q, fmt.Sprintf(`new URLSearchParams(location.hash.split("?")[1] || "").get("q") === %q && !!document.querySelector(".view") && !document.querySelector(".view").innerText.startsWith("Loading")`, q))
	}

	t.Run("a query", func(t *testing.T) {
		b.t = t
		search("service:payd status:succeeded")
		b.waitFor("one row", `document.querySelectorAll(".traces tbody tr[data-trace]").length === 1`)
		if diff := cmp.Diff([]string{"shop.Pay"}, rows()); diff != "" {
			t.Errorf("service:payd status:succeeded (-want +got):\n%s", diff)
		}
		// payd's spans all succeeded: no failed span of payd.
		search("service:payd status:failed")
		b.waitText(".traces tbody", "No trace matches")
		search("service:shop -status:failed")
		b.waitFor("two rows", `document.querySelectorAll(".traces tbody tr[data-trace]").length === 2`)
		if diff := cmp.Diff([]string{"shop.Pay", "shop.Warmup"}, rows()); diff != "" {
			t.Errorf("service:shop -status:failed (-want +got):\n%s", diff)
		}
		b.screenshot("search")
		b.noErrors()
	})

	t.Run("a parse error at its position", func(t *testing.T) {
		b.t = t
		search("service:shop duration>")
		b.waitText(".search-error", "At 23: want a value after 'duration>'")
		if got := eval[string](b, `document.querySelector(".search-error").dataset.pos + " " + document.querySelector(".search-input").getAttribute("aria-invalid") + " " + document.querySelector(".search-input").selectionStart`); got != "23 true 22" {
			t.Errorf("position, aria-invalid, caret = %q; want 23 true 22", got)
		}
		if n := eval[int](b, `document.querySelectorAll(".traces").length`); n != 0 {
			t.Errorf("a list is shown under a query that does not parse")
		}
		search("(name:~shop")
		b.waitText(".search-error", "At 12: want ')' to close the '(' at 1")
		b.screenshot("search-error")
		b.noErrors()
	})

	t.Run("pickers feed the search box", func(t *testing.T) {
		b.t = t
		b.goHash("#/traces")
		b.waitFor("the service picker", `document.querySelectorAll(".pick-service option").length === 3`)
		pick := func(sel, prefix string) {
			eval[chromedp.Void](b, fmt.Sprintf(`(() => { const s = document.querySelector(%q);
				s.value = [...s.options].find((o) => o.textContent.startsWith(%q)).value; s.dispatchEvent(new Event("change")); })()`, sel, prefix))
		}
		box := func() string { return eval[string](b, `document.querySelector(".search-input").value`) }
		if got := eval[[]string](b, `[...document.querySelectorAll(".pick-service option")].map((o) => o.textContent)`); !cmp.Equal(got, []string{"service…", "shop (220)", "payd (2)"}) {
			t.Errorf("services picked from: %q; want shop (220: the folded parseItem counts 12) then payd (2)", got)
		}
		pick(".pick-service", "payd ")
		if got := box(); got != "service:payd" {
			t.Errorf("after picking payd, the box holds %q", got)
		}
		if got := eval[[]string](b, `[...document.querySelectorAll(".pick-name option")].map((o) => o.textContent)`); !cmp.Equal(got, []string{"span name…", "pay.Handle (1)", "pay.capture (1)"}) {
			t.Errorf("payd's span names: %q", got)
		}
		pick(".pick-name", "pay.capture ")
		if got := box(); got != "service:payd name:pay.capture" {
			t.Errorf("after picking pay.capture, the box holds %q", got)
		}
		b.do(chromedp.Click(chromedp.CSS(`form[aria-label="Trace filters"] button[type="submit"]`)))
		b.waitFor("one row", `location.hash.includes("q=") && document.querySelectorAll(".traces tbody tr[data-trace]").length === 1`)
		if diff := cmp.Diff([]string{"shop.Pay"}, rows()); diff != "" {
			t.Errorf("service:payd name:pay.capture (-want +got):\n%s", diff)
		}
		b.waitFor("the service picker", `document.querySelectorAll(".pick-service option").length === 3`)
		b.do(chromedp.SetValue(chromedp.CSS(".search-input"), "status:failed"))
		pick(".pick-service", "shop ")
		if got := box(); got != "status:failed service:shop" {
			t.Errorf("after picking shop over a typed query, the box holds %q", got)
		}
		pick(".pick-name", "db.Connect ")
		pick(".pick-name", "shop.Checkout ")
		if got := box(); got != "status:failed service:shop name:shop.Checkout" {
			t.Errorf("after picking two span names, the box holds %q", got)
		}
		b.screenshot("search-pickers")
		b.noErrors()
	})

	t.Run("more", func(t *testing.T) {
		b.t = t
		b.goHash("#/traces?limit=1")
		b.waitFor("one row and More", `document.querySelectorAll(".traces tbody tr[data-trace]").length === 1 && !document.querySelector("button.more").hidden`)
		for n := 2; n <= 3; n++ {
			b.do(chromedp.Click(chromedp.CSS("button.more")))
			b.waitFor(fmt.Sprintf("%d rows", n), fmt.Sprintf(`document.querySelectorAll(".traces tbody tr[data-trace]").length === %d`, n))
		}
		b.do(chromedp.Click(chromedp.CSS("button.more")))
		b.waitFor("More hidden after the last page", `document.querySelector("button.more").hidden`)
		if diff := cmp.Diff([]string{"shop.Pay", "shop.Checkout", "shop.Warmup"}, rows()); diff != "" {
			t.Errorf("pages of one (-want +got):\n%s", diff)
		}
		b.waitText(".count", "3 traces, newest first")
		b.noErrors()
	})
}
