package runtimetest

import (
	"os"
	"os/exec"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var nfns = [...]spantree.Func{
	{Name: "t.panicsNil", Loc: "panicnil_test.go:1", Kind: spantree.KindNoFold},
	{Name: "t.calm", Loc: "panicnil_test.go:2", Kind: spantree.KindNoFold},
}

func panicsNil() {
	__sp := spantree.Start(&nfns[0])
	defer __sp.Done()
	panic(nil)
}

func calm() int {
	__sp := spantree.Start(&nfns[1])
	defer __sp.Done()
	return 1
}

// Under GODEBUG=panicnil=1 (modules older than go 1.21), recover returns nil
// for panic(nil) and stops it: Done must still let it go on. The test runs
// itself again with that setting.
func TestPanicNilKeepsGoing(t *testing.T) {
	if os.Getenv("SPANTREE_TEST_PANICNIL") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPanicNilKeepsGoing$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SPANTREE_TEST_PANICNIL=1", "GODEBUG=panicnil=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("with GODEBUG=panicnil=1: %v\n%s", err, out)
		}
		return
	}
	rec := spantest.Record(t)
	returned := false
	func() {
		defer func() { recover() }()
		panicsNil()
		returned = true
	}()
	if returned {
		t.Fatal("panicsNil() returned normally: its panic(nil) was swallowed")
	}
	if s := rec.Trace(t, "t.panicsNil").Span(t, "t.panicsNil"); s.Error == nil || !s.Error.Panic {
		t.Errorf("span of panicsNil: error %+v; want a panic", s.Error)
	}

	// A function that returns normally inside a deferred call, while
	// another panic runs, is not taken for one that panicked with nil.
	got := 0
	func() {
		defer func() { recover() }()
		defer func() { got = calm() }()
		panic("outer")
	}()
	if got != 1 {
		t.Errorf("calm() in a deferred call = %d; want 1", got)
	}
	if s := rec.Trace(t, "t.calm").Span(t, "t.calm"); s.Status != spantree.StatusSucceeded {
		t.Errorf("span of calm: status %s, error %+v; want succeeded", s.Status, s.Error)
	}
}
