package runtimetest

import (
	"strings"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var recFns = [...]spantree.Func{
	{Name: "t.safely", Loc: "recovered_test.go:1"},
	{Name: "t.safely.func1", Loc: "recovered_test.go:2"},
	{Name: "t.explodes", Loc: "recovered_test.go:3"},
}

// tinyExplodes is a function too small to be instrumented: no span of its
// own records its panic.
func tinyExplodes() { panic("tiny boom") }

// explodes is instrumented: its span records the panic.
func explodes() {
	__sp := spantree.Start(&recFns[2])
	defer __sp.Done()
	panic("big boom")
}

// safely calls f and recovers its panic in a deferred literal, written as
// spangen writes it.
func safely(f func()) (recovered any) {
	__sp := spantree.Start(&recFns[0])
	defer __sp.Done()
	defer func() {
		__sp := spantree.StartLit(__sp, &recFns[1])
		defer __sp.Done()
		recovered = __sp.Recovered(recover())
	}()
	f()
	return nil
}

// A recovered panic shows on the span whose deferred literal recovered it,
// with its value and a stack naming where it was raised, and only once.
func TestRecoveredPanicShows(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      func()
		msg    string
		origin string
	}{
		{"tiny", tinyExplodes, "tiny boom", "tinyExplodes"},
		{"instrumented", explodes, "big boom", "explodes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := spantest.Record(t)
			if got := safely(tc.f); got != tc.msg {
				t.Fatalf("safely recovered %v; want %q", got, tc.msg)
			}
			tr := rec.Trace(t, recFns[0].Name)
			s := tr.Span(t, recFns[0].Name)
			if s.Status != spantree.StatusSucceeded {
				t.Errorf("%s status = %s; want succeeded (it recovered)", recFns[0].Name, s.Status)
			}
			var panics []spantree.ErrorInfo
			for _, h := range s.HandledErrors {
				if h.Panic {
					panics = append(panics, h)
				}
			}
			if len(panics) != 1 || panics[0].Message != tc.msg {
				t.Fatalf("handled panics on %s = %+v; want one, %q\n%s", recFns[0].Name, panics, tc.msg, tr.Outline())
			}
			if tc.name == "tiny" && !strings.Contains(panics[0].Stack, tc.origin) {
				t.Errorf("handled panic's stack does not name %s:\n%s", tc.origin, panics[0].Stack)
			}
		})
	}
}
