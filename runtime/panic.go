package spantree

import "runtime/debug"

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
