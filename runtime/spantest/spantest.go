// Package spantest records the traces of instrumented code in tests: the
// test mode. A Recorder is a sink that keeps every trace instead of
// printing it, with helpers to find spans and assert on the tree.
//
//	rec := spantest.Record(t)
//	code.Under.Test()
//	tr := rec.Trace(t, "pkg.Under.Test")
//	root := tr.Span(t, "pkg.Under.Test")
//	if got := tr.Children(root.SpanID); ...
//
// When the test function is instrumented too (spangen -w over the test
// files, or spangen go test), the test is the root of the trace and the
// function under test a span inside it: Trace then returns the subtree of
// the one span with that name.
package spantest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// Recorder is a sink that keeps what it is given. The zero value is ready to
// use; it is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	traces map[spantree.TraceID]*Trace
	order  []spantree.TraceID
}

var _ spantree.Sink = (*Recorder)(nil)

// Record installs a new Recorder as the only sink for the rest of the test and
// restores the previous sinks when the test ends.
func Record(tb testing.TB) *Recorder {
	tb.Helper()
	r := &Recorder{}
	restore := spantree.SetSinks(r)
	tb.Cleanup(restore)
	return r
}

// Export keeps t, merging spans sent again with the same ids.
func (r *Recorder) Export(_ context.Context, t *spantree.Trace) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.traces == nil {
		r.traces = map[spantree.TraceID]*Trace{}
	}
	tr := r.traces[t.ID]
	if tr == nil {
		tr = &Trace{ID: t.ID}
		r.traces[t.ID] = tr
		r.order = append(r.order, t.ID)
	}
	tr.merge(t)
	return nil
}

// Flush does nothing.
func (r *Recorder) Flush(context.Context) error { return nil }

// Traces returns a copy of every trace recorded so far, first recorded first.
// Call spantree.Flush first to wait for traces whose root just ended.
func (r *Recorder) Traces() []*Trace {
	spantree.Flush()
	return r.Snapshot()
}

// Snapshot returns a copy of every trace recorded so far, as Traces does,
// without flushing first.
func (r *Recorder) Snapshot() []*Trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Trace, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.traces[id].clone())
	}
	return out
}

// Trace returns the one complete trace whose root is named root, failing the
// test when there is none or more than one. When no trace has that root but
// one span of one trace has that name (the test that called it is
// instrumented and is the root), it returns that span's subtree. It waits up
// to a second for the trace to arrive and settle (no span still running),
// for roots that end on another goroutine and goroutines that outlive their
// root; after that it returns the trace as it is.
func (r *Recorder) Trace(tb testing.TB, root string) *Trace {
	tb.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		var found []*Trace
		traces := r.Traces()
		for _, t := range traces {
			if rt := t.Root(); rt != nil && rt.Name == root {
				found = append(found, t)
			}
		}
		if len(found) == 0 {
			found = subtrees(traces, root)
		}
		switch {
		case len(found) == 1 && (found[0].settled() || time.Now().After(deadline)):
			return found[0]
		case len(found) > 1:
			tb.Fatalf("spantest: %d traces with root %q, want 1", len(found), root)
		case time.Now().After(deadline):
			var roots []string
			for _, t := range r.Traces() {
				if rt := t.Root(); rt != nil {
					roots = append(roots, rt.Name)
				}
			}
			tb.Fatalf("spantest: no trace with root %q; roots recorded: %q", root, roots)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// subtrees returns, for each span named name in traces, the trace cut down
// to that span and the spans under it.
func subtrees(traces []*Trace, name string) []*Trace {
	var out []*Trace
	for _, t := range traces {
		for _, s := range t.Find(name) {
			out = append(out, t.subtree(s.SpanID))
		}
	}
	return out
}

// subtree is t cut down to the span with id and its descendants.
func (t *Trace) subtree(id spantree.SpanID) *Trace {
	kids := map[spantree.SpanID][]int{}
	at := -1
	for i := range t.Spans {
		kids[t.Spans[i].ParentID] = append(kids[t.Spans[i].ParentID], i)
		if t.Spans[i].SpanID == id {
			at = i
		}
	}
	sub := &Trace{ID: t.ID, Complete: t.Complete}
	var walk func(i int)
	walk = func(i int) {
		sub.Spans = append(sub.Spans, t.Spans[i])
		for _, k := range kids[t.Spans[i].SpanID] {
			walk(k)
		}
	}
	if at >= 0 {
		walk(at)
		// The span is this subtree's root: its parent is outside it.
		sub.Spans[0].ParentID = spantree.SpanID{}
	}
	return sub
}

// Trace is one recorded trace.
type Trace struct {
	ID       spantree.TraceID
	Spans    []spantree.SpanData
	Complete bool
	Dropped  int64
}

func (t *Trace) merge(in *spantree.Trace) {
	idx := make(map[spantree.SpanID]int, len(t.Spans))
	for i := range t.Spans {
		idx[t.Spans[i].SpanID] = i
	}
	for _, s := range in.Spans {
		if i, ok := idx[s.SpanID]; ok {
			t.Spans[i] = s
			continue
		}
		idx[s.SpanID] = len(t.Spans)
		t.Spans = append(t.Spans, s)
	}
	t.Complete = t.Complete || in.Complete
	t.Dropped += in.Dropped
}

// settled reports whether the root has ended and no span is running.
func (t *Trace) settled() bool {
	if !t.Complete {
		return false
	}
	for i := range t.Spans {
		if t.Spans[i].Status == spantree.StatusStarted {
			return false
		}
	}
	return true
}

func (t *Trace) clone() *Trace {
	c := *t
	c.Spans = append([]spantree.SpanData(nil), t.Spans...)
	return &c
}

// Root returns the span without a parent in this trace (the first, if a
// broken trace has several), or nil.
func (t *Trace) Root() *spantree.SpanData {
	ids := map[spantree.SpanID]bool{}
	for i := range t.Spans {
		ids[t.Spans[i].SpanID] = true
	}
	for i := range t.Spans {
		if p := t.Spans[i].ParentID; p.IsZero() || !ids[p] {
			return &t.Spans[i]
		}
	}
	return nil
}

// Find returns the spans named name, earliest first.
func (t *Trace) Find(name string) []*spantree.SpanData {
	var out []*spantree.SpanData
	for i := range t.Spans {
		if t.Spans[i].Name == name {
			out = append(out, &t.Spans[i])
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start.Before(out[b].Start) })
	return out
}

// Span returns the one span named name, failing the test unless there is
// exactly one.
func (t *Trace) Span(tb testing.TB, name string) *spantree.SpanData {
	tb.Helper()
	f := t.Find(name)
	if len(f) != 1 {
		tb.Fatalf("spantest: %d spans named %q, want 1; trace:\n%s", len(f), name, t.Outline())
	}
	return f[0]
}

// Children returns the names of the children of the span with id, earliest
// first.
func (t *Trace) Children(id spantree.SpanID) []string {
	var kids []*spantree.SpanData
	for i := range t.Spans {
		if t.Spans[i].ParentID == id {
			kids = append(kids, &t.Spans[i])
		}
	}
	sort.SliceStable(kids, func(a, b int) bool { return kids[a].Start.Before(kids[b].Start) })
	names := make([]string, len(kids))
	for i, k := range kids {
		names[i] = k.Name
	}
	return names
}

// Outline is the tree as indented names with status marks, without times or
// ids: stable enough for cmp.Diff and golden files. Siblings are ordered by
// start time.
func (t *Trace) Outline() string {
	var b strings.Builder
	root := t.Root()
	if root == nil {
		return ""
	}
	var walk func(s *spantree.SpanData, depth int)
	walk = func(s *spantree.SpanData, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(s.Name)
		switch {
		case s.Status == spantree.StatusFailed && s.Error != nil:
			fmt.Fprintf(&b, " failed(%s)", s.Error.Message)
		case s.Status != spantree.StatusSucceeded:
			fmt.Fprintf(&b, " %s", s.Status)
		}
		if s.Fold != nil {
			fmt.Fprintf(&b, " x%d", s.Fold.Count)
		}
		if s.Goroutine {
			b.WriteString(" [go]")
		}
		for _, h := range s.HandledErrors {
			fmt.Fprintf(&b, " handled(%s)", h.Message)
		}
		b.WriteString("\n")
		var kids []*spantree.SpanData
		for i := range t.Spans {
			if t.Spans[i].ParentID == s.SpanID && &t.Spans[i] != s {
				kids = append(kids, &t.Spans[i])
			}
		}
		sort.SliceStable(kids, func(a, c int) bool {
			if kids[a].Start.Equal(kids[c].Start) {
				return kids[a].Name < kids[c].Name
			}
			return kids[a].Start.Before(kids[c].Start)
		})
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	walk(root, 0)
	return b.String()
}
