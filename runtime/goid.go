package spantree

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"unsafe"
)

// Goroutine identity.
//
// Functions that take no context find their parent span through a table keyed
// by goroutine id (see gtable.go). Parsing runtime.Stack for the id costs about
// a microsecond; instead getg (four lines of assembly) returns the runtime's g
// and the id is read at a fixed offset into it. The offset is not part of any
// API, so it is found once, at start-up, by matching the id runtime.Stack
// prints on two goroutines; the goroutine's parent id (runtime.g.parentGoid,
// Go 1.21+) is found the same way. When either probe fails (another
// architecture, a runtime layout the probe does not recognise) the runtime
// falls back to runtime.Stack for the id and to no parent id: spans still nest
// within a goroutine, and goroutines launched from function literals still find
// their launcher through StartLit, but named functions started with a go
// statement begin traces of their own.
//
// Goroutine ids are never reused, so a table entry can never leak into a
// recycled goroutine; entries are removed when a goroutine's outermost span ends.

// gScan is how far into runtime.g the probe looks. runtime.g is larger than
// this on every Go release the probe knows (go1.21 to go1.26: over 400 bytes).
const gScan = 320

var goidProbe struct {
	once      sync.Once
	idOff     int // offset of goid, or -1
	parentOff int // offset of parentGoid, or -1
}

func probeOffsets() {
	goidProbe.idOff, goidProbe.parentOff = -1, -1
	if !haveGetg {
		return
	}
	probe := func(parent uint64) (id uint64, idOffs, parentOffs []int) {
		g := getg()
		id = stackGoid()
		for off := 8; off+8 <= gScan; off += 8 {
			v := *(*uint64)(unsafe.Add(g, off))
			if v == id {
				idOffs = append(idOffs, off)
			}
			if parent != 0 && v == parent {
				parentOffs = append(parentOffs, off)
			}
		}
		return id, idOffs, parentOffs
	}
	// Two goroutines, each started by a different parent, must agree on one
	// offset for their own id and one for their parent's.
	var idCand, parentCand map[int]int = map[int]int{}, map[int]int{}
	for i := 0; i < 2; i++ {
		done := make(chan struct{})
		go func() {
			defer close(done)
			pid := stackGoid()
			inner := make(chan struct{})
			go func() {
				defer close(inner)
				_, ids, parents := probe(pid)
				for _, o := range ids {
					idCand[o]++
				}
				for _, o := range parents {
					parentCand[o]++
				}
			}()
			<-inner
		}()
		<-done
	}
	pick := func(c map[int]int) int {
		best := -1
		for off, n := range c {
			if n == 2 {
				if best != -1 {
					return -1 // ambiguous
				}
				best = off
			}
		}
		return best
	}
	goidProbe.idOff = pick(idCand)
	if goidProbe.idOff >= 0 {
		goidProbe.parentOff = pick(parentCand)
		// A parent id offset equal to the id offset would mean the probe saw
		// its own id twice: distrust it.
		if goidProbe.parentOff == goidProbe.idOff {
			goidProbe.parentOff = -1
		}
	}
}

// stackGoid parses the id of the running goroutine from runtime.Stack.
func stackGoid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}

var (
	idOff     = -1
	parentOff = -1
)

func initGoid() {
	goidProbe.once.Do(probeOffsets)
	idOff, parentOff = goidProbe.idOff, goidProbe.parentOff
	probeStackBounds()
	probePanicNil()
}

// goid returns the running goroutine's id.
func goid() uint64 {
	if idOff < 0 {
		return slowGoid()
	}
	return *(*uint64)(unsafe.Add(getg(), idOff))
}

// slowGoid is the fallback where the offset is unknown, out of line so
// that goid inlines.
//
//go:noinline
func slowGoid() uint64 { return stackGoid() }

// parentGoid returns the id of the goroutine that started the running one, or
// 0 when it is not known.
func parentGoid() uint64 {
	if parentOff >= 0 {
		return *(*uint64)(unsafe.Add(getg(), parentOff))
	}
	return 0
}

// stackDepth is how far below the top of the goroutine's stack the caller
// runs: runtime.g's first field is the stack's bounds (lo, hi), and the
// difference between hi and the address of a local variable does not change
// when the runtime moves the stack. It is 0 when it cannot be read, which
// turns off the optimisation that uses it (see Span.Done).
func stackDepth() uintptr {
	if !stackBounds {
		return 0
	}
	var here byte
	hi := *(*uintptr)(unsafe.Add(getg(), 8))
	return hi - uintptr(unsafe.Pointer(&here))
}

// stackBounds is set by the probe when runtime.g's stack bounds are where
// stackDepth reads them.
var stackBounds bool

func probeStackBounds() {
	if !haveGetg || idOff < 0 {
		return
	}
	var here byte
	g := getg()
	lo, hi := *(*uintptr)(g), *(*uintptr)(unsafe.Add(g, 8))
	p := uintptr(unsafe.Pointer(&here))
	stackBounds = lo < p && p < hi && hi-lo <= 1<<30
}
