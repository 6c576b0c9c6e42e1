package runtimetest

import (
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var crowdFns = [...]spantree.Func{
	{Name: "t.crowd", Loc: "crowd_test.go:1"},
	{Name: "t.slowCall", Loc: "crowd_test.go:2"},
	{Name: "t.twoParents", Loc: "crowd_test.go:3"},
}

// crowd calls slowCall n times, then leaf once.
func crowd(n int) {
	__sp := spantree.Start(&crowdFns[0])
	defer __sp.Done()
	for range n {
		slowCall()
	}
	leaf()
}

// slowCall is slower than SPANTREE_FOLD (200µs), so it never learns to
// fold as fast; it calls leaf, which does.
func slowCall() {
	__sp := spantree.Start(&crowdFns[1])
	defer __sp.Done()
	time.Sleep(300 * time.Microsecond)
	leaf()
}

// twoParents runs crowd twice: the crowd is counted per parent.
func twoParents(n int) {
	__sp := spantree.Start(&crowdFns[2])
	defer __sp.Done()
	crowd(n)
	crowd(n)
}

// TestCrowdFolds checks that a slow function called many times under one
// parent keeps its first calls whole (with their children) and folds the
// rest into one line that counts them all.
func TestCrowdFolds(t *testing.T) {
	const n = 50
	rec := spantest.Record(t)
	twoParents(n)
	tr := rec.Trace(t, "t.twoParents")
	for _, c := range tr.Find("t.crowd") {
		var whole, folded int64
		for i := range tr.Spans {
			k := &tr.Spans[i]
			if k.Name != "t.slowCall" || k.ParentID != c.SpanID {
				continue
			}
			if k.Fold != nil {
				folded += k.Fold.Count
				if k.Fold.MinNS < int64(300*time.Microsecond) || k.Fold.MaxNS < k.Fold.MinNS || k.Fold.TotalNS < k.Fold.MinNS*k.Fold.Count {
					t.Errorf("crowd fold = %+v; want every call timed, each at least 300µs", *k.Fold)
				}
				continue
			}
			whole++
			if len(tr.Children(k.SpanID)) != 1 {
				t.Errorf("a whole t.slowCall has children %v; want its t.leaf", tr.Children(k.SpanID))
			}
		}
		if whole+folded != n || whole < crowdKeep || whole > crowdKeep+2 {
			t.Errorf("t.slowCall under one t.crowd: %d whole + %d folded; want %d whole (a slow outlier or two more), %d in all\n%s", whole, folded, crowdKeep, n, tr.Outline())
		}
	}
	if got := calls(tr, "t.slowCall"); got != 2*n {
		t.Errorf("t.slowCall calls = %d; want %d", got, 2*n)
	}
}

// crowdKeep is the runtime's: how many calls of one function under one
// parent are recorded whole.
const crowdKeep = 32
