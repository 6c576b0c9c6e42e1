package spantree

import (
	"testing"
	"time"
)

func TestTSCMatchesNanotime(t *testing.T) {
	if !tscTrusted() {
		t.Skip("the kernel does not keep time with the TSC here; now() reads nanotime")
	}
	ensureInit()
	deadline := time.Now().Add(2 * time.Second)
	for tsc.Load() == nil {
		if time.Now().After(deadline) {
			t.Fatal("TSC calibration did not finish within 2s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := 0; i < 5; i++ {
		a := nanotime()
		b := now()
		c := nanotime()
		// b must fall between a and c, give or take calibration error (1 µs).
		if b < a-1000 || b > c+1000 {
			t.Errorf("now() = %d; want within [%d, %d]", b, a, c)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGoidProbe(t *testing.T) {
	ensureInit() // probes the offsets once; probing again would race with running spans
	if !haveGetg {
		t.Skip("no getg on this architecture: the slow path is used")
	}
	if idOff < 0 {
		t.Fatal("goroutine id offset not found on a supported architecture")
	}
	if got, want := goid(), stackGoid(); got != want {
		t.Errorf("goid() = %d; want %d (runtime.Stack)", got, want)
	}
	if parentOff < 0 {
		t.Fatal("parent goroutine id offset not found (Go 1.21+ has runtime.g.parentGoid)")
	}
	me := goid()
	got := make(chan [2]uint64)
	go func() { got <- [2]uint64{goid(), parentGoid()} }()
	ids := <-got
	if ids[1] != me || ids[0] == me {
		t.Errorf("child goid, parentGoid = %d, %d; want a new id and %d", ids[0], ids[1], me)
	}
}

func TestGoroutineTable(t *testing.T) {
	// Claim more slots than one window holds at one hash, then free them.
	var slots []*gslot
	for id := uint64(1 << 40); id < 1<<40+3*gwindow; id++ {
		s := claimSlot(id)
		if got := lookupSlot(id); got != s {
			t.Fatalf("lookupSlot(%d) = %p; want %p", id, got, s)
		}
		slots = append(slots, s)
	}
	for _, s := range slots {
		id := s.key.Load()
		s.release()
		if got := lookupSlot(id); got != nil {
			t.Errorf("lookupSlot(%d) after release = %p; want nil", id, got)
		}
	}
	if n := overflow.n.Load(); n != 0 {
		t.Errorf("overflow entries after release = %d; want 0", n)
	}
}
