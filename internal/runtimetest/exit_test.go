package runtimetest

import (
	"testing"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var exitFns = [...]spantree.Func{
	{Name: "t.cli", Loc: "exit_test.go:1", Kind: spantree.KindMain},
	{Name: "t.run", Loc: "exit_test.go:2"},
	{Name: "t.done", Loc: "exit_test.go:3"},
}

func exitDone() {
	__sp := spantree.Start(&exitFns[2])
	defer __sp.Done()
}

// exitRun stands for a function that ends the process: it calls Exiting as
// generated code does before os.Exit, and returns what the sink had been
// given by then (Exiting waits for the sinks).
func exitRun(rec *spantest.Recorder) (got []*spantest.Trace) {
	__sp := spantree.Start(&exitFns[1])
	defer __sp.Done()
	exitDone()
	if code := spantree.Exiting(3); code != 3 {
		panic("Exiting changed the code")
	}
	return rec.Snapshot() // not Traces, which would flush again
}

// A process that exits while its spans run publishes them ended by the exit:
// failed with the exit status and its code, and the trace complete.
func TestExitEndsRunningSpans(t *testing.T) {
	rec := spantest.Record(t)
	var traces []*spantest.Trace
	func() {
		__sp := spantree.Start(&exitFns[0])
		defer __sp.Done()
		traces = exitRun(rec)
	}()
	var tr *spantest.Trace
	for _, c := range traces {
		if r := c.Root(); r != nil && r.Name == exitFns[0].Name {
			tr = c
		}
	}
	if tr == nil {
		t.Fatalf("no trace of %s published at the exit", exitFns[0].Name)
	}
	if !tr.Complete {
		t.Error("trace published at the exit: Complete = false; want true")
	}
	for _, name := range []string{exitFns[0].Name, exitFns[1].Name} {
		s := tr.Span(t, name)
		if s.Status != spantree.StatusFailed || s.End.IsZero() || s.Error == nil || s.Error.Message != "exit status 3" {
			t.Errorf("%s at the exit: status %s, end %v, error %+v; want failed with exit status 3", name, s.Status, s.End, s.Error)
		}
		if code, _ := s.Attrs["process.exit.code"].(int); code != 3 {
			t.Errorf("%s: process.exit.code = %v; want 3", name, s.Attrs["process.exit.code"])
		}
	}
	if s := tr.Span(t, exitFns[2].Name); s.Status != spantree.StatusSucceeded {
		t.Errorf("%s, which ended before the exit: status %s; want succeeded", exitFns[2].Name, s.Status)
	}
}
