package runtimetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

// The functions below are written the way spangen writes instrumented code.

var fns = [...]spantree.Func{
	{Name: "t.outer", Loc: "core_test.go:1"},
	{Name: "t.inner", Loc: "core_test.go:2"},
	{Name: "t.fails", Loc: "core_test.go:3"},
	{Name: "t.leaf", Loc: "core_test.go:4"},
	{Name: "t.outer.Go#1", Loc: "core_test.go:5"},
	{Name: "t.withCtx", Loc: "core_test.go:6"},
	{Name: "t.panics", Loc: "core_test.go:7"},
	{Name: "t.loop", Loc: "core_test.go:8"},
}

func outer() error {
	__sp := spantree.Start(&fns[0])
	defer __sp.Done()
	inner()
	_ = fails() // handled: outer does not return it
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		__sp := spantree.StartLit(__sp, &fns[4])
		defer __sp.Done()
		defer wg.Done()
		leaf()
	}()
	wg.Wait()
	return __sp.Err(withCtx(context.Background()))
}

func inner() {
	__sp := spantree.Start(&fns[1])
	defer __sp.Done()
	leaf()
}

func fails() (err error) {
	__sp := spantree.Start(&fns[2])
	defer __sp.DoneErr(&err)
	return errors.New("boom") // a new error each call: the handled one differs from the returned one
}

func leaf() int {
	__sp := spantree.Start(&fns[3])
	defer __sp.Done()
	return 1
}

func withCtx(ctx context.Context) error {
	ctx, __sp := spantree.StartContext(ctx, &fns[5])
	defer __sp.Done()
	if _, _, ok := spantree.SpanContext(ctx); !ok {
		return errors.New("no span in ctx")
	}
	return __sp.Err(fails())
}

func TestTree(t *testing.T) {
	rec := spantest.Record(t)
	if err := outer(); err == nil || err.Error() != "boom" {
		t.Fatalf("outer() = %v; want boom", err)
	}
	tr := rec.Trace(t, "t.outer")
	want := `t.outer failed(boom) handled(boom)
  t.inner
    t.leaf
  t.fails failed(boom)
  t.outer.Go#1 [go]
    t.leaf
  t.withCtx failed(boom)
    t.fails failed(boom)
`
	if diff := cmp.Diff(want, tr.Outline()); diff != "" {
		t.Errorf("outline (-want +got):\n%s", diff)
	}
}

func panics() {
	__sp := spantree.Start(&fns[6])
	defer __sp.Done()
	panic("kaboom")
}

func TestPanicKeepsGoing(t *testing.T) {
	rec := spantest.Record(t)
	func() {
		defer func() {
			if r := recover(); r != "kaboom" {
				t.Errorf("recover() = %v; want kaboom", r)
			}
		}()
		panics()
	}()
	tr := rec.Trace(t, "t.panics")
	s := tr.Span(t, "t.panics")
	if s.Error == nil || !s.Error.Panic || s.Error.Message != "kaboom" || !strings.Contains(s.Error.Stack, "panics") {
		t.Errorf("panic span error = %+v; want panic kaboom with a stack", s.Error)
	}
}

func loop(n int) {
	__sp := spantree.Start(&fns[7])
	defer __sp.Done()
	for i := 0; i < n; i++ {
		leaf()
	}
}

func TestFold(t *testing.T) {
	rec := spantest.Record(t)
	loop(1000)
	tr := rec.Trace(t, "t.loop")
	if n := calls(tr, "t.leaf"); n != 1000 {
		t.Errorf("leaf calls recorded = %d; want 1000\n%s", n, tr.Outline())
	}
	// One folded line, plus the odd call that a pause (GC, the race
	// detector) made slower than SPANTREE_FOLD: it stays a span of its own.
	if n := len(tr.Find("t.leaf")); n > 5 {
		t.Errorf("loop of 1000 leaf calls gave %d spans; want them folded:\n%s", n, tr.Outline())
	}
}
