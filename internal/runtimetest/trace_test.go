package runtimetest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
	"github.com/spantree/spantree/runtime/spantest"
)

var tfns = [...]spantree.Func{
	{Name: "t.launcher", Loc: "trace_test.go:1"},
	{Name: "t.worker", Loc: "trace_test.go:2", Kind: spantree.KindNoFold},
	{Name: "t.leaky", Loc: "trace_test.go:3"},
	{Name: "t.server", Loc: "trace_test.go:4"},
	{Name: "t.handler", Loc: "trace_test.go:5", Kind: spantree.KindHandler},
	{Name: "t.many", Loc: "trace_test.go:6"},
	{Name: "t.step", Loc: "trace_test.go:7", Kind: spantree.KindNoFold},
	{Name: "t.long", Loc: "trace_test.go:8"},
	{Name: "t.parallel", Loc: "trace_test.go:9"},
	{Name: "t.wide", Loc: "trace_test.go:10"},
	{Name: "t.branch", Loc: "trace_test.go:11"},
	{Name: "t.twig", Loc: "trace_test.go:12"},
	{Name: "t.mid", Loc: "trace_test.go:13"},
}

func worker(wg *sync.WaitGroup) {
	__sp := spantree.Start(&tfns[1])
	defer __sp.Done()
	defer wg.Done()
}

// A named function started with a go statement finds its launcher through
// the goroutine's parent id.
func launcher() {
	__sp := spantree.Start(&tfns[0])
	defer __sp.Done()
	var wg sync.WaitGroup
	wg.Add(2)
	go worker(&wg)
	go worker(&wg)
	wg.Wait()
}

func TestGoStatementLinksToLauncher(t *testing.T) {
	rec := spantest.Record(t)
	launcher()
	got := rec.Trace(t, "t.launcher").Outline()
	want := "t.launcher\n  t.worker [go]\n  t.worker [go]\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outline (-want +got):\n%s", diff)
	}
}

func leaky(release chan struct{}, done chan struct{}) {
	__sp := spantree.Start(&tfns[2])
	defer __sp.Done()
	go func() {
		__sp := spantree.StartLit(__sp, &tfns[1])
		defer __sp.Done()
		defer close(done)
		<-release
	}()
}

// A root that ends while a goroutine it started still runs says so, and the
// goroutine's span arrives later as an update of the same trace.
func TestLeakedGoroutineIsReported(t *testing.T) {
	rec := spantest.Record(t)
	release, done := make(chan struct{}), make(chan struct{})
	leaky(release, done)
	// Keep the goroutine running until the root's trace has been published
	// (after the grace period, or at once if the goroutine had not started).
	deadline := time.Now().Add(2 * time.Second)
	for published := false; !published; {
		for _, tr := range rec.Traces() {
			if r := tr.Root(); r != nil && r.Name == "t.leaky" {
				published = true
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("root's trace not published within 2s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	<-done
	var tr *spantest.Trace
	for {
		tr = rec.Trace(t, "t.leaky")
		if w := tr.Find("t.worker"); len(w) == 1 && w[0].Status == spantree.StatusSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("late goroutine span never replaced:\n%s", tr.Outline())
		}
		time.Sleep(10 * time.Millisecond)
	}
	names, _ := tr.Root().Attrs["spantree.outlived_goroutines"].([]string)
	if diff := cmp.Diff([]string{"t.worker"}, names); diff != "" {
		t.Errorf("outlived goroutines (-want +got):\n%s", diff)
	}
	if got, want := tr.Outline(), "t.leaky\n  t.worker [go]\n"; got != want {
		t.Errorf("outline = %q; want %q", got, want)
	}
}

func server(t *testing.T, req *http.Request) {
	__sp := spantree.Start(&tfns[3])
	defer __sp.Done()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		__sp := spanhttp.Start(__sp, r, &tfns[4])
		defer __sp.Done()
		w.WriteHeader(204)
	}))
	defer srv.Close()
	req.URL, _ = req.URL.Parse(srv.URL)
	req.RequestURI = ""
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// A handler starts a trace of its own, continuing an incoming traceparent and
// linked to the span that started the server.
func TestHandlerStartsOwnTrace(t *testing.T) {
	rec := spantest.Record(t)
	req, _ := http.NewRequest("GET", "http://x/", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	server(t, req)
	srv := rec.Trace(t, "t.server")
	h := rec.Trace(t, "t.handler")
	if got, want := h.ID.Hex(), "4bf92f3577b34da6a3ce929d0e0e4736"; got != want {
		t.Errorf("handler trace id = %s; want the caller's %s", got, want)
	}
	root := h.Spans[0]
	if got, want := root.ParentID.String(), "00f067aa0ba902b7"; got != want {
		t.Errorf("handler parent = %s; want the caller's span %s", got, want)
	}
	if len(root.Links) != 1 || root.Links[0].TraceID != srv.ID {
		t.Errorf("handler links = %+v; want one to the server trace %s", root.Links, srv.ID)
	}
}

func step() {
	__sp := spantree.Start(&tfns[6])
	defer __sp.Done()
}

func many(n int) {
	__sp := spantree.Start(&tfns[5])
	defer __sp.Done()
	for i := 0; i < n; i++ {
		step()
	}
}

// A trace keeps at most SPANTREE_MAX_SPANS spans (300 here) between two
// publications and says how many it dropped in all. A slow run (-race on a
// loaded machine) may publish the running root every SPANTREE_PUBLISH (100ms
// here) and so keep up to 300 per publication: the counts must add up either
// way.
func TestTraceIsBounded(t *testing.T) {
	rec := spantest.Record(t)
	many(1000)
	tr := rec.Trace(t, "t.many")
	kept := calls(tr, "t.step")
	if kept >= 1000 {
		t.Errorf("trace kept %d step calls; want some dropped", kept)
	}
	if got := tr.Root().Attrs["spantree.dropped_spans"]; got != 1000-kept {
		t.Errorf("dropped_spans = %v; want %d (1000 - %d kept)", got, 1000-kept, kept)
	}
	if tr.Dropped != 1000-kept {
		t.Errorf("Trace.Dropped = %d; want %d", tr.Dropped, 1000-kept)
	}
}

func twig() {
	__sp := spantree.Start(&tfns[11])
	defer __sp.Done()
}

// branch is slower than SPANTREE_FOLD (200µs), so that it never folds for
// being fast.
func branch() {
	__sp := spantree.Start(&tfns[10])
	defer __sp.Done()
	for t0 := time.Now(); time.Since(t0) < 250*time.Microsecond; {
	}
	twig()
	twig()
}

func wide(mids, branches int) {
	__sp := spantree.Start(&tfns[9])
	defer __sp.Done()
	for range mids {
		mid(branches)
	}
}

func mid(branches int) {
	__sp := spantree.Start(&tfns[12])
	defer __sp.Done()
	for range branches {
		branch()
	}
}

// Once a trace holds SPANTREE_MAX_SPANS spans (300 here), further calls
// fold instead of being recorded and then dropped: every call is still
// counted (a folded call with what it called), and only a call that found the trace full (about one per
// publication) is dropped. wide's 20 mids of 10 slow branches with two twigs
// each would be 621 spans, none of them folding on their own (the branches
// are slow, and fewer than crowdKeep under each mid).
func TestFullTraceFolds(t *testing.T) {
	rec := spantest.Record(t)
	wide(20, 10)
	tr := rec.Trace(t, "t.wide")
	// A folded mid stands for the branches it called.
	if got := calls(tr, "t.mid") + tr.Dropped; got < 20 {
		t.Errorf("t.mid calls kept %d + dropped spans %d < 20:\n%s", calls(tr, "t.mid"), tr.Dropped, tr.Outline())
	}
	if tr.Dropped > 30 {
		t.Errorf("Trace.Dropped = %d; want the calls past the cap folded, not dropped", tr.Dropped)
	}
	if n := len(tr.Spans); n > 300+30 {
		t.Errorf("trace has %d spans; want at most about SPANTREE_MAX_SPANS (300)", n)
	}
}

func long(stop chan struct{}) {
	__sp := spantree.Start(&tfns[7])
	defer __sp.Done()
	step()
	<-stop
}

// A long-running root publishes its finished spans and itself (started)
// while it runs, every SPANTREE_PUBLISH (100ms here).
func TestLongRunningTracePublishes(t *testing.T) {
	rec := spantest.Record(t)
	stop := make(chan struct{})
	go long(stop)
	deadline := time.Now().Add(3 * time.Second)
	for {
		var found *spantest.Trace
		for _, tr := range rec.Traces() {
			if r := tr.Root(); r != nil && r.Name == "t.long" {
				found = tr
			}
		}
		if found != nil && found.Root().Status == spantree.StatusStarted && len(found.Find("t.step")) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("running trace was not published within 3s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	for {
		tr := rec.Trace(t, "t.long")
		if tr.Root().Status == spantree.StatusSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("root never replaced by its final version")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func parallel(ctx context.Context, n int) {
	ctx, __sp := spantree.StartContext(ctx, &tfns[8])
	defer __sp.Done()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			__sp := spantree.StartLit(__sp, &tfns[1])
			defer __sp.Done()
			defer wg.Done()
			for j := 0; j < 20; j++ {
				step()
			}
		}()
	}
	wg.Wait()
	_ = ctx
}

// Many goroutines in one trace: run with -race.
func TestConcurrentSpans(t *testing.T) {
	rec := spantest.Record(t)
	parallel(context.Background(), 8)
	tr := rec.Trace(t, "t.parallel")
	if got := len(tr.Find("t.worker")); got != 8 {
		t.Errorf("worker spans = %d; want 8", got)
	}
	if got := calls(tr, "t.step"); got != 160 {
		t.Errorf("step calls = %d; want 160", got)
	}
	if !strings.HasPrefix(tr.Outline(), "t.parallel\n  t.worker [go]\n    t.step\n") {
		t.Errorf("outline starts:\n%s", tr.Outline()[:80])
	}
}

// calls counts the calls of name in tr, folded or not.
func calls(tr *spantest.Trace, name string) int64 {
	var n int64
	for _, s := range tr.Find(name) {
		if s.Fold != nil {
			n += s.Fold.Count
		} else {
			n++
		}
	}
	return n
}
