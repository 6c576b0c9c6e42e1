package spantree

import "runtime/debug"

// Recovered is called by generated code with the value of recover() in a
// deferred function literal: s is the literal's span, and v the panic it
// stopped. When no span recorded that panic (the function that panicked was
// too small to be instrumented, or not instrumented at all), it is recorded
// on the span of the function that deferred the literal, as a handled panic
// with the value and the stack of the panic, so that a recovered panic never
// vanishes from the tree. A panic an instrumented function recorded already
// shows on that function's span, and its parent handled it: it is not
// recorded twice. Recovered returns v.
//
//	defer func() {
//		__sp := __spantree.StartLit(__sp, &__spantree_fns[3])
//		defer __sp.Done()
//		if r := __sp.Recovered(recover()); r != nil { ... }
//	}()
func (s Span) Recovered(v any) any {
	if v == nil {
		return v
	}
	var target *span
	switch {
	case s.rec != nil:
		target = s.rec.parent
	case s.fold != nil:
		target = s.fold.p
	}
	sl := s.slot()
	if target == nil || sl == nil || target.slot != sl {
		return v
	}
	if sl.panicInfo != nil {
		// Recorded by the span it was raised in, and handled here.
		sl.clearPanic()
		return v
	}
	// The deferred call runs on the panicking goroutine's stack, under the
	// frames of the panic: the stack names the line that panicked.
	info := ErrorInfo{Type: typeName(v), Message: panicMessage(v), Panic: true, Stack: string(debug.Stack())}
	target.tr.mu.Lock()
	x := target.extra()
	x.handled = append(x.handled, info)
	target.tr.mu.Unlock()
	return v
}

// Rename gives the span a name known only at run time, in place of its
// descriptor's: generated code names a subtest's literal after the name the
// testing package gave it (t.Name()), which a table-driven test builds from
// its cases.
//
//	__sp := __spantree.StartLit(__sp, &__spantree_fns[4])
//	__sp.Rename("pkg." + t.Name())
func (s Span) Rename(name string) {
	r := s.rec
	if r == nil || name == "" {
		return
	}
	r.tr.mu.Lock()
	r.extra().name = name
	r.tr.mu.Unlock()
}
