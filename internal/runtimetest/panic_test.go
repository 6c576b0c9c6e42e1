package runtimetest

import (
	"testing"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var pfns = [...]spantree.Func{
	{Name: "t.deep", Loc: "panic_test.go:1", Kind: spantree.KindNoFold},
	{Name: "t.catcher", Loc: "panic_test.go:2"},
	{Name: "t.caller", Loc: "panic_test.go:3"},
	{Name: "t.thrower", Loc: "panic_test.go:4"},
	{Name: "t.top", Loc: "panic_test.go:5"},
}

// deep recurses n levels, then panics: the generated shape, Done deferred.
func deep(n int) int {
	__sp := spantree.Start(&pfns[0])
	defer __sp.Done()
	if n == 0 {
		panic("bottom")
	}
	return deep(n-1) + 1
}

func top(n int) (got any) {
	__sp := spantree.Start(&pfns[4])
	defer __sp.Done()
	defer func() { got = recover() }()
	deep(n)
	return nil
}

// A panic at the bottom of a deep recursion is recovered and re-raised once,
// by the innermost span, not once per frame; every span it unwinds through
// fails with it, and only the innermost keeps the stack.
func TestDeepPanic(t *testing.T) {
	rec := spantest.Record(t)
	const depth = 3000
	if got := top(depth); got != "bottom" {
		t.Fatalf("recovered %v; want bottom", got)
	}
	tr := rec.Trace(t, "t.top")
	spans := tr.Find("t.deep")
	if len(spans) < 100 {
		t.Fatalf("got %d t.deep spans; want many", len(spans))
	}
	stacks := 0
	for _, s := range spans {
		if s.Error == nil || !s.Error.Panic || s.Error.Message != "bottom" {
			t.Fatalf("span %s error = %+v; want the panic", s.SpanID, s.Error)
		}
		if s.Error.Stack != "" {
			stacks++
		}
	}
	if stacks != 1 {
		t.Errorf("%d spans carry a stack; want only the innermost", stacks)
	}
	if r := tr.Root(); r.Status != spantree.StatusSucceeded {
		t.Errorf("top (which recovered) status = %s; want succeeded", r.Status)
	}
}

func thrower() {
	__sp := spantree.Start(&pfns[3])
	defer __sp.Done()
	panic("caught below")
}

// catcher recovers its callee's panic and returns normally.
func catcher() (ok bool) {
	__sp := spantree.Start(&pfns[1])
	defer __sp.Done()
	defer func() { ok = recover() != nil }()
	thrower()
	return false
}

func caller() bool {
	__sp := spantree.Start(&pfns[2])
	defer __sp.Done()
	return catcher()
}

// A panic the program recovers does not fail the spans above the one that
// recovered it.
func TestRecoveredPanicStopsFailing(t *testing.T) {
	rec := spantest.Record(t)
	if !caller() {
		t.Fatal("catcher did not recover")
	}
	tr := rec.Trace(t, "t.caller")
	want := "t.caller\n  t.catcher handled(caught below)\n    t.thrower failed(caught below)\n"
	if got := tr.Outline(); got != want {
		t.Errorf("outline = %q; want %q", got, want)
	}
}

func BenchmarkDeepPanic(b *testing.B) {
	for i := 0; i < b.N; i++ {
		top(1000)
	}
}

// A root span whose panic its (uninstrumented) caller recovered leaves
// nothing on its goroutine: spans started there afterwards, deeper in the
// stack, do not inherit the old panic.
func TestRecoveredRootPanicDoesNotLeak(t *testing.T) {
	rec := spantest.Record(t)
	func() {
		defer func() { recover() }()
		thrower()
	}()
	down(40) // deeper than the panic's Done was
	tr := rec.Trace(t, "t.down")
	for _, s := range tr.Spans {
		if s.Status != spantree.StatusSucceeded {
			t.Errorf("%s: status %s, error %+v; want succeeded", s.Name, s.Status, s.Error)
		}
	}
}

var downFn = spantree.Func{Name: "t.down", Loc: "panic_test.go:6", Kind: spantree.KindNoFold}

func down(n int) int {
	__sp := spantree.Start(&downFn)
	defer __sp.Done()
	if n == 0 {
		return 0
	}
	return down(n-1) + 1
}
