package spantree

import (
	"context"
	"sync/atomic"
)

// Func is the static descriptor of one instrumented function. Generated code
// declares one per function as a package-level variable, so the name and the
// location are built once, not per call:
//
//	var __spantree_fns = [...]__spantree.Func{
//		{Name: "pkg.(*T).Method", Loc: "dir/file.go:42"},
//	}
//
// The zero value of the unexported fields is ready to use. A Func must not be
// copied after first use.
type Func struct {
	// Name is the qualified function name: pkg.Func, pkg.(*T).Method,
	// pkg.T[...].Method, or a call-context name for literals.
	Name string
	// Loc is path/from/module/root.go:LINE, fixed at rewrite time.
	Loc string
	// Kind tells the runtime how the function takes part in traces.
	Kind Kind

	// fast counts the fast calls in a row, up to foldAfter (see fold.go)
	fast atomic.Int32
	// nameLoc is Name and Loc as json members (jsonNameLoc)
	nameLoc []byte
	// hot is the fold entry a loop is counting this function's calls in
	// (see Start), nil when none: set by the entry's goroutine when it
	// finds none there, cleared when the entry's parent ends.
	hot atomic.Pointer[foldEntry]
}

// Kind classifies a function for the runtime. The zero value is an ordinary
// function.
type Kind uint8

// Kinds of functions the rewriter marks.
const (
	KindFunc     Kind = iota // an ordinary function, method or literal
	KindMain                 // main.main: its end flushes every sink
	KindTest                 // a test, benchmark, fuzz or example function or subtest: its trace is exported at once
	KindHandler              // an HTTP handler: starts a trace of its own
	KindNoFold               // never folded (//spangen:nofold)
	KindOutgoing             // a request to another service (an HTTP client call): never folded, span kind client
)

// Span is the handle generated code holds for one call of an instrumented
// function. It is a small value on the caller's stack; its methods have value
// receivers so that closures capture it by value. The zero Span is valid and
// every method on it is a no-op.
//
// It is three words so that it is returned and deferred in registers: the
// parent, the function and the kind of fold of a folded call are in its fold
// entry.
type Span struct {
	rec   *span      // the recorded span, or nil when folded, sampled out or off
	fold  *foldEntry // the entry a folded or sampled-out call is counted in
	start int64      // a folded call's monotonic start, ns; 0 when not timed
}

// Start begins a span for fn in a function that takes no context: the parent
// is the span running on this goroutine, or the span that launched the
// goroutine, or none (a new trace). Generated code:
//
//	__sp := __spantree.Start(&__spantree_fns[0])
//	defer __sp.Done()
func Start(fn *Func) Span { return start(nil, fn, nil) }

// StartContext begins a span for fn in a function whose first context.Context
// parameter is ctx, and returns a context carrying the span, to be assigned
// back to that parameter so that callees nest under it:
//
//	ctx, __sp := __spantree.StartContext(ctx, &__spantree_fns[1])
//	defer __sp.Done()
func StartContext(ctx context.Context, fn *Func) (context.Context, Span) {
	sp := start(ctx, fn, nil)
	if sp.rec != nil {
		return sp.rec, sp
	}
	return ctx, sp
}

// StartLit begins a span for a function literal. outer is the Span of the
// function the literal is written in (its lexical parent): when the literal
// runs on a goroutine that has no span of its own (a go statement, errgroup's
// Go, a worker pool) the span becomes a goroutine child of outer; otherwise it
// nests under the goroutine's current span like Start.
//
//	__sp := __spantree.StartLit(__sp, &__spantree_fns[2])
//	defer __sp.Done()
func StartLit(outer Span, fn *Func) Span { return start(nil, fn, outer.rec) }

// Done finishes the span; generated code defers it directly, right after
// the span starts:
//
//	__sp := __spantree.Start(&__spantree_fns[0])
//	defer __sp.Done()
//
// Deferring the method itself (no closure) keeps the compiler's names of the
// function's own closures (F.func1) unchanged. Done calls recover: when the
// function panics the span fails with the panic value and a stack, and the
// panic goes on with the same value. A panic that an inner span already
// recorded is not recovered again, so it costs one re-panic however deep the
// stack it unwinds.
func (s Span) Done() {
	if f := s.fold; f != nil && s.start == 0 {
		// The bulk of a loop's calls: folded, not timed. When it
		// succeeded, a count is all there is to do.
		if sl := f.slot; sl.panicInfo == nil && sl.pendingFn != f.fn {
			if !gPanicKnown || sl.panicking() {
				panicking := panicNil && gPanicking() // see panicnil.go
				if v := recover(); v != nil || panicking && recoveredNilPanic() {
					s.endPanic(v, stackDepth()) // panics again
					return
				}
			}
			if !f.out {
				sl.leaveFold()
			}
			f.count++
			return
		}
	} else if s.rec == nil && s.fold == nil {
		return // nothing recorded; a panic goes on by itself
	}
	if sl := s.slot(); sl != nil && sl.panicInfo != nil {
		if stackDepth() > sl.panicDepth {
			s.endPropagating(sl)
			return
		}
		sl.clearPanic() // recovered by the program since
	}
	panicking := panicNil && gPanicking() // see panicnil.go
	if v := recover(); v != nil || panicking && recoveredNilPanic() {
		s.endPanic(v, stackDepth()) // panics again
		return
	}
	s.end(nil)
}

// DoneErr is Done for functions whose error result is named: err points to
// it, read when the function returns.
//
//	defer __sp.DoneErr(&err)
func (s Span) DoneErr(err *error) {
	if s.rec == nil && s.fold == nil {
		return
	}
	if sl := s.slot(); sl != nil && sl.panicInfo != nil {
		if stackDepth() > sl.panicDepth {
			s.endPropagating(sl)
			return
		}
		sl.clearPanic()
	}
	panicking := panicNil && gPanicking()
	if v := recover(); v != nil || panicking && recoveredNilPanic() {
		s.endPanic(v, stackDepth())
		return
	}
	s.end(*err)
}

// slot is the goroutine slot of the span's goroutine, or nil.
func (s Span) slot() *gslot {
	if s.rec != nil {
		return s.rec.slot
	}
	if s.fold != nil {
		return s.fold.slot
	}
	return nil
}

// Err records err as the error the function returns and gives it back, for
// functions whose error result is not named:
//
//	return v, __sp.Err(err)
func (s Span) Err(err error) error {
	if err != nil {
		s.fail(err)
	}
	return err
}

// Live reports whether s has anything for Done to finish: false for a call
// made inside a folded call, and when tracing is off. Generated code may
// defer Done only when it is, which spares those calls (the bulk of the
// calls of a hot path) the deferred call:
//
//	__sp := __spantree.Start(&__spantree_fns[0])
//	if __sp.Live() {
//		defer __sp.Done()
//	}
func (s Span) Live() bool { return s.rec != nil || s.fold != nil }

// Context returns ctx carrying s, for code that starts work under s
// explicitly. A folded or sampled-out s returns ctx unchanged.
func (s Span) Context(ctx context.Context) context.Context {
	if s.rec == nil {
		return ctx
	}
	return withSpan(ctx, s.rec)
}
