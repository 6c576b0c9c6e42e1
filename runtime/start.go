package spantree

import (
	"context"
	"runtime/debug"
)

// start is the one entry of every span. ctx is the context parameter of the
// function, if any; lex the span of the function a literal is written in.
func start(ctx context.Context, fn *Func, lex *span) Span {
	if !enabled() {
		return Span{}
	}
	id, slot, cur := here()
	if slot != nil && slot.foldDepth > 0 {
		// Inside a folded call: its time and count stand for everything
		// it calls. Nothing to record, not even the clock.
		return Span{}
	}
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
	if parent != nil && parent.slot == slot && slot != nil && (fn.Kind == KindFunc || fn.Kind == KindNoFold) {
		// Calls on the parent's goroutine that need no span of their own:
		// in a sampled-out trace every such call, and elsewhere the repeated
		// calls of functions that learned they are fast (see foldKeep).
		// They cost two clock readings and a fold entry, and become spans
		// after all if they fail or turn out slow.
		if !parent.tr.sampled {
			return slot.foldEntry(parent, fn).begin()
		}
		if fn.Kind == KindFunc && fn.fast.Load() >= foldAfter && state.cfg.Fold > 0 {
			if f := slot.foldEntry(parent, fn); f.keep() {
				slot.foldDepth++
				return f.begin()
			}
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
	ensureInit()
	return state.on.Load()
}

// fail records err on the span; on a folded call it is kept on the goroutine
// until End, which then records the call as a span of its own.
func (s Span) fail(err error) {
	if s.rec != nil {
		s.rec.err = err
		return
	}
	if f := s.fold; f != nil {
		f.p.slot.pendingFn, f.p.slot.pendingErr = f.fn, err
	}
}

func (s Span) end(err error) {
	r := s.rec
	if r == nil {
		if s.fold != nil {
			s.endFolded(err, nil)
		}
		return
	}
	if err != nil {
		r.err = err
	}
	r.finish(now())
}

// endPanic records a panic seen by recover at depth (0 when unknown) and
// panics again with the same value. Only the first span a panic reaches does
// this: the spans it unwinds through after that see it on their goroutine's
// slot and let it go on without recovering (endPropagating), so a panic at
// the bottom of a deep recursion costs one re-panic, not one per frame.
func (s Span) endPanic(v any, depth uintptr) {
	if s.rec == nil && s.fold == nil {
		panic(v)
	}
	r := s.rec
	if r == nil {
		r = s.endFolded(nil, v)
	} else {
		r.recordPanic(v)
		r.finish(now())
	}
	if r != nil {
		if depth != 0 && r.prev != nil {
			// Outer spans of this goroutine let the panic go on without
			// recovering it (endPropagating). The outermost span has none,
			// and its slot was released by finish: nothing to leave there.
			sl := r.slot
			sl.panicInfo, sl.panicErr, sl.panicDepth = r.x.Load().panicInfo, r.err, depth
		}
		r.flushIfLeaving()
	}
	panic(v)
}

// endPropagating ends a span that a panic recorded deeper on its goroutine
// is unwinding through, without recovering it.
func (s Span) endPropagating(sl *gslot) {
	t := now()
	info := *sl.panicInfo
	info.Stack = "" // the innermost span has it
	r := s.rec
	if r == nil {
		if s.fold == nil {
			return
		}
		start := s.start
		if start == 0 {
			start = t
		}
		r = s.materialize(start, sl.panicErr)
	}
	r.setFlag(flagPanic)
	r.err = sl.panicErr
	r.extra().panicInfo = &info
	if s.rec != nil {
		r.finish(t)
	} else {
		r.publishMaterialized(t)
	}
	r.flushIfLeaving()
}

// flushIfLeaving flushes when a panic leaves r's trace: whatever happens next
// (a crash, most likely), what was recorded reaches the sinks first.
func (r *span) flushIfLeaving() {
	if r.parent == nil || r.parent.tr != r.tr || r.fn.Kind == KindMain {
		Flush()
	}
}

func (r *span) recordPanic(v any) {
	info := &ErrorInfo{Type: typeName(v), Message: panicMessage(v), Panic: true, Stack: string(debug.Stack())}
	r.setFlag(flagPanic)
	if err, ok := v.(error); ok {
		r.err = err
	} else {
		r.err = panicError{v}
	}
	r.extra().panicInfo = info
}

// finish ends a recorded span: restores the goroutine's current span, learns
// whether the function can fold, judges its children's errors and hands it to
// its trace.
func (r *span) finish(now int64) {
	// Folds become spans before the end is stored: the dispatcher reads
	// x.folds only of spans it saw ended (hasKids), so the end orders them.
	x := r.x.Load()
	if x != nil && len(x.folds) > 0 {
		r.flushFolds(x)
	}
	r.end.Store(now)
	sl := r.slot
	sl.cur.Store(r.prev)
	if r.flags.Load()&flagPanic == 0 && sl.panicInfo != nil {
		sl.clearPanic() // a panic recorded earlier was recovered by the program
	}
	if r.prev == nil {
		sl.release()
	}
	fn := r.fn
	// Fast calls teach a function to fold, failed or not: a function that
	// fails fast over and over folds its failures (fold.go).
	if now-r.start < int64(state.cfg.Fold) && r.flags.Load()&flagPanic == 0 {
		if fn.fast.Load() < foldAfter {
			fn.fast.Add(1)
		}
	} else if fn.fast.Load() != 0 {
		fn.fast.Store(0)
	}
	tr := r.tr
	if r.err != nil {
		r.failedUnder(r.parent)
	}
	tr.finished(r)
	if r == tr.root {
		switch fn.Kind {
		case KindMain:
			// The program ends when main returns: everything, now (after
			// waiting briefly for goroutines that are finishing).
			tr.waitGrace()
			Flush()
		case KindTest:
			// The test binary may exit right after the last test: its
			// trace, now (after waiting briefly for its goroutines).
			tr.waitGrace()
			flushSinks()
		}
	}
}

// failedUnder marks the trace failed and adds r to p's failed children,
// whose errors p is judged on when it is converted (handledErrors).
func (r *span) failedUnder(p *span) {
	tr := r.tr
	if !tr.failed.Load() {
		tr.failed.Store(true)
	}
	if p == nil || p.tr != tr {
		return
	}
	for {
		old := p.failed.Load()
		r.nextFailed = old
		if p.failed.CompareAndSwap(old, r) {
			return
		}
	}
}

// handledErrors judges, once r has ended, the errors of its failed children:
// an error r did not return is one it handled. They were recorded where they
// happened; they are judged when the parent completes, as the seed asks.
func (r *span) handledErrors() []ErrorInfo {
	var out []ErrorInfo
	for k := r.failed.Load(); k != nil; k = k.nextFailed {
		if r.err != nil && errorIs(r.err, k.err) { // Is, not ==: == panics on uncomparable errors
			continue
		}
		info := errorInfo(k.err)
		info.SpanID = k.id
		if k.flags.Load()&flagPanic != 0 {
			info.Panic = true
		}
		out = append(out, info)
	}
	// Oldest first, as they happened.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
