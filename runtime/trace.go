package spantree

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// trace groups the spans of one trace until its root ends.
type trace struct {
	id     TraceID
	wall   time.Time // wall time at mono
	mono   int64
	root   *span
	remote SpanID // the caller's span when the trace continues a traceparent
	// tracestate is the caller's W3C tracestate, passed on by outgoing requests
	tracestate string
	links      []Link
	head       atomic.Pointer[span] // finished spans, newest first
	dropped    atomic.Int64         // finished spans dropped over MaxSpans since the last publication
	droppedAll int64                // spans dropped in all, counted by the dispatcher (convert)
	failed     atomic.Bool
	sampled    bool        // kept whole; a sampled-out trace folds every call under the span of its goroutine
	closed     atomic.Bool // the root has ended; later spans start new traces
	mu         sync.Mutex
	running    map[*span]struct{} // goroutine spans still running, guarded by mu
	outlived   []string           // goroutines that ran on after the root's grace, guarded by mu
	grace      bool               // the root ended and waits for its goroutines, guarded by mu
	waitTests  bool               // the grace passed, and subtests still run (see endGrace), guarded by mu
	lastPub    int64              // monotonic time of the last publication, guarded by mu
}

// newTrace makes s the root of a new trace. from, when set, is a span of an
// ended trace that s was started under (a goroutine that outlived its
// launcher's trace): the new trace links to it.
func newTrace(s *span, from *span) *trace {
	wall := time.Now()
	tr := &trace{id: NewTraceID(wall), wall: wall, mono: now(), root: s, sampled: sampleIn()}
	s.tr = tr
	s.setFlag(flagRoot)
	if from != nil {
		tr.links = append(tr.links, Link{TraceID: from.tr.id, SpanID: from.id})
		s.parent = nil
	}
	registry.add(tr)
	return tr
}

// lateJoin is how long after its root ended a trace still takes goroutines
// that were launched inside it but started running after the root ended (a
// go statement just before the launcher returned). Later ones start traces
// of their own, linked to the launcher.
const lateJoin = int64(time.Second)

// joins reports whether a goroutine span started now under parent may join
// parent's trace.
func (tr *trace) joins() bool {
	if !tr.closed.Load() {
		return true
	}
	return now()-tr.root.end.Load() < lateJoin
}

func (tr *trace) goroutineStarted(s *span) {
	tr.mu.Lock()
	if tr.running == nil {
		tr.running = map[*span]struct{}{}
	}
	tr.running[s] = struct{}{}
	if tr.closed.Load() && !tr.grace {
		tr.outlived = append(tr.outlived, s.fn.Name)
	}
	tr.mu.Unlock()
}

// finished takes a span that has ended. Spans over MaxSpans are counted and
// dropped; their kept descendants are re-parented at export time.
func (tr *trace) finished(s *span) {
	isGoroutine := s.flags.Load()&flagGoroutine != 0
	max := int32(state.cfg.MaxSpans)
	for {
		old := tr.head.Load()
		s.next, s.n = old, 1
		if old != nil {
			s.n = old.n + 1
		}
		if s.n > max && s != tr.root {
			s.setFlag(flagDropped)
			tr.dropped.Add(1)
			break
		}
		if tr.head.CompareAndSwap(old, s) {
			break
		}
	}
	switch {
	case s == tr.root:
		tr.mu.Lock()
		// Closed under mu: a goroutine joining concurrently is either in
		// running now or sees closed (goroutineStarted).
		tr.closed.Store(true)
		wait := len(tr.running) > 0
		tr.grace = wait
		tr.mu.Unlock()
		if !wait {
			tr.publish(true)
			return
		}
		// Goroutines it started still run; most are finishing (a deferred
		// wg.Done runs before their span ends). Publish once they are done
		// or after a short grace, whichever comes first.
		time.AfterFunc(rootGrace, tr.endGrace)
	case isGoroutine:
		tr.mu.Lock()
		delete(tr.running, s)
		last := len(tr.running) == 0
		grace, waitTests := tr.grace, tr.waitTests
		testsDone := waitTests && !tr.runsTests()
		tr.mu.Unlock()
		switch {
		case grace && (last || testsDone):
			tr.endGrace()
			if waitTests && tr.root.fn.Kind == KindTest {
				flushSinks() // the test binary may exit right after its last subtest
			}
		case !grace && tr.closed.Load():
			// A goroutine that outlived its root: send what it recorded
			// as an update of the trace.
			tr.publish(true)
		}
	}
}

// rootGrace is how long a root that ended with goroutines still running waits
// for them before its trace is published without them.
const rootGrace = 50 * time.Millisecond

// waitGrace waits for the grace period of an ended root, if it has one, and
// publishes the trace. It does not wait for subtests, which cannot run
// before the test that waits here returns.
func (tr *trace) waitGrace() {
	deadline := time.Now().Add(rootGrace)
	for {
		tr.mu.Lock()
		g, n := tr.grace, len(tr.running)
		if g && n > 0 && tr.runsOnlyTests() {
			n = 0
		}
		tr.mu.Unlock()
		if !g || n == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	tr.endGrace()
}

// runsTests reports whether subtests of the trace still run. tr.mu is held.
func (tr *trace) runsTests() bool {
	for g := range tr.running {
		if g.fn.Kind == KindTest {
			return true
		}
	}
	return false
}

// runsOnlyTests reports whether every goroutine of the trace still running
// is a subtest. tr.mu is held.
func (tr *trace) runsOnlyTests() bool {
	for g := range tr.running {
		if g.fn.Kind != KindTest {
			return false
		}
	}
	return true
}

// endGrace publishes a trace whose root has ended, once: the goroutines still
// running then are named as having outlived it. Subtests are not: the
// testing package runs a parallel subtest (t.Parallel) only after its parent
// returned, so the trace waits for them instead, and is published when the
// last one ends.
func (tr *trace) endGrace() {
	tr.mu.Lock()
	if !tr.grace {
		tr.mu.Unlock()
		return
	}
	if tr.runsTests() {
		tr.waitTests = true
		tr.mu.Unlock()
		return
	}
	tr.grace = false
	for g := range tr.running {
		tr.outlived = append(tr.outlived, g.fn.Name)
	}
	tr.mu.Unlock()
	tr.publish(true)
}

// publish hands the finished spans to the sinks. When the root is still
// running (a long-running trace), its running ancestors are published too,
// with status started, and replaced when they end. After the root ended,
// goroutines still running are published as started, and the root carries
// their names (spantree.outlived_goroutines) and a warning event.
func (tr *trace) publish(rootEnded bool) {
	list := tr.head.Swap(nil)
	dropped := tr.dropped.Swap(0)
	tr.mu.Lock()
	tr.lastPub = now()
	var running []*span
	for s := range tr.running {
		running = append(running, s)
	}
	outlived := append([]string(nil), tr.outlived...)
	done := rootEnded && len(tr.running) == 0
	tr.mu.Unlock()
	if done {
		registry.remove(tr)
	}
	if list == nil && len(running) == 0 && rootEnded {
		return
	}
	if rootEnded && !tr.keep() {
		return
	}
	// Turning spans into SpanData happens on the dispatcher goroutine, not
	// on the instrumented code's.
	dispatch(&pubJob{tr: tr, list: list, running: running, outlived: outlived, dropped: dropped, rootEnded: rootEnded})
}

// pubJob is one publication of a trace, converted by the dispatcher.
type pubJob struct {
	tr        *trace
	list      *span // finished spans, newest first
	running   []*span
	outlived  []string
	dropped   int64
	rootEnded bool
}

// convert builds the Trace sinks receive. It runs on the dispatcher
// goroutine only (it uses span.pub to skip spans already added).
func (j *pubJob) convert(gen uint32) *Trace {
	tr := j.tr
	n := 0
	for s := j.list; s != nil; s = s.next {
		n++
	}
	out := &Trace{ID: tr.id, Dropped: j.dropped, Complete: j.rootEnded, Spans: getSpanBuf(n + len(j.running) + 1)}
	limit := state.cfg.Fold
	var cands []foldCand // spans that may merge with their siblings (foldSiblings)
	add := func(s *span) {
		if s.pub != gen {
			s.pub = gen
			out.Spans = append(out.Spans, tr.data(s))
			if limit > 0 && s.parent != nil && s.fn.Kind != KindNoFold && foldable(&out.Spans[len(out.Spans)-1], limit) && !s.hasKids() {
				cands = append(cands, foldCand{parent: s.parent, fn: s.fn, i: len(out.Spans) - 1})
			}
		}
	}
	for s := j.list; s != nil; s = s.next {
		add(s)
	}
	// Running ancestors of what is published, so that the tree resolves.
	for s := j.list; s != nil; s = s.next {
		for p := s.parent; p != nil && p.tr == tr && p.end.Load() == 0 && p.pub != gen; p = p.parent {
			add(p)
		}
	}
	for _, s := range j.running {
		add(s)
		for p := s.parent; p != nil && p.tr == tr && p.end.Load() == 0; p = p.parent {
			add(p)
		}
	}
	tr.droppedAll += j.dropped
	if len(j.outlived) > 0 || tr.droppedAll > 0 || !j.rootEnded {
		add(tr.root) // again if it was published before: a replacement
	}
	if i := indexOf(out.Spans, tr.root.id); i >= 0 {
		r := &out.Spans[i]
		if tr.droppedAll > 0 {
			// The count in all: the root replaces its earlier publications.
			r.setAttr("spantree.dropped_spans", tr.droppedAll)
		}
		if outlived := j.outlived; len(outlived) > 0 && j.rootEnded {
			sort.Strings(outlived)
			r.setAttr("spantree.outlived_goroutines", outlived)
			r.Events = append(r.Events, Event{Time: r.End, Level: LevelWarn,
				Msg: "root ended while goroutines it started still ran", Attrs: map[string]any{"goroutines": outlived}})
			if r.Level.Rank() < LevelWarn.Rank() {
				r.Level = LevelWarn
			}
		}
	}
	if len(cands) > 1 {
		out.Spans = foldSiblings(out.Spans, cands)
	}
	return out
}

func (d *SpanData) setAttr(k string, v any) {
	if d.Attrs == nil {
		d.Attrs = map[string]any{}
	}
	d.Attrs[k] = v
}

func indexOf(spans []SpanData, id SpanID) int {
	for i := len(spans) - 1; i >= 0; i-- { // the root, when present, is last or near it
		if spans[i].SpanID == id {
			return i
		}
	}
	return -1
}

// Sampling (SPANTREE_SAMPLE) is decided when a trace starts, so that a trace
// sampled out costs little: its calls are folded into per-function counts
// under the span of their goroutine (no allocation), except calls that fail,
// panic or take longer than SPANTREE_SLOW, which are recorded as spans. When
// the root ends, a sampled-out trace is published only if it failed or was
// slow: failed and slow traces are always kept, with their failures, their
// slow calls and the counts, though not every call of their tree.
func sampleIn() bool {
	rate := math.Float64frombits(state.sample.Load())
	return rate >= 1 || rand.Float64() < rate
}

// keep tells, when the root ends, whether the trace is published.
func (tr *trace) keep() bool {
	if tr.sampled || tr.failed.Load() {
		return true
	}
	return tr.root.end.Load()-tr.root.start >= int64(state.cfg.Slow)
}

// data converts a span to its wire form.
func (tr *trace) data(s *span) SpanData {
	d := SpanData{
		TraceID:  tr.id,
		SpanID:   s.id,
		Name:     s.fn.Name,
		Location: s.fn.Loc,
		Start:    wallAt(tr.wall, tr.mono, s.start),
		Status:   StatusStarted,
	}
	// The parent: the nearest ancestor that was kept, in this trace.
	for p := s.parent; p != nil; p = p.parent {
		if p.tr != tr {
			break
		}
		if p.flags.Load()&flagDropped == 0 {
			d.ParentID = p.id
			break
		}
	}
	if s == tr.root && !tr.remote.IsZero() {
		d.ParentID = tr.remote
	}
	flags := s.flags.Load()
	d.Goroutine = flags&flagGoroutine != 0
	if end := s.end.Load(); end != 0 {
		d.End = wallAt(tr.wall, tr.mono, end)
		d.Status = StatusSucceeded
		if s.err != nil {
			d.Status = StatusFailed
			info := errorInfo(s.err)
			if x := s.x.Load(); x != nil && x.panicInfo != nil {
				info = *x.panicInfo
			}
			d.Error = &info
			d.Level = LevelError
		}
		d.HandledErrors = s.handledErrors()
	}
	if s == tr.root {
		d.Links = append(d.Links, tr.links...)
	}
	if s.fn.Kind == KindHandler && (s == tr.root || flags&flagGoroutine != 0) {
		d.Kind = KindServer // not a handler called by another on its goroutine (middleware)
	}
	if x := s.x.Load(); x != nil && d.Status != StatusStarted {
		// Only the owner goroutine writes a running span's extra data.
		tr.mu.Lock()
		if len(x.attrs) > 0 {
			if d.Attrs == nil {
				d.Attrs = make(map[string]any, len(x.attrs))
			}
			for k, v := range x.attrs {
				d.Attrs[k] = v
			}
		}
		d.Events = append(d.Events, x.events...)
		d.Links = append(d.Links, x.links...)
		if x.level.Rank() > d.Level.Rank() {
			d.Level = x.level
		}
		tr.mu.Unlock()
		if x.fold != nil {
			f := *x.fold
			d.Fold = &f
		}
	}
	if d.Level == "" && len(d.HandledErrors) > 0 {
		d.Level = LevelWarn
	}
	return d
}

// registry holds the traces whose root is running, for publication of
// long-running traces and for Flush.
var registry = &traceRegistry{m: map[*trace]struct{}{}}

type traceRegistry struct {
	mu      sync.Mutex
	m       map[*trace]struct{}
	started bool
}

func (r *traceRegistry) add(tr *trace) {
	r.mu.Lock()
	r.m[tr] = struct{}{}
	if !r.started && state.cfg.Publish > 0 {
		r.started = true
		go r.loop(state.cfg.Publish)
	}
	r.mu.Unlock()
}

func (r *traceRegistry) remove(tr *trace) {
	r.mu.Lock()
	delete(r.m, tr)
	r.mu.Unlock()
}

func (r *traceRegistry) snapshot() []*trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*trace, 0, len(r.m))
	for tr := range r.m {
		out = append(out, tr)
	}
	return out
}

// loop publishes the traces that have run longer than every.
func (r *traceRegistry) loop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		t := now()
		for _, tr := range r.snapshot() {
			tr.mu.Lock()
			due := t-max(tr.lastPub, tr.root.start) >= int64(every)
			tr.mu.Unlock()
			if due && !tr.closed.Load() {
				tr.publish(false)
			}
		}
	}
}

// publishRunning publishes every trace in progress, as Flush does at exit.
func publishRunning() {
	for _, tr := range registry.snapshot() {
		if !tr.closed.Load() {
			tr.publish(false)
		} else {
			tr.endGrace()
		}
	}
}

// foldCand is a span of a publication that may merge with its siblings: a
// leaf that is not //spangen:nofold and is foldable.
type foldCand struct {
	parent *span
	fn     *Func
	i      int // index in the publication's spans
}

// hasKids reports whether a child of s started or was folded into it.
func (s *span) hasKids() bool {
	if s.kids.Load() {
		return true
	}
	x := s.x.Load()
	return x != nil && len(x.folds) > 0
}

// foldSiblings merges repeated fast leaf siblings (same parent and function;
// succeeded, without children, errors, events, attributes or links, each
// faster than SPANTREE_FOLD) into one span with fold counts. It completes
// what the runtime's folding starts: a function is folded at run time only
// after it proved itself fast, and the calls it made meanwhile are merged
// here, on the dispatcher, so that the tree shows "isPrime ×98" rather than
// sixteen lines and a fold. Sorting the candidates groups them without a map.
func foldSiblings(spans []SpanData, cands []foldCand) []SpanData {
	sort.Slice(cands, func(a, b int) bool {
		x, y := cands[a], cands[b]
		if x.parent != y.parent {
			return uintptr(unsafe.Pointer(x.parent)) < uintptr(unsafe.Pointer(y.parent))
		}
		if x.fn != y.fn {
			return uintptr(unsafe.Pointer(x.fn)) < uintptr(unsafe.Pointer(y.fn))
		}
		return spans[x.i].Start.Before(spans[y.i].Start)
	})
	merged := false
	for j := 0; j < len(cands); {
		k := j + 1
		for k < len(cands) && cands[k].parent == cands[j].parent && cands[k].fn == cands[j].fn {
			mergeInto(&spans[cands[j].i], &spans[cands[k].i])
			spans[cands[k].i].Status = "" // marks it merged
			merged = true
			k++
		}
		j = k
	}
	if !merged {
		return spans
	}
	out := spans[:0]
	for i := range spans {
		if spans[i].Status != "" {
			out = append(out, spans[i])
		}
	}
	return out
}

func foldable(d *SpanData, limit time.Duration) bool {
	if d.Status != StatusSucceeded || d.Error != nil || len(d.HandledErrors) > 0 || len(d.Events) > 0 ||
		len(d.Attrs) > 0 || len(d.Links) > 0 || d.Goroutine || d.Kind != "" {
		return false
	}
	return d.Fold != nil || d.Duration() < limit
}

// mergeInto adds the calls d stands for to dst.
func mergeInto(dst, d *SpanData) {
	fold := func(x *SpanData) Fold {
		if x.Fold != nil {
			return *x.Fold
		}
		n := int64(x.Duration())
		return Fold{Count: 1, TotalNS: n, MinNS: n, MaxNS: n}
	}
	a, b := fold(dst), fold(d)
	m := Fold{Count: a.Count + b.Count, TotalNS: a.TotalNS + b.TotalNS, MinNS: min(a.MinNS, b.MinNS), MaxNS: max(a.MaxNS, b.MaxNS)}
	dst.Fold = &m
	if d.Start.Before(dst.Start) {
		dst.Start = d.Start
	}
	if d.End.After(dst.End) {
		dst.End = d.End
	}
}
