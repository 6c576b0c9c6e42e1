package spantree

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The goroutine table maps a goroutine id to the span running on it, for
// functions that take no context. It is an open-addressed array of slots: a
// goroutine claims a free slot (key 0) near the hash of its id with one
// compare-and-swap when its first span starts and frees it when its outermost
// span ends. Only the owning goroutine reads or writes a claimed slot's cur,
// so lookups are a few atomic loads. When every slot in a goroutine's window
// is taken (thousands of goroutines inside spans at once), the goroutine uses an overflow map behind a mutex.

const (
	gtableBits = 14
	gtableSize = 1 << gtableBits
	gtableMask = gtableSize - 1
	gwindow    = 16 // slots probed per lookup
)

type gslot struct {
	key atomic.Uint64 // goroutine id, 0 when free
	// index is the slot's place in the table (gkeys, gslots), -1 for a
	// slot of the overflow map.
	index int32
	cur   atomic.Pointer[span] // innermost running span of that goroutine
	// pending holds an error returned by a folded call until its End
	pendingFn  *Func
	pendingErr error
	// the panic unwinding through this goroutine's spans, see Span.Done
	panicInfo  *ErrorInfo
	panicErr   error
	panicDepth uintptr
	foldDepth  int32 // folded calls running on this goroutine (owner only)
	// marked is set while the goroutine's key in gkeys carries foldBit
	// (owner only): see markFold.
	marked     bool
	overflowed bool
	// g is that goroutine's runtime g (getg), nil without getg: set by the
	// goroutine that claims the slot, read by it alone.
	g unsafe.Pointer
	// slab is where this goroutine's span records are carved from (owner
	// only): one allocation per slabSize spans instead of one per span.
	slab []span
	// ids generates span ids (owner only), see nextID.
	ids uint64
	// lastFold is the fold entry this goroutine used last (foldEntry).
	lastFold *foldEntry
	// runs count recorded calls per parent and function (crowded).
	runs [8]runCount
}

// slabSize is how many span records one allocation holds. A record that is
// still referenced (a context the program kept, a parent of a running
// goroutine) keeps its slab alive, so the size trades allocation count
// against memory held by such stragglers: 32 records are about 5 KB.
const slabSize = 32

// newSpan returns a zeroed span record. Records are never reused: a slab
// is collected when none of its records is referenced any more, so a
// context or a Span that outlives its call can never see another call's data.
func (s *gslot) newSpan() *span {
	if len(s.slab) == 0 {
		s.slab = make([]span, slabSize)
	}
	r := &s.slab[0]
	s.slab = s.slab[1:]
	return r
}

// nextID returns a random, non-zero span id. Each slot runs its own
// SplitMix64 sequence, seeded from the runtime's ChaCha8 generator when the
// slot is claimed: the ids are as unpredictable as rand.Uint64's for a
// trace reader, at the cost of an add and three multiplies.
func (s *gslot) nextID() SpanID {
	s.ids += 0x9e3779b97f4a7c15
	z := s.ids
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	if z == 0 {
		z = 1
	}
	var id SpanID
	binary.LittleEndian.PutUint64(id[:], z)
	return id
}

// The table is two arrays: the keys, which lookups probe and which hold no
// pointers, and the slots, allocated when first claimed and kept for the
// next goroutine that claims the same index. A table of slots by value
// would be megabytes of pointers that every garbage collection scans.
var (
	gkeys  [gtableSize]atomic.Uint64
	gslots [gtableSize]atomic.Pointer[gslot]
)

var overflow struct {
	sync.Mutex
	n atomic.Int64
	m map[uint64]*gslot
}

// foldBit is set in a goroutine's key in gkeys while it runs inside a
// folded call and has started a span there (markFold): a call inside a
// folded call then learns that it records nothing from the key alone, one
// load sooner than from the slot. Goroutine ids never reach the top bit.
const foldBit = 1 << 63

func ghash(id uint64) uint64 { return (id * 0x9e3779b97f4a7c15) >> (64 - gtableBits) }

// lookupSlot returns the slot of goroutine id, or nil when it has none.
// The first probe is inlined into the span path: it finds most goroutines.
func lookupSlot(id uint64) *gslot {
	h := ghash(id)
	if gkeys[h&gtableMask].Load()&^foldBit == id {
		return gslots[h&gtableMask].Load()
	}
	return lookupSlotProbe(id, h)
}

// probeFar is the largest distance from its hash at which a slot was ever
// claimed (at most gwindow-1): lookups probe no further, so that a goroutine
// without a slot (the first span of every request or test) finds out in a
// probe or two rather than gwindow. It only grows; it is raised before the
// claim that needs it, so a goroutine always finds its own slot.
var probeFar atomic.Uint64

func lookupSlotProbe(id, h uint64) *gslot {
	for i, far := uint64(1), probeFar.Load(); i <= far; i++ {
		if j := (h + i) & gtableMask; gkeys[j].Load()&^foldBit == id {
			return gslots[j].Load()
		}
	}
	if overflow.n.Load() == 0 {
		return nil
	}
	overflow.Lock()
	s := overflow.m[id]
	overflow.Unlock()
	return s
}

// claimSlot gives goroutine id a slot.
func claimSlot(id uint64) *gslot {
	h := ghash(id)
	for i := uint64(0); i < gwindow; i++ {
		j := (h + i) & gtableMask
		if gkeys[j].Load() != 0 {
			continue
		}
		for far := probeFar.Load(); far < i && !probeFar.CompareAndSwap(far, i); far = probeFar.Load() {
		}
		if gkeys[j].CompareAndSwap(0, id) {
			s := gslots[j].Load()
			if s == nil {
				s = &gslot{index: int32(j)}
			} else {
				s.reset() // whatever the last owner left
			}
			s.key.Store(id)
			if s.ids == 0 {
				s.ids = rand.Uint64()
			}
			s.g = ownG()
			gslots[j].Store(s)
			return s
		}
	}
	s := &gslot{index: -1, overflowed: true, ids: rand.Uint64(), g: ownG()}
	s.key.Store(id)
	overflow.n.Add(1)
	overflow.Lock()
	if overflow.m == nil {
		overflow.m = make(map[uint64]*gslot)
	}
	overflow.m[id] = s
	overflow.Unlock()
	return s
}

// markFold sets foldBit in the key of a goroutine that runs inside a folded
// call, on its first call there: a folded leaf, the common case, never pays
// for the store.
func (s *gslot) markFold() {
	if s.index >= 0 && !s.marked {
		s.marked = true
		gkeys[s.index].Store(s.key.Load() | foldBit)
	}
}

// leaveFold ends a folded call on the slot's goroutine.
func (s *gslot) leaveFold() {
	s.foldDepth--
	if s.foldDepth == 0 {
		s.unmark()
	}
}

// unmark clears foldBit from the goroutine's key if markFold set it.
func (s *gslot) unmark() {
	if s.marked {
		s.marked = false
		gkeys[s.index].Store(s.key.Load())
	}
}

// reset clears the owner's state of a slot.
func (s *gslot) reset() {
	s.unmark()
	s.pendingFn, s.pendingErr, s.foldDepth, s.lastFold = nil, nil, 0, nil
	s.runs = [len(s.runs)]runCount{}
	if s.ids == 0 {
		s.ids = rand.Uint64()
	}
	s.clearPanic()
}

// release frees a slot when its goroutine's outermost span ends.
func (s *gslot) release() {
	id := s.key.Load()
	s.reset()
	if s.overflowed {
		overflow.Lock()
		delete(overflow.m, id)
		overflow.Unlock()
		overflow.n.Add(-1)
		return
	}
	s.key.Store(0)
	gkeys[s.index].Store(0)
}

func (s *gslot) clearPanic() { s.panicInfo, s.panicErr, s.panicDepth = nil, nil, 0 }

// ownG is the running goroutine's g, for the slot it claims, or nil where
// getg is not available.
func ownG() unsafe.Pointer {
	if !haveGetg {
		return nil
	}
	return getg()
}
