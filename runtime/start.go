package spantree

import (
	"context"
	"errors"
	"fmt"
	"reflect"
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
			return Span{parent: parent, fn: fn, start: now(), out: true}
		}
		if fn.Kind == KindFunc && fn.fast.Load() >= foldAfter && state.cfg.Fold > 0 && parent.foldEntry(fn).keep() {
			slot.foldDepth++
			return Span{parent: parent, fn: fn, start: now(), sub: true}
		}
	}
	if slot == nil {
		slot = claimSlot(id)
	}
	s := &span{ctx: ctx, fn: fn, parent: parent, prev: cur, slot: slot, id: newSpanID(), start: now()}
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
	return Span{rec: s, fn: fn, start: s.start}
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
	if s.parent != nil {
		s.parent.slot.pendingFn, s.parent.slot.pendingErr = s.fn, err
	}
}

func (s Span) end(err error) {
	if s.fn == nil {
		return
	}
	t := now()
	r := s.rec
	if r == nil {
		s.endFolded(t, err, nil)
		return
	}
	if err != nil {
		r.err = err
	}
	r.finish(t)
}

// endPanic records a panic seen by recover at depth (0 when unknown) and
// panics again with the same value. Only the first span a panic reaches does
// this: the spans it unwinds through after that see it on their goroutine's
// slot and let it go on without recovering (endPropagating), so a panic at
// the bottom of a deep recursion costs one re-panic, not one per frame.
func (s Span) endPanic(v any, depth uintptr) {
	if s.fn == nil {
		panic(v)
	}
	t := now()
	r := s.rec
	if r == nil {
		r = s.endFolded(t, nil, v)
	} else {
		r.recordPanic(v)
		r.finish(t)
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
		if s.parent == nil {
			return
		}
		r = s.materialize(t, sl.panicErr)
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

type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprint(p.v) }

func panicMessage(v any) string {
	switch v := v.(type) {
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
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
	if r.err == nil && now-r.start < int64(state.cfg.Fold) {
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
		if r.err != nil && errors.Is(r.err, k.err) { // Is, not ==: == panics on uncomparable errors
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

func errorInfo(err error) ErrorInfo {
	if p, ok := err.(panicError); ok {
		return ErrorInfo{Type: typeName(p.v), Message: panicMessage(p.v)}
	}
	return ErrorInfo{Type: typeName(err), Message: err.Error()}
}

// endFolded ends a call that was not recorded. A fast, successful call is
// added to its parent's fold; a slow or failed one is recorded after all, as
// a span of its own, and the function stops folding until it proves fast again.
func (s Span) endFolded(now int64, err error, panicV any) *span {
	p := s.parent
	if p == nil {
		return nil
	}
	sl := p.slot
	if s.sub {
		sl.foldDepth--
	}
	if sl.pendingFn == s.fn {
		if err == nil {
			err = sl.pendingErr
		}
		sl.pendingFn, sl.pendingErr = nil, nil
	}
	d := now - s.start
	limit := int64(state.cfg.Fold)
	if s.out {
		limit = int64(state.cfg.Slow)
	}
	if err == nil && panicV == nil && (d < limit || limit == 0) {
		p.foldEntry(s.fn).add(s.start, now)
		return nil
	}
	if !s.out {
		s.fn.fast.Store(0)
	}
	r := s.materialize(now, err)
	if panicV != nil {
		r.recordPanic(panicV)
	}
	r.publishMaterialized(now)
	return r
}

// materialize records a call that was not recorded when it started (a folded
// or sampled-out call) as a span of its own, because it failed or was slow.
func (s Span) materialize(now int64, err error) *span {
	p := s.parent
	r := &span{fn: s.fn, parent: p, prev: p.slot.cur.Load(), slot: p.slot, id: newSpanID(), start: s.start, tr: p.tr, err: err}
	if !p.kids.Load() {
		p.kids.Store(true)
	}
	return r
}

// publishMaterialized ends a materialised span like finish, without touching
// the goroutine's current span, which a folded call never set.
func (r *span) publishMaterialized(now int64) {
	r.end.Store(now)
	if r.err != nil {
		r.failedUnder(r.parent)
	}
	r.tr.finished(r)
}

// foldEntry accumulates the folded calls of one function under one parent.
type foldEntry struct {
	fn       *Func
	recorded int32 // calls recorded whole (foldKeep)
	first    int64
	last     int64
	count    int64 // calls folded
	total    int64
	min, max int64
}

// foldKeep is how many calls of a foldable function under one parent are
// recorded whole, with everything they call, before the rest are folded:
// the trace keeps a few complete examples and a count for the others.
const foldKeep = 3

// foldEntry returns p's fold entry for fn, creating it. Only p's goroutine
// calls it.
func (p *span) foldEntry(fn *Func) *foldEntry {
	x := p.extra()
	for i := range x.folds {
		if x.folds[i].fn == fn {
			return &x.folds[i]
		}
	}
	x.folds = append(x.folds, foldEntry{fn: fn})
	return &x.folds[len(x.folds)-1]
}

// keep counts a call and reports whether it is folded: after foldKeep calls
// recorded whole.
func (f *foldEntry) keep() bool {
	if f.recorded < foldKeep {
		f.recorded++
		return false
	}
	return true
}

func (f *foldEntry) add(start, end int64) {
	d := end - start
	if f.count == 0 {
		f.first, f.min, f.max = start, d, d
	}
	f.count++
	f.total += d
	f.last = end
	f.min = min(f.min, d)
	f.max = max(f.max, d)
}

// flushFolds turns r's folds into finished spans, one per function.
func (r *span) flushFolds(x *spanExtra) {
	for _, f := range x.folds {
		if f.count == 0 {
			continue // only calls recorded whole
		}
		c := &span{fn: f.fn, parent: r, slot: r.slot, id: newSpanID(), start: f.first, tr: r.tr}
		c.end.Store(f.last)
		if f.count > 1 {
			// A single call is an ordinary span; only repeats carry counts.
			c.extra().fold = &Fold{Count: f.count, TotalNS: f.total, MinNS: f.min, MaxNS: f.max}
		}
		r.tr.finished(c)
	}
	x.folds = nil
}
