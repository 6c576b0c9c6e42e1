package spantree

import (
	"io"
	"testing"
	"time"
)

var relearnFns = [...]Func{
	{Name: "t.relearnRoot", Loc: "fold_internal_test.go:1"},
	{Name: "t.relearnLeaf", Loc: "fold_internal_test.go:2"},
}

// relearnLeaf is a fast function that sleeps past SPANTREE_FOLD when told.
func relearnLeaf(slow bool) {
	__sp := Start(&relearnFns[1])
	if __sp.Live() {
		defer __sp.Done()
	}
	if slow {
		time.Sleep(2 * state.cfg.Fold)
	}
}

// TestCrowdRelearnsFast checks that a fast function that turned slow for a
// while, and so folds as a crowd under its parent (every call timed), goes
// back to folding as fast (a sample timed) once it
// proves fast again, rather than paying two clock readings a call until its
// parent ends.
func TestCrowdRelearnsFast(t *testing.T) {
	restore := SetSinks(NewJSON(io.Discard))
	defer restore()
	defer Flush() // after root.Done: its trace goes to io.Discard
	fn := &relearnFns[1]
	root := Start(&relearnFns[0])
	defer root.Done()
	entry := func() *foldEntry {
		f := root.rec.slot.lastFold
		if f == nil || f.fn != fn || f.p != root.rec {
			return nil
		}
		return f
	}
	// Fast calls teach it to fold (foldAfter), after foldKeep whole ones.
	for range 100 {
		relearnLeaf(false)
	}
	if f := entry(); f == nil || !f.on || f.crowd {
		t.Fatalf("after 100 fast calls the entry is %+v; want folding as fast", f)
	}
	// Slow calls: a timed one is recorded and the function stops folding
	// as fast; the next ones are recorded whole until its parent has
	// crowdKeep of them, and the rest fold as a crowd, every call timed.
	for i := 0; entry() == nil || !entry().crowd; i++ {
		if i > 4*crowdKeep+4*foldTimeEvery {
			t.Fatalf("%d slow calls and no crowd: %+v, fast = %d", i, entry(), fn.fast.Load())
		}
		relearnLeaf(true)
	}
	// Fast again: after foldAfter fast calls in a row (a few more if the
	// machine stalls one of them), the entry times a sample again.
	for i := 0; entry().crowd; i++ {
		if i > 100*foldAfter {
			t.Fatalf("%d fast calls and the crowd still times every call: fast = %d", i, fn.fast.Load())
		}
		relearnLeaf(false)
	}
	if f := entry(); !f.folding() {
		t.Errorf("the entry no longer folds: %+v", f)
	}
}

// TestFoldTimesASample checks how many of a long loop's folded calls read
// the clock: the entry's first call and one in foldTimeEvery for its first
// foldTimeLong calls, then one in foldTimeEveryLong.
func TestFoldTimesASample(t *testing.T) {
	restore := SetSinks(NewJSON(io.Discard))
	defer restore()
	defer Flush() // after root.Done: its trace goes to io.Discard
	root := Start(&relearnFns[0])
	defer root.Done()
	const n = 20000
	for range n {
		relearnLeaf(false)
	}
	f := root.rec.slot.lastFold
	if f == nil || f.fn != &relearnFns[1] {
		t.Fatalf("no fold entry for the leaf: %+v", f)
	}
	// Counted from the entry's first call; a call the machine stalls past
	// SPANTREE_FOLD is recorded instead, and a few after it.
	want := int64(foldTimeLong/foldTimeEvery + (f.calls-foldTimeLong)/foldTimeEveryLong)
	if f.count < n-100 || f.timed < want-5 || f.timed > want+5 {
		t.Errorf("%d calls, %d folded, %d timed; want about %d timed", f.calls, f.count, f.timed, want)
	}
}
