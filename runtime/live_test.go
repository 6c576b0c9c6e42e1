package spantree

import (
	"io"
	"testing"
)

var liveFns = [...]Func{
	{Name: "live.root", Loc: "live.go:1"},
	{Name: "live.leaf", Loc: "live.go:2"},
	{Name: "live.inner", Loc: "live.go:3"},
}

// liveInner reports Live of a call made inside its caller.
func liveInner() bool {
	__sp := Start(&liveFns[2])
	if __sp.Live() {
		defer __sp.Done()
	}
	return __sp.Live()
}

// liveLeaf reports Live of its own span and of the call it makes.
func liveLeaf() (self, inner bool) {
	__sp := Start(&liveFns[1])
	defer __sp.Done()
	return __sp.Live(), liveInner()
}

// TestLive checks that Live is true for spans Done must finish (recorded and
// folded calls) and false for calls made inside a folded call and for the
// zero Span, and that skipping Done for those keeps the tree whole.
func TestLive(t *testing.T) {
	if (Span{}).Live() {
		t.Error("zero Span is live")
	}
	restore := SetSinks(NewJSON(io.Discard))
	defer restore()
	root := Start(&liveFns[0])
	type result struct{ self, inner bool }
	var got []result
	for range 200 {
		self, inner := liveLeaf()
		got = append(got, result{self, inner})
	}
	root.Done()
	Flush()
	if r := got[0]; !r.self || !r.inner {
		t.Errorf("first call: Live = %v, inner %v; want both true (recorded)", r.self, r.inner)
	}
	last := got[len(got)-1]
	if !last.self {
		t.Error("a folded call is not live")
	}
	if last.inner {
		t.Error("a call inside a folded call is live")
	}
	if sl := lookupSlot(goid()); sl != nil && sl.foldDepth != 0 {
		t.Errorf("foldDepth = %d after the root ended; want 0", sl.foldDepth)
	}
}
