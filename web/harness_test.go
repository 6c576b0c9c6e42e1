package web_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/spantree/spantree/internal/golden"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
	"github.com/spantree/spantree/web"
)

var (
	update      = flag.Bool("update", false, "rewrite the golden files in testdata")
	screenshots = flag.String("screenshots", "", "also write the browser test's screenshots to `DIR`")
)

// chromium finds a Chromium or Chrome binary: $SPANTREE_CHROMIUM, else the
// usual names on $PATH.
func chromium() string {
	if p := os.Getenv("SPANTREE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// receiver is a real receiver over a temporary SQLite store, with the web
// view mounted at /ui/ as `spantree serve` mounts it.
type receiver struct {
	URL     string
	key     string
	client  *client.Client
	failed  spantree.TraceID // the checkout trace, with failed spans
	handled spantree.SpanID  // its db.Connect whose error was handled
	origin  spantree.SpanID  // its db.Connect whose error failed the trace
	// crossing is a trace of two processes: shop's pay call answered by
	// service payd.
	crossing spantree.TraceID
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "spantree.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// As `spantree key create` does.
	key, err := st.CreateKey(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", server.New(st, server.Options{}))
	mux.Handle("GET /ui/", http.StripPrefix("/ui", web.Handler()))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	r := &receiver{URL: ts.URL, key: key, client: client.New(ts.URL, key)}
	r.ingest(t)
	return r
}

// ingest sends a failed checkout trace and a warm-up trace whose many fast
// db.Connect calls make the checkout's slow db.Connect stand out.
func (r *receiver) ingest(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Now().Add(-2 * time.Minute).Truncate(time.Millisecond)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	id := spantree.NewTraceID(t0)
	sid := func(n byte) spantree.SpanID { return spantree.SpanID{0, 0, 0, 0, 0, 0, 1, n} }
	refused := &spantree.ErrorInfo{Type: "*net.OpError", Message: "dial tcp 10.0.0.5:5432: connect: connection refused",
		Stack: "goroutine 7 [running]:\nshop/db.Connect(...)\n\tshop/db/db.go:31 +0x1d\nshop.charge(...)\n\tshop/charge.go:44 +0x5a"}
	wrapped := &spantree.ErrorInfo{Type: "*fmt.wrapError", Message: "charge card: " + refused.Message}
	spans := []spantree.SpanData{
		{SpanID: sid(1), Name: "shop.Checkout", Location: "shop/checkout.go:20", Start: at(0), End: at(120),
			Status: spantree.StatusFailed, Error: wrapped, Kind: spantree.KindServer,
			Attrs: map[string]any{"http.method": "POST", "http.route": "/checkout"}},
		{SpanID: sid(2), ParentID: sid(1), Name: "shop.loadCart", Location: "shop/cart.go:12", Start: at(2), End: at(14),
			Status: spantree.StatusSucceeded, Attrs: map[string]any{"items": 3}},
		{SpanID: sid(3), ParentID: sid(2), Name: "shop.parseItem", Location: "shop/cart.go:40", Start: at(3), End: at(9),
			Status: spantree.StatusSucceeded, Fold: &spantree.Fold{Count: 12, TotalNS: 5e6, MinNS: 3e5, MaxNS: 8e5}},
		{SpanID: sid(4), ParentID: sid(1), Name: "shop.charge", Location: "shop/charge.go:30", Start: at(15), End: at(110),
			Status: spantree.StatusFailed, Error: wrapped,
			HandledErrors: []spantree.ErrorInfo{{Type: "*net.OpError", Message: "dial tcp 10.0.0.5:5432: i/o timeout", SpanID: sid(5)}}},
		{SpanID: sid(5), ParentID: sid(4), Name: "db.Connect", Location: "shop/db/db.go:30", Start: at(16), End: at(40),
			Status: spantree.StatusFailed, Error: &spantree.ErrorInfo{Type: "*net.OpError", Message: "dial tcp 10.0.0.5:5432: i/o timeout"}},
		{SpanID: sid(6), ParentID: sid(4), Name: "db.Connect", Location: "shop/db/db.go:30", Start: at(41), End: at(108),
			Status: spantree.StatusFailed, Error: refused,
			Events: []spantree.Event{{Time: at(60), Level: spantree.LevelWarn, Msg: "retrying", Attrs: map[string]any{"attempt": 2}}}},
		{SpanID: sid(7), ParentID: sid(1), Name: "shop.audit", Location: "shop/audit.go:8", Start: at(112), End: at(118),
			Status: spantree.StatusSucceeded, Goroutine: true},
	}
	for i := range spans {
		spans[i].TraceID = id
	}
	// 200 fast connects put db.Connect's p99 below the failing one.
	warm := spantree.NewTraceID(t0)
	wspans := []spantree.SpanData{{TraceID: warm, SpanID: sid(100), Name: "shop.Warmup", Location: "shop/main.go:15",
		Start: at(-60000), End: at(-59000), Status: spantree.StatusSucceeded}}
	for i := range 200 {
		wspans = append(wspans, spantree.SpanData{TraceID: warm, SpanID: spantree.SpanID{0, 0, 0, 0, 0, 2, byte(i >> 8), byte(i)},
			ParentID: sid(100), Name: "db.Connect", Location: "shop/db/db.go:30",
			Start: at(-60000 + float64(i)*4), End: at(-60000 + float64(i)*4 + 1), Status: spantree.StatusSucceeded})
	}
	tags := map[string]string{"service": "shop", "version": "v1.4.2", "env": "test"}
	for _, b := range []spantree.Batch{{Tags: tags, Spans: wspans}, {Tags: tags, Spans: spans}} {
		if _, err := r.client.Ingest(ctx, b); err != nil {
			t.Fatalf("ingest: %v", err)
		}
	}
	// A trace across two services: payd's half arrives first, as it ends
	// first.
	cross := spantree.NewTraceID(t0)
	for _, b := range []spantree.Batch{
		{Tags: map[string]string{"service": "payd", "version": "2.3.0", "region": "eu"}, Spans: []spantree.SpanData{
			{TraceID: cross, SpanID: sid(51), ParentID: sid(50), Name: "pay.Handle", Location: "pay/handle.go:12",
				Start: at(1002), End: at(1030), Status: spantree.StatusSucceeded, Kind: spantree.KindServer},
			{TraceID: cross, SpanID: sid(52), ParentID: sid(51), Name: "pay.capture", Location: "pay/capture.go:7",
				Start: at(1005), End: at(1025), Status: spantree.StatusSucceeded},
		}},
		{Tags: tags, Spans: []spantree.SpanData{
			{TraceID: cross, SpanID: sid(50), Name: "shop.Pay", Location: "shop/pay.go:9",
				Start: at(1000), End: at(1040), Status: spantree.StatusSucceeded},
		}},
	} {
		if _, err := r.client.Ingest(ctx, b); err != nil {
			t.Fatalf("ingest: %v", err)
		}
	}
	r.failed, r.handled, r.origin, r.crossing = id, sid(5), sid(6), cross
	// The server computes the p99s that mark slow spans in the background,
	// after the first trace request: wait for them.
	for i := 0; ; i++ {
		tr, err := r.client.Trace(ctx, id.String())
		if err != nil {
			t.Fatalf("trace %s: %v", id, err)
		}
		if len(tr.SlowSpans) > 0 {
			// Both checkout connects took longer than the 200 warm-up ones.
			slices.SortFunc(tr.SlowSpans, func(a, b spantree.SpanID) int { return bytes.Compare(a[:], b[:]) })
			if diff := cmp.Diff([]spantree.SpanID{sid(5), sid(6)}, tr.SlowSpans); diff != "" {
				t.Fatalf("slow spans (-want +got):\n%s", diff)
			}
			break
		}
		if i == 500 {
			t.Fatal("the server never marked the slow db.Connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// browser drives one headless Chromium tab.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium()
	if path == "" {
		t.Skip("no Chromium found (install it with `apt-get install -y chromium`, or set SPANTREE_CHROMIUM): skipping the browser test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first call starts the browser and must not have a timeout. It
	// also makes every page record its uncaught errors in window.__errors.
	const catcher = `window.__errors = [];
addEventListener("error", (e) => window.__errors.push(String(e.message)));
addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));`
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: catcher})
		return err
	}))
	if err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return &browser{t: t, ctx: ctx}
}

// do runs actions, failing the test on error; the timeout only keeps a
// stuck browser from hanging the test.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v\npage:\n%s", err, b.pageText())
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the JavaScript condition holds on the page.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		b.t.Fatalf("waiting for %s (%s): %v\npage:\n%s", what, cond, err, b.pageText())
	}
}

// waitText waits until the element sel exists and its text contains want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("%s to say %q", sel, want), fmt.Sprintf(
		`(() => { const el = document.querySelector(%q); return !!el && !el.closest("[hidden]") && el.innerText.includes(%q); })()`, sel, want))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {innerText: %q}).innerText`, sel, "<no "+sel+">"))
}

func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return fmt.Sprintf("(cannot read the page: %v)", err)
	}
	return s
}

// openWithKey opens the page of r at fragment and gives it r's API key, as
// a person does the first time.
func (b *browser) openWithKey(r *receiver, fragment string) {
	b.t.Helper()
	b.do(chromedp.Navigate(r.URL+"/ui/"+fragment),
		chromedp.SendKeys(chromedp.CSS("#key-input"), r.key),
		chromedp.Click(chromedp.CSS(`#key-form button[type="submit"]`)))
}

// goHash moves the page to fragment, as a click on a link does.
func (b *browser) goHash(fragment string) {
	b.t.Helper()
	eval[chromedp.Void](b, fmt.Sprintf(`location.hash = %q`, fragment))
}

// noErrors fails the test if the page threw.
func (b *browser) noErrors() {
	b.t.Helper()
	if errs := eval[[]string](b, `window.__errors || []`); len(errs) > 0 {
		b.t.Errorf("the page threw: %q", errs)
	}
}

// screenshot saves a PNG of the viewport in the test's temporary directory
// and in -screenshots DIR when given.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	dirs := []string{b.t.TempDir()}
	if *screenshots != "" {
		dirs = append(dirs, *screenshots)
	}
	for _, dir := range dirs {
		p := filepath.Join(dir, name+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s", p)
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got, *update)
}
