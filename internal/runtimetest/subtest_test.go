package runtimetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var sfns = [...]spantree.Func{
	{Name: "t.TestGroup", Loc: "subtest_test.go:1", Kind: spantree.KindTest},
	{Name: "t.TestGroup/case", Loc: "subtest_test.go:2", Kind: spantree.KindTest},
}

// group is a test function written as spangen writes it, whose subtests
// call t.Parallel: the testing package runs them only after group returns.
func group(t *testing.T) {
	__sp := spantree.Start(&sfns[0])
	defer __sp.Done()
	for range 3 {
		t.Run("case", func(t *testing.T) {
			__sp := spantree.StartLit(__sp, &sfns[1])
			defer __sp.Done()
			t.Parallel()
			time.Sleep(time.Millisecond)
		})
	}
}

// Parallel subtests run after their parent returned; the parent's trace
// waits for them and does not call them goroutines that outlived it.
func TestParallelSubtests(t *testing.T) {
	rec := spantest.Record(t)
	t.Run("group", group) // returns when the parallel subtests are done
	tr := rec.Trace(t, "t.TestGroup")
	want := `t.TestGroup
  t.TestGroup/case [go]
  t.TestGroup/case [go]
  t.TestGroup/case [go]
`
	if diff := cmp.Diff(want, tr.Outline()); diff != "" {
		t.Errorf("outline (-want +got):\n%s", diff)
	}
	if got := tr.Root().Attrs["spantree.outlived_goroutines"]; got != nil {
		t.Errorf("root says subtests outlived it: %v", got)
	}
	if !tr.Complete {
		t.Error("trace not complete")
	}
}
