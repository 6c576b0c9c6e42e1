package spantree

import "unsafe"

// Folding. A function that proved itself fast (foldAfter fast calls in a
// row, see finish) is not recorded call by call under a parent that already
// has foldKeep whole examples of it: its calls are counted in a fold entry of
// the parent, and when the parent ends each entry becomes one span with
// counts (Fold). A sampled-out trace folds every call the same way, under
// the span of its goroutine. Failures fold too: the same function failing
// the same way (see errShape) under one parent keeps its first foldKeep
// failures as spans of their own and counts the rest, with the error, in an
// entry of their own, so that an error path in a loop costs what a success
// costs and the tree still says how often it failed.

// foldKeep is how many calls of a foldable function under one parent are
// recorded whole, with everything they call, before the rest are folded:
// the trace keeps a few complete examples and a count for the others. It is
// also how many failures of one shape are kept as spans of their own.
const foldKeep = 3

// foldTimeEvery is the share of folded calls that read the clock: the first
// call of an entry and every foldTimeEvery-th after it. Two clock readings
// cost more than a small function's body, so a fold counts every call and
// times a sample of them; its total is the sample's mean times the count.
// A call that is not timed cannot be found slow: a function that turns slow
// is noticed on its next timed call.
//
// An entry that counted foldTimeLong calls is a long loop, whose mean the
// sample already knows well: it times one call in foldTimeEveryLong from
// then on, so that the clock costs a fraction of a nanosecond a call where
// reading it is slow (a virtual machine's trapped TSC), and a function that
// turns slow is still noticed within a few microseconds of its calls.
const (
	foldTimeEvery     = 16 // powers of two (begin)
	foldTimeEveryLong = 64
	foldTimeLong      = 1024
)

// crowdKeep is how many calls of one function under one parent are recorded
// whole, however slow, before the rest fold: a loop that calls a function
// a thousand times keeps crowdKeep complete examples and a count with the
// total, the shortest and the longest of the others. Folded calls of a
// crowd are all timed (they are not fast, so the clock costs little next to
// them); one that fails, or takes longer than SPANTREE_SLOW, is recorded
// after all, as a span without its children.
const crowdKeep = 32

// foldEntry accumulates the folded calls of one function under one parent,
// the successful ones, or the failures of one shape when shape is set.
type foldEntry struct {
	// The first cache line is written once, when the entry is made, and
	// read by any goroutine that finds the entry in its Func (Start's fast
	// path); the owner's counts are on lines of their own, so that those
	// readers never share a line the owner writes (the entry's size, three
	// lines, keeps its lines apart from its neighbours').
	p     *span          // the parent
	fn    *Func          //
	slot  *gslot         // the parent's goroutine slot
	g     unsafe.Pointer // and that goroutine's g (gslot.g)
	shape *errShape      // the failures' shape, nil for the successes
	out   bool           // the parent's trace is sampled out: folded calls record nothing beneath them either
	_     [64 - 5*8 - 1]byte

	calls uint64 // calls begun (begin), for the timing sample
	// every is the timing sample's period less one (a mask), set by
	// beginTimed: foldTimeEvery-1, then foldTimeEveryLong-1
	every uint64
	count int64 // calls folded
	// on is set once the entry folds the calls of a function that is fast,
	// or crowd; folding reads it.
	on bool
	// crowd is set when the calls fold because there are many of them
	// rather than because they are fast (crowdKeep): they fold whatever
	// their duration and every one is timed, until the function proves fast
	// (relearn).
	crowd    bool
	recorded int32 // calls recorded whole (keep)
	timed    int64 // of the calls folded, those timed
	first    int64 // start of the first timed call
	last     int64 // end of the last timed call
	total    int64 // of the timed calls
	min, max int64
	_        [128 - 10*8]byte
}

// errShape identifies the failures that fold together: the error's dynamic
// type and its message with the parts that vary from call to call (numbers,
// quoted text) blanked (shapeOf).
type errShape struct {
	typ  unsafe.Pointer // the interface's type word
	data unsafe.Pointer // and its data word, for the common repeated sentinel
	msg  string
	err  error // one occurrence, for the fold's error
}

// foldEntry returns p's fold entry for fn's successful calls, creating it.
// Only p's goroutine calls it.
func (p *span) foldEntry(fn *Func) *foldEntry {
	x := p.extra()
	for _, e := range x.folds {
		if e.fn == fn && e.shape == nil {
			return e
		}
	}
	e := &foldEntry{p: p, fn: fn, slot: p.slot, g: p.slot.g, out: !p.tr.sampled, every: foldTimeEvery - 1}
	x.folds = append(x.folds, e)
	return e
}

// foldEntry is p.foldEntry(fn) for a parent running on s, remembering the
// entry: a loop calls one function under one parent over and over.
func (s *gslot) foldEntry(p *span, fn *Func) *foldEntry {
	if f := s.lastFold; f != nil && f.p == p && f.fn == fn && f.shape == nil {
		return f
	}
	f := p.foldEntry(fn)
	s.lastFold = f
	if fn.hot.Load() == nil {
		fn.hot.Store(f) // Start's fast path, until p ends
	}
	return f
}

// errFoldEntry returns p's fold entry for fn's failures with err's shape,
// creating it. Only p's goroutine calls it.
func (p *span) errFoldEntry(fn *Func, err error) *foldEntry {
	x := p.extra()
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&err))
	var msg string
	haveMsg := false
	for _, e := range x.folds {
		if e.fn != fn || e.shape == nil || e.shape.typ != w[0] {
			continue
		}
		if e.shape.data == w[1] {
			return e
		}
		if !haveMsg {
			msg, haveMsg = shapeOf(errorMessage(err)), true
		}
		if e.shape.msg == msg {
			return e
		}
	}
	if !haveMsg {
		msg = shapeOf(errorMessage(err))
	}
	e := &foldEntry{p: p, fn: fn, slot: p.slot, g: p.slot.g, out: !p.tr.sampled, every: foldTimeEvery - 1, shape: &errShape{typ: w[0], data: w[1], msg: msg, err: err}}
	x.folds = append(x.folds, e)
	return e
}

// shapeOf blanks the parts of an error message that vary between
// occurrences of one failure: runs of digits become 0 and quoted text "".
// It allocates only when there is something to blank.
func shapeOf(msg string) string {
	i := 0
	for i < len(msg) && !(msg[i] >= '0' && msg[i] <= '9') && msg[i] != '"' {
		i++
	}
	if i == len(msg) {
		return msg
	}
	b := make([]byte, 0, len(msg))
	b = append(b, msg[:i]...)
	for i < len(msg) {
		switch c := msg[i]; {
		case c >= '0' && c <= '9':
			b = append(b, '0')
			for i < len(msg) && msg[i] >= '0' && msg[i] <= '9' {
				i++
			}
		case c == '"':
			b = append(b, '"', '"')
			i++
			for i < len(msg) && msg[i] != '"' {
				if msg[i] == '\\' {
					i++
				}
				i++
			}
			i++ // the closing quote
		default:
			b = append(b, c)
			i++
		}
	}
	return string(b)
}

// keep counts a call and reports whether it is folded: after foldKeep calls
// recorded whole.
func (f *foldEntry) keep() bool {
	if f.recorded < foldKeep {
		f.recorded++
		return false
	}
	f.on = true
	return true
}

// folding reports whether the next call of f's function under f's parent
// folds without further checks: the entry folds a crowd, or a function that
// is still fast. A sampled-out parent's entry always folds.
func (f *foldEntry) folding() bool {
	return f.out || f.on && (f.crowd || f.fn.fast.Load() >= foldAfter)
}

// tryFold returns the Span of a call of fn under p, a span running on s,
// when the call is not recorded: in a sampled-out trace, for a fast
// function after foldKeep whole calls under p, for any function after
// crowdKeep whole calls under p, and for any function once p's trace holds
// SPANTREE_MAX_SPANS spans (it would be recorded only to be dropped: folded,
// it is counted at the price of a folded call, and still recorded if it
// fails or is slow).
func (s *gslot) tryFold(p *span, fn *Func) (Span, bool) {
	if !p.tr.sampled {
		return s.foldEntry(p, fn).begin(), true
	}
	if fn.Kind != KindFunc {
		return Span{}, false
	}
	if !p.tr.full() {
		if state.cfg.Fold <= 0 {
			return Span{}, false
		}
		if fn.fast.Load() >= foldAfter {
			if f := s.foldEntry(p, fn); f.keep() {
				s.foldDepth++
				return f.begin(), true
			}
			return Span{}, false
		}
		if !s.crowded(p, fn) {
			return Span{}, false
		}
	}
	f := s.foldEntry(p, fn)
	f.crowd, f.on = true, true
	s.foldDepth++
	return f.begin(), true
}

// runCount counts the recorded calls of one function under one parent, for
// crowdKeep. A goroutine keeps a few (gslot.runs), so that a loop calling
// several functions counts each.
type runCount struct {
	p  *span
	fn *Func
	n  int32
}

// crowded counts a call of fn under p that is about to be recorded and
// reports whether crowdKeep calls were recorded before it. When fn has no
// count under p yet, the count of a parent that has ended is replaced, or
// else the smallest: a loop's count grows while the calls beneath it come
// and go.
func (s *gslot) crowded(p *span, fn *Func) bool {
	victim := 0
	for i := range s.runs {
		r := &s.runs[i]
		if r.p == p && r.fn == fn {
			if r.n < crowdKeep {
				r.n++
				return false
			}
			return true
		}
		if v := &s.runs[victim]; v.p != nil && (r.p == nil || r.p.end.Load() != 0 || v.p.end.Load() == 0 && r.n < v.n) {
			victim = i
		}
	}
	s.runs[victim] = runCount{p: p, fn: fn, n: 1}
	return false
}

// begin starts a folded call of f's function, reading the clock only for
// the calls of the timing sample.
func (f *foldEntry) begin() Span {
	f.calls++
	if f.calls&f.every != 1 && !f.crowd {
		return Span{fold: f}
	}
	return f.beginTimed()
}

// beginTimed is begin for a call of the timing sample (the first call of
// the entry, then one in f.every+1), out of line so that begin inlines.
//
//go:noinline
func (f *foldEntry) beginTimed() Span {
	if f.calls > foldTimeLong {
		f.every = foldTimeEveryLong - 1
	} else {
		f.every = foldTimeEvery - 1
	}
	return Span{fold: f, start: now()}
}

// add counts a folded call; start is 0 for a call that was not timed.
func (f *foldEntry) add(start, end int64) {
	f.count++
	if start == 0 {
		return
	}
	d := end - start
	if f.timed == 0 {
		f.first, f.min, f.max = start, d, d
	}
	f.timed++
	f.total += d
	f.last = end
	f.min = min(f.min, d)
	f.max = max(f.max, d)
}

// mean is the mean duration of f's timed calls, 0 before the first.
func (f *foldEntry) mean() int64 {
	if f.timed == 0 {
		return 0
	}
	return f.total / f.timed
}

// fold is the Fold a span with f's calls carries.
func (f *foldEntry) fold() *Fold {
	total := f.total
	if f.timed > 0 && f.timed < f.count {
		total = f.total / f.timed * f.count
	}
	return &Fold{Count: f.count, TotalNS: total, MinNS: f.min, MaxNS: f.max}
}

// endFolded ends a call that was not recorded. A fast, successful call is
// counted in its fold entry; a slow one is recorded after all, as a span of
// its own, and the function stops folding until it proves fast again. A
// failure is counted in the entry of its shape once foldKeep of them were
// recorded, and recorded before that. It returns the span it recorded, if
// any.
func (s Span) endFolded(err error, panicV any) *span {
	f := s.fold
	p := f.p
	sl := p.slot
	if !f.out {
		sl.leaveFold()
	}
	if sl.pendingFn == f.fn {
		if err == nil {
			err = sl.pendingErr
		}
		sl.pendingFn, sl.pendingErr = nil, nil
	}
	if err == nil && panicV == nil {
		if s.start == 0 {
			f.add(0, 0)
			return nil
		}
		t := now()
		limit := int64(state.cfg.Fold)
		if f.out || f.crowd {
			limit = int64(state.cfg.Slow)
		}
		if t-s.start < limit || limit == 0 {
			if f.crowd {
				f.relearn(t - s.start)
			}
			f.add(s.start, t)
			return nil
		}
		if !f.out && !f.crowd {
			f.fn.fast.Store(0)
		}
		r := s.materialize(s.start, nil)
		r.publishMaterialized(t)
		return r
	}
	t := now()
	start := s.start
	if start == 0 {
		start = t - f.mean() // not timed: its duration is the sample's mean
	}
	if panicV == nil {
		if e := p.errFoldEntry(f.fn, err); e.keep() {
			e.add(start, t)
			if tr := p.tr; !tr.failed.Load() {
				tr.failed.Store(true)
			}
			return nil
		}
	}
	r := s.materialize(start, err)
	if panicV != nil {
		r.recordPanic(panicV)
	}
	r.publishMaterialized(t)
	return r
}

// relearn lets the function of a crowd fold as fast again once it proves
// fast: a call of d ns, every call of a crowd being timed. A fast function
// whose timing sample once caught a slow call (preempted, or stalled by a
// collection) stops folding as fast and, under a parent that called it
// often, folds as a crowd; without relearning it would stay one, reading the
// clock twice a call, until the parent ends. foldAfter fast calls in a row
// make it fast again, as recorded calls do (finish), and the entry times a
// sample of its calls again.
func (f *foldEntry) relearn(d int64) {
	fn := f.fn
	if d >= int64(state.cfg.Fold) {
		if fn.fast.Load() != 0 {
			fn.fast.Store(0)
		}
		return
	}
	if fn.fast.Load() < foldAfter {
		fn.fast.Add(1)
		return
	}
	f.crowd = false
}

// materialize records a call that was not recorded when it started (a folded
// or sampled-out call) as a span of its own, because it failed or was slow.
func (s Span) materialize(start int64, err error) *span {
	p := s.fold.p
	sl := p.slot
	r := sl.newSpan()
	r.fn, r.parent, r.prev, r.slot, r.id, r.start, r.tr, r.err = s.fold.fn, p, sl.cur.Load(), sl, sl.nextID(), start, p.tr, err
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

// flushFolds turns r's fold entries into finished spans, one per entry.
func (r *span) flushFolds(x *spanExtra) {
	sl := r.slot
	for _, f := range x.folds {
		if f.fn.hot.Load() == f {
			f.fn.hot.CompareAndSwap(f, nil) // r no longer runs: let another loop have it
		}
		if f.count == 0 {
			continue // only calls recorded whole
		}
		c := sl.newSpan()
		c.fn, c.parent, c.slot, c.id, c.start, c.tr = f.fn, r, sl, sl.nextID(), f.first, r.tr
		c.end.Store(max(f.last, f.first))
		if f.count > 1 {
			// A single call is an ordinary span; only repeats carry counts.
			c.extra().fold = f.fold()
		}
		if f.shape != nil {
			c.err = f.shape.err
			c.failedUnder(r)
		}
		r.tr.finished(c)
	}
	x.folds = nil
}
