package spantree

import (
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
	reg        regLink            // guarded by registry.mu
}

// newTrace makes s the root of a new trace. from, when set, is a span of an
// ended trace that s was started under (a goroutine that outlived its
// launcher's trace): the new trace links to it.
func newTrace(s *span, from *span) *trace {
	mono := s.start
	wall := wallAtMono(mono)
	tr := &trace{id: NewTraceID(wall), wall: wall, wallNS: wall.UnixNano(), mono: mono, root: s, sampled: sampleIn()}
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

// full reports whether the trace has dropped spans over MaxSpans since its
// last publication: new calls under it fold (tryFold).
func (tr *trace) full() bool { return tr.dropped.Load() != 0 }

// finished takes a span that has ended. Spans over MaxSpans are counted and
// dropped, except the spans of folded calls: a full trace folds new calls
// (tryFold), and a fold's span, one per parent and function, stands for
// them all. The kept descendants of a dropped span are re-parented at
// export time.
func (tr *trace) finished(s *span) {
	isGoroutine := s.flags.Load()&flagGoroutine != 0
	max := int32(state.cfg.MaxSpans)
	for {
		old := tr.head.Load()
		s.next, s.n = old, 1
		if old != nil {
			s.n = old.n + 1
		}
		if s.n > max && s != tr.root && !s.folds() {
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
