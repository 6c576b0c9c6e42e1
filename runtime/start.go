package spantree

import (
	"context"
	"unsafe"
)

// start is the one entry of every span. ctx is the context parameter of the
// function, if any; lex the span of the function a literal is written in.
//
// It is the fast path of the calls that record nothing of their own (inside
// a folded call, a folded call, a call of a sampled-out trace), the bulk of
// a loop's calls, kept small; everything else is startSpan's.
func start(ctx context.Context, fn *Func, lex *span) Span {
	if !enabled() {
		return Span{}
	}
	// The goroutine's id and slot: goid and lookupSlot written out, as a
	// call of their own costs a tenth of a folded call.
	var id uint64
	if idOff >= 0 {
		g := getg()
		// The bulk of a hot loop's calls: fn folds in the entry fn.hot
		// under the span running on this goroutine. Checking that takes
		// the entry's own fields, fewer dependent loads than finding the
		// goroutine's slot in the table. A g is reused once its goroutine
		// exits, but by then every span the goroutine started has ended:
		// its slot's current span is never f.p. A goroutine that finds
		// another's entry there reads only its first line, which nobody
		// writes.
		if f := fn.hot.Load(); f != nil && f.g == g && ctx == nil {
			if sl := f.slot; sl.cur.Load() == f.p && sl.foldDepth == 0 && f.folding() {
				if !f.out {
					sl.foldDepth++
				}
				return f.begin()
			}
		}
		id = *(*uint64)(unsafe.Add(g, idOff))
	} else {
		id = slowGoid()
	}
	var slot *gslot
	switch h := ghash(id); gkeys[h&gtableMask].Load() {
	case id | foldBit:
		return Span{} // inside a folded call that called before (markFold)
	case id:
		slot = gslots[h&gtableMask].Load()
	default:
		slot = lookupSlotProbe(id, h)
	}
	if slot == nil {
		return startSpan(ctx, fn, lex, id, nil, nil)
	}
	if slot.foldDepth > 0 {
		// Inside a folded call: its time and count stand for everything
		// it calls. Nothing to record, not even the clock.
		slot.markFold()
		return Span{}
	}
	cur := slot.cur.Load()
	if ctx != nil && cur != nil {
		if cs := fromContext(ctx); cs != nil && cs.tr != cur.tr {
			return startSpan(ctx, fn, lex, id, slot, cur) // a context of another trace wins
		}
	}
	// The parent is cur, on this goroutine. A loop calls one function under
	// one parent over and over: when the entry used last is that
	// function's, still folding, nothing else needs looking at (an entry is
	// only made for a function that nests, under a parent on this
	// goroutine).
	if f := slot.lastFold; f != nil && f.p == cur && f.fn == fn && f.shape == nil && f.folding() {
		if !f.out {
			slot.foldDepth++
		}
		if fn.hot.Load() == nil {
			fn.hot.Store(f) // Start's fast path, until cur ends
		}
		return f.begin()
	}
	if cur == nil || !fn.Kind.nests() {
		return startSpan(ctx, fn, lex, id, slot, cur)
	}
	if sp, ok := slot.tryFold(cur, fn); ok {
		return sp
	}
	return startSpan(ctx, fn, lex, id, slot, cur)
}

// startSpan records a span: start's path for everything that is not folded.
func startSpan(ctx context.Context, fn *Func, lex *span, id uint64, slot *gslot, cur *span) Span {
	parent, goroutine := cur, false
	if ctx != nil {
		// An explicit context wins over the goroutine's span when it belongs
		// to another trace (a request context) or the goroutine has none;
		// within one trace the goroutine's span is the deeper of the two.
		if cs := fromContext(ctx); cs != nil && (cur == nil || cs.tr != cur.tr) {
			parent, goroutine = cs, cur == nil && cs.slot != slot
		}
	}
	if parent == nil && lex != nil {
		parent, goroutine = lex, true
	}
	if parent == nil && slot == nil {
		// The first span on a goroutine: its launcher's current span.
		if p := launcherSpan(); p != nil {
			parent, goroutine = p, true
		}
	}
	if parent != nil && parent != cur && parent.slot == slot && slot != nil && fn.Kind.nests() {
		// A parent on this goroutine other than its current span (a
		// context's): the same folding as start's.
		if sp, ok := slot.tryFold(parent, fn); ok {
			return sp
		}
	}
	if slot == nil {
		slot = claimSlot(id)
	}
	s := slot.newSpan()
	s.ctx, s.fn, s.parent, s.prev, s.slot, s.id = ctx, fn, parent, cur, slot, slot.nextID()
	s.start = now()
	if goroutine {
		s.flags.Store(flagGoroutine)
	}
	if parent == nil || !(parent.tr.joins() && (goroutine || !parent.tr.closed.Load())) {
		newTrace(s, parent)
	} else {
		s.tr = parent.tr
		if !parent.kids.Load() {
			parent.kids.Store(true)
		}
		if goroutine {
			s.tr.goroutineStarted(s)
		}
	}
	slot.cur.Store(s)
	return Span{rec: s}
}

// nests reports whether a function of kind k is an ordinary call in its
// caller's trace (it may fold), rather than a root, a test or a handler.
func (k Kind) nests() bool {
	return k == KindFunc || k == KindNoFold || k == KindOutgoing
}

// here returns the running goroutine's id, its slot in the goroutine table
// (nil when it has none yet) and its current span (nil when none).
func here() (id uint64, slot *gslot, cur *span) {
	id = goid()
	if slot = lookupSlot(id); slot != nil {
		cur = slot.cur.Load()
	}
	return id, slot, cur
}

// enabled reports whether spans are recorded at all (SPANTREE_SINK=off turns
// the runtime into a few loads per call).
func enabled() bool {
	if state.on.Load() {
		return true // set only once the setup is complete
	}
	return enabledSlow()
}

// enabledSlow is enabled before the setup and when spans are off, out of
// line so that enabled inlines into every span.
func enabledSlow() bool {
	ensureInit()
	return state.on.Load()
}
