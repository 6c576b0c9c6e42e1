package spantree

import (
	"context"
	"sync/atomic"
	"time"
)

// span is one recorded call. It is allocated once per recorded call (the one
// allocation of the hot path) and doubles as the context.Context that
// StartContext returns, so that carrying it costs no second allocation.
type span struct {
	ctx    context.Context // the context it was started with, or nil
	fn     *Func
	tr     *trace
	parent *span
	prev   *span  // the goroutine's current span before this one
	slot   *gslot // the goroutine it runs on
	id     SpanID
	start  int64        // monotonic ns
	end    atomic.Int64 // monotonic ns, 0 while running
	err    error        // owner goroutine only until end
	next   *span        // next in the trace's list of finished spans
	n      int32        // position in that list, for MaxSpans
	pub    uint32       // the dispatcher's generation that last converted it (dispatcher only)
	// failed is the newest of this span's failed children, linked through
	// their nextFailed: a lock-free list children push onto (from any
	// goroutine) and the dispatcher reads after this span ended, judging
	// which errors it handled.
	failed     atomic.Pointer[span]
	nextFailed *span
	kids       atomic.Bool // a child has started (set once: a load, not a locked add, per child)
	flags      atomic.Uint32
	x          atomic.Pointer[spanExtra] // rare data, see spanExtra
}

const (
	flagGoroutine uint32 = 1 << iota
	flagPanic
	flagDropped
	flagRoot
)

// spanExtra holds what few spans have: folds, judged errors, user data.
// It is created on first use by whichever goroutine needs it.
type spanExtra struct {
	folds     []*foldEntry // owner goroutine only
	panicInfo *ErrorInfo
	attrs     map[string]any
	events    []Event
	links     []Link
	level     Level
	fold      *Fold       // set on a span materialised from folded calls
	name      string      // a name given at run time (Rename), guarded by tr.mu
	handled   []ErrorInfo // panics recovered in its deferred literals (Recovered), guarded by tr.mu
}

func (s *span) extra() *spanExtra {
	if x := s.x.Load(); x != nil {
		return x
	}
	s.x.CompareAndSwap(nil, &spanExtra{})
	return s.x.Load()
}

// context.Context, delegating to the context the span was started with.

func (s *span) Deadline() (time.Time, bool) {
	if s.ctx == nil {
		return time.Time{}, false
	}
	return s.ctx.Deadline()
}

func (s *span) Done() <-chan struct{} {
	if s.ctx == nil {
		return nil
	}
	return s.ctx.Done()
}

func (s *span) Err() error {
	if s.ctx == nil {
		return nil
	}
	return s.ctx.Err()
}

func (s *span) Value(key any) any {
	if key == (spanKey{}) {
		return s
	}
	if s.ctx == nil {
		return nil
	}
	return s.ctx.Value(key)
}

func (s *span) String() string { return "spantree.span(" + s.fn.Name + ")" }

type spanKey struct{}

// spanCtx carries a span in a context that is not itself a span.
type spanCtx struct {
	context.Context
	s *span
}

func (c *spanCtx) Value(key any) any {
	if key == (spanKey{}) {
		return c.s
	}
	return c.Context.Value(key)
}

func withSpan(ctx context.Context, s *span) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return &spanCtx{ctx, s}
}

// fromContext returns the span ctx carries, or nil.
func fromContext(ctx context.Context) *span {
	switch c := ctx.(type) {
	case nil:
		return nil
	case *span:
		return c
	case *spanCtx:
		return c.s
	}
	s, _ := ctx.Value(spanKey{}).(*span)
	return s
}

// current returns the span running on this goroutine, or nil.
func current() *span {
	if sl := lookupSlot(goid()); sl != nil {
		return sl.cur.Load()
	}
	return nil
}

// spanOf finds the span for user-facing calls: the one ctx carries, else the
// goroutine's.
func spanOf(ctx context.Context) *span {
	if s := fromContext(ctx); s != nil {
		return s
	}
	return current()
}

func (s *span) setFlag(f uint32) {
	for {
		old := s.flags.Load()
		if old&f != 0 || s.flags.CompareAndSwap(old, old|f) {
			return
		}
	}
}

// folds reports whether s is the span of a fold entry with several calls.
func (s *span) folds() bool {
	x := s.x.Load()
	return x != nil && x.fold != nil
}
