package runtimetest

import (
	"strings"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

// A sampled-out trace is published only when it fails (or is slow), and
// then holds its root, its failures and per-function counts.
func TestSampledOut(t *testing.T) {
	rec := spantest.Record(t)
	spantree.SetSample(0)
	defer spantree.SetSample(1)
	inner() // fast, succeeds: dropped
	if err := outer(); err == nil {
		t.Fatal("outer() = nil; want an error")
	}
	for _, tr := range rec.Traces() {
		if r := tr.Root(); r != nil && r.Name == "t.inner" {
			t.Errorf("sampled-out successful trace was published:\n%s", tr.Outline())
		}
	}
	tr := rec.Trace(t, "t.outer")
	out := tr.Outline()
	for _, want := range []string{"t.outer failed(boom)", "t.fails failed(boom)", "t.outer.Go#1 [go]"} {
		if !strings.Contains(out, want) {
			t.Errorf("sampled-out failed trace lacks %q:\n%s", want, out)
		}
	}
	if len(tr.Find("t.inner")) != 1 || tr.Find("t.inner")[0].Fold != nil {
		t.Errorf("want the single call of t.inner as a plain span:\n%s", out)
	}
}
