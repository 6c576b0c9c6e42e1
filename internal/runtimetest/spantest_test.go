package runtimetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var stFns = [...]spantree.Func{
	{Name: "t.TestInstrumented", Loc: "spantest_test.go:1", Kind: spantree.KindTest},
	{Name: "t.underTest", Loc: "spantest_test.go:2"},
	{Name: "t.helper", Loc: "spantest_test.go:3"},
}

func underTest() {
	__sp := spantree.Start(&stFns[1])
	defer __sp.Done()
	helperCall()
}

func helperCall() {
	__sp := spantree.Start(&stFns[2])
	defer __sp.Done()
}

// rec.Trace finds the function under test inside the trace of a test that is
// itself instrumented (the test is the root).
func TestTraceFindsSubtree(t *testing.T) {
	rec := spantest.Record(t)
	func() { // stands for the instrumented test function
		__sp := spantree.Start(&stFns[0])
		defer __sp.Done()
		underTest()
	}()
	tr := rec.Trace(t, stFns[1].Name)
	if got, want := tr.Outline(), "t.underTest\n  t.helper\n"; got != want {
		t.Errorf("subtree outline:\n%s\nwant:\n%s", got, want)
	}
	root := tr.Span(t, stFns[1].Name)
	if diff := cmp.Diff([]string{stFns[2].Name}, tr.Children(root.SpanID)); diff != "" {
		t.Errorf("children (-want +got):\n%s", diff)
	}
}

var renameFns = [...]spantree.Func{
	{Name: "t.TestTable", Loc: "spantest_test.go:10", Kind: spantree.KindTest},
	{Name: "t.TestTable/*", Loc: "spantest_test.go:11", Kind: spantree.KindTest},
}

// A subtest named at run time (t.Run(tc.name, ...)) carries the name the
// testing package gave it.
func TestRenameSubtest(t *testing.T) {
	rec := spantest.Record(t)
	func() {
		__sp := spantree.Start(&renameFns[0])
		defer __sp.Done()
		for _, name := range []string{"case_a", "case_b"} {
			func() {
				__sp := spantree.StartLit(__sp, &renameFns[1])
				defer __sp.Done()
				__sp.Rename("t.TestTable/" + name)
			}()
		}
	}()
	tr := rec.Trace(t, renameFns[0].Name)
	root := tr.Span(t, renameFns[0].Name)
	if diff := cmp.Diff([]string{"t.TestTable/case_a", "t.TestTable/case_b"}, tr.Children(root.SpanID)); diff != "" {
		t.Errorf("subtests (-want +got):\n%s", diff)
	}
}
