package spantree

import "sync/atomic"

// Goroutines that start after their launcher's span ended. A named function
// started with a go statement finds its parent on the goroutine that
// launched it (launcherSpan); when that goroutine's span has already ended
// (an HTTP handler that returns right after `go notify(order)`), the request
// it served is still the right parent for a while: the goroutine joins that
// trace, as a late goroutine, instead of starting a trace of its own. A
// goroutine remembers its last outermost handler span here when it ends, in
// a small table keyed by goroutine id; an entry is trusted for lateJoin.
//
// Only handlers: a goroutine that ran some other span and then, outside any
// span, started another goroutine (a producer, then a consumer) did not
// start it from that span, and the runtime cannot tell the two apart. A
// handler's goroutine runs nothing of the program's between requests.

const endedBits = 10

var ended [1 << endedBits]endedSlot

// endedSlot is one goroutine's last outermost span, written under a
// sequence number (odd while written) so that a reader never pairs one
// goroutine's id with another's span.
type endedSlot struct {
	seq  atomic.Uint64
	goid atomic.Uint64
	sp   atomic.Pointer[span]
}

func endedSlotOf(id uint64) *endedSlot { return &ended[(id*0x9e3779b97f4a7c15)>>(64-endedBits)] }

// rememberEnded records that goroutine id's outermost span r has ended.
func rememberEnded(id uint64, r *span) {
	if r.fn.Kind != KindHandler {
		return
	}
	e := endedSlotOf(id)
	for {
		s := e.seq.Load()
		if s&1 == 0 && e.seq.CompareAndSwap(s, s+1) {
			e.goid.Store(id)
			e.sp.Store(r)
			e.seq.Store(s + 2)
			return
		}
		if s&1 != 0 {
			return // another goroutine is writing this entry: skip, it is only a hint
		}
	}
}

// endedSpan returns the last outermost span of goroutine id if it ended
// less than lateJoin ago, else nil.
func endedSpan(id uint64) *span {
	e := endedSlotOf(id)
	s := e.seq.Load()
	if s&1 != 0 {
		return nil
	}
	g, sp := e.goid.Load(), e.sp.Load()
	if e.seq.Load() != s || g != id || sp == nil {
		return nil
	}
	if end := sp.end.Load(); end == 0 || now()-end > lateJoin {
		return nil
	}
	return sp
}
