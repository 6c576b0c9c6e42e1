package runtimetest

import (
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

// Start counts a loop's folded calls in the entry the function's Func names
// (its fast path). These tests check that a call is counted under its own
// parent whichever goroutine ran the loop before, on the same g or not.

var hotFns = [...]spantree.Func{
	{Name: "t.hotLoop", Loc: "hot_test.go:1"},
	{Name: "t.hotLeaf", Loc: "hot_test.go:2"},
	{Name: "t.hotPhases", Loc: "hot_test.go:3"},
	{Name: "t.hotPhase", Loc: "hot_test.go:4"},
	{Name: "t.hotMixed", Loc: "hot_test.go:5"},
	{Name: "t.hotWrap", Loc: "hot_test.go:6", Kind: spantree.KindNoFold},
}

// hotMixed calls hotLeaf n times, and hotWrap, which calls it once more
// beneath a span of its own, after each.
func hotMixed(n int) {
	__sp := spantree.Start(&hotFns[4])
	if __sp.Live() {
		defer __sp.Done()
	}
	for range n {
		hotLeaf()
		hotWrap()
	}
}

func hotWrap() {
	__sp := spantree.Start(&hotFns[5])
	if __sp.Live() {
		defer __sp.Done()
	}
	hotLeaf()
}

// hotLoop is a root that calls hotLeaf n times.
func hotLoop(n int) {
	__sp := spantree.Start(&hotFns[0])
	if __sp.Live() {
		defer __sp.Done()
	}
	for range n {
		hotLeaf()
	}
}

func hotLeaf() {
	__sp := spantree.Start(&hotFns[1])
	if __sp.Live() {
		defer __sp.Done()
	}
}

// hotPhases runs one hotPhase per n, one after the other.
func hotPhases(ns ...int) {
	__sp := spantree.Start(&hotFns[2])
	if __sp.Live() {
		defer __sp.Done()
	}
	for _, n := range ns {
		hotPhase(n)
	}
}

func hotPhase(n int) {
	__sp := spantree.Start(&hotFns[3])
	if __sp.Live() {
		defer __sp.Done()
	}
	for range n {
		hotLeaf()
	}
}

// leafCounts returns the hotLeaf calls of each trace rooted at t.hotLoop,
// sorted.
func leafCounts(rec *spantest.Recorder) []int64 {
	var got []int64
	for _, tr := range rec.Traces() {
		if r := tr.Root(); r != nil && r.Name == "t.hotLoop" {
			got = append(got, calls(tr, "t.hotLeaf"))
		}
	}
	slices.Sort(got)
	return got
}

func TestHotFoldCountsUnderOwnParent(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(ns []int)
	}{
		{
			name: "goroutines looping at once",
			run: func(ns []int) {
				var wg sync.WaitGroup
				for _, n := range ns {
					wg.Go(func() { hotLoop(n) })
				}
				wg.Wait()
			},
		},
		{
			// Each goroutine exits before the next starts, so the runtime
			// is likely to give the next one the same g.
			name: "goroutines one after another",
			run: func(ns []int) {
				for _, n := range ns {
					done := make(chan struct{})
					go func() {
						defer close(done)
						hotLoop(n)
					}()
					<-done
				}
			},
		},
		{
			name: "one goroutine, a root after another",
			run: func(ns []int) {
				for _, n := range ns {
					hotLoop(n)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := spantest.Record(t)
			var ns []int
			var want []int64
			for i := range 12 {
				n := 200 + 37*i
				ns = append(ns, n)
				want = append(want, int64(n))
			}
			tc.run(ns)
			spantree.Flush()
			if diff := cmp.Diff(want, leafCounts(rec)); diff != "" {
				t.Errorf("hotLeaf calls per trace (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHotFoldFollowsNewParent(t *testing.T) {
	rec := spantest.Record(t)
	hotPhases(300, 200, 100)
	tr := rec.Trace(t, "t.hotPhases")
	phases := tr.Find("t.hotPhase")
	if len(phases) != 3 {
		t.Fatalf("got %d hotPhase spans; want 3:\n%s", len(phases), tr.Outline())
	}
	slices.SortFunc(phases, func(a, b *spantree.SpanData) int { return a.Start.Compare(b.Start) })
	var got []int64
	for _, p := range phases {
		var n int64
		for _, s := range tr.Find("t.hotLeaf") {
			if s.ParentID != p.SpanID {
				continue
			}
			if s.Fold != nil {
				n += s.Fold.Count
			} else {
				n++
			}
		}
		got = append(got, n)
	}
	if diff := cmp.Diff([]int64{300, 200, 100}, got); diff != "" {
		t.Errorf("hotLeaf calls under each phase (-want +got):\n%s\n%s", diff, tr.Outline())
	}
}

func TestHotFoldNotUnderChild(t *testing.T) {
	rec := spantest.Record(t)
	hotMixed(100)
	tr := rec.Trace(t, "t.hotMixed")
	root := tr.Root()
	var direct, beneath int64
	for _, s := range tr.Find("t.hotLeaf") {
		n := int64(1)
		if s.Fold != nil {
			n = s.Fold.Count
		}
		if s.ParentID == root.SpanID {
			direct += n
		} else {
			beneath += n
		}
	}
	// hotWrap is never folded: each call is a span with its hotLeaf.
	if direct != 100 || beneath != 100 {
		t.Errorf("hotLeaf calls directly under hotMixed = %d, beneath hotWrap %d; want 100 and 100\n%s", direct, beneath, tr.Outline())
	}
}
