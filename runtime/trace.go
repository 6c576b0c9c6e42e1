package spantree

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// trace groups the spans of one trace until its root ends.
type trace struct {
	id     TraceID
	wall   time.Time // wall time at mono
	wallNS int64     // wall as Unix nanoseconds
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
	tr := &trace{id: NewTraceID(wall), wall: wall, wallNS: wall.UnixNano(), mono: now(), root: s, sampled: sampleIn()}
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

// hasKids reports whether a child of s started or was folded into it.
func (s *span) hasKids() bool {
	if s.kids.Load() {
		return true
	}
	x := s.x.Load()
	return x != nil && len(x.folds) > 0
}
