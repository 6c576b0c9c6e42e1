package spanhttp

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/internal/diag"
)

// exporter is the core both network sinks share: a bounded buffer of
// encoded spans cut into batches, one sender goroutine, and the retry policy
// (retry.go). The sinks differ only in how a span is encoded and what the
// request around the spans looks like (a target).
//
// Its contract with the traced program: add only encodes into the buffer
// and returns. When the buffer holds maxPending bytes, new spans are dropped
// and counted, never waited for. A batch is sent when it is full (maxSpans
// spans or maxBytes bytes) or interval after its first span; flush sends
// everything and returns by its deadline however the receiver behaves.
type exporter struct {
	ep     *target
	policy retryPolicy

	maxSpans   int // per batch; 0: no limit
	maxBytes   int // per batch, uncompressed
	maxPending int // bytes in the buffer
	interval   time.Duration

	mu      sync.Mutex // guards the fields below
	batches []batch    // the last one is being filled
	bytes   int        // in batches
	spans   int        // in batches
	timer   *time.Timer

	kick    chan struct{}      // a batch is full
	due     chan struct{}      // interval has passed: send everything
	flushes chan chan struct{} // flush requests; closed when done
	wake    chan struct{}      // interrupts a backoff sleep
	flushBy atomic.Int64       // unix ns deadline of a waiting flush, or 0
	start   sync.Once

	warn     func(format string, args ...any) // diag.Warnf; tests capture it
	warned   atomic.Bool                      // the first loss was said
	inflight atomic.Int64                     // spans of the batch being sent
	lost     losses
	sent     atomic.Int64 // spans the receiver accepted

	announcing bool         // print trace ids (announce.go)
	announced  atomic.Int64 // traces announced
}

// batch is the comma-separated JSON of len(ends) spans; ends[i] is the offset
// just past span i, so that a batch can be split between spans.
type batch struct {
	b    []byte
	ends []int
}

// split cuts b into its first k spans and the rest.
func (b batch) split(k int) (batch, batch) {
	cut := b.ends[k-1]
	first := batch{b: b.b[:cut], ends: b.ends[:k]}
	rest := batch{b: b.b[cut+1:], ends: make([]int, len(b.ends)-k)}
	for i, e := range b.ends[k:] {
		rest.ends[i] = e - cut - 1
	}
	return first, rest
}

// Buffer bounds of both sinks.
const (
	batchBytes = 1 << 20  // uncompressed bytes per request at most (receivers cap bodies)
	maxPending = 16 << 20 // buffered bytes; beyond, spans are dropped
)

func newExporter(ep *target, policy retryPolicy, maxSpans int, interval time.Duration) *exporter {
	return &exporter{
		ep:         ep,
		policy:     policy,
		maxSpans:   maxSpans,
		maxBytes:   batchBytes,
		maxPending: maxPending,
		interval:   interval,
		kick:       make(chan struct{}, 1),
		due:        make(chan struct{}, 1),
		flushes:    make(chan chan struct{}, 16),
		wake:       make(chan struct{}, 1),
		warn:       diag.Warnf,
		announcing: stderrIsTerminal(),
	}
}

// add encodes spans with enc into the buffer. enc appends one span to b and
// returns it, or returns b unchanged to leave the span out. Spans that do
// not fit in the buffer are dropped and counted. The caller may hold locks
// of its own: add never blocks on the network.
func (e *exporter) add(spans []spantree.SpanData, enc func(b []byte, d *spantree.SpanData) []byte) {
	e.start.Do(func() { go e.run() })
	e.mu.Lock()
	dropped, kicked := 0, false
	for i := range spans {
		if e.bytes >= e.maxPending {
			dropped++
			continue
		}
		if len(e.batches) == 0 || e.full(&e.batches[len(e.batches)-1]) {
			e.batches = append(e.batches, batch{})
			kicked = kicked || len(e.batches) > 1
		}
		c := &e.batches[len(e.batches)-1]
		before := len(c.b)
		if len(c.ends) > 0 {
			c.b = append(c.b, ',')
		}
		out := enc(c.b, &spans[i])
		if len(out) <= len(c.b) {
			c.b = c.b[:before] // left out
			continue
		}
		c.b = out
		c.ends = append(c.ends, len(c.b))
		e.bytes += len(c.b) - before
		e.spans++
	}
	if n := len(e.batches); n > 0 && e.full(&e.batches[n-1]) {
		kicked = true // do not wait for the next span to send a full batch
	}
	if e.spans > 0 && e.timer == nil {
		e.timer = time.AfterFunc(e.interval, func() {
			e.mu.Lock()
			e.timer = nil // spans added from now on wait for a timer of their own
			e.mu.Unlock()
			signal(e.due)
		})
	}
	e.mu.Unlock()
	if kicked {
		signal(e.kick)
	}
	if dropped > 0 {
		e.lose(lossBufferFull, dropped, "")
	}
}

func (e *exporter) full(c *batch) bool {
	return len(c.b) >= e.maxBytes || e.maxSpans > 0 && len(c.ends) >= e.maxSpans
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// lose counts n lost spans. The first loss is said on stderr at once, with
// its reason, unless a flush is waiting: its summary line follows.
func (e *exporter) lose(kind lossKind, n int, detail string) {
	if e.lost.add(kind, n, detail) && e.flushBy.Load() == 0 && !e.warned.Swap(true) {
		why := lossWhat[kind]
		if detail != "" {
			why += ": " + detail
		}
		e.warn("sink %s: losing spans: %s (the count is given at exit)", e.ep.url, why)
	}
}

// run is the sender goroutine; it lives as long as the process.
func (e *exporter) run() {
	for {
		var done chan struct{}
		all := true
		select {
		case <-e.kick:
			all = false
		case <-e.due:
		case done = <-e.flushes:
		}
		e.sendBuffered(all)
		if done != nil {
			close(done)
		}
	}
}

// sendBuffered sends the full batches, and the one being filled too when
// all is set, until there are none.
func (e *exporter) sendBuffered(all bool) {
	for {
		e.mu.Lock()
		if len(e.batches) == 0 || !all && len(e.batches) == 1 && !e.full(&e.batches[0]) {
			e.mu.Unlock()
			return
		}
		c := e.batches[0]
		e.batches[0] = batch{}
		e.batches = e.batches[1:]
		e.bytes -= len(c.b)
		e.spans -= len(c.ends)
		e.inflight.Store(int64(len(c.ends)))
		if e.spans == 0 && e.timer != nil {
			e.timer.Stop()
			e.timer = nil
		}
		e.mu.Unlock()
		alone := 0
		e.deliver(c, &alone)
		e.inflight.Store(0)
	}
}

// deliver sends one batch, halving it while the receiver answers 413; a
// single span that is still too large is lost. alone counts the spans of
// the batch found too large alone: past maxAlone, the receiver is taken to
// refuse any request (a body limit below a span's size), and the rest of the
// batch is dropped untried rather than sent one span per request.
func (e *exporter) deliver(c batch, alone *int) {
	n := len(c.ends)
	if n == 0 {
		return // a batch begun for a span the sink then left out
	}
	if *alone >= maxAlone {
		e.lose(lossTooLarge, n, "")
		return
	}
	if e.send(c.b, n) != tooLarge {
		return
	}
	if n == 1 {
		*alone++
		e.lose(lossTooLarge, 1, "")
		return
	}
	first, rest := c.split(n / 2)
	e.deliver(first, alone)
	e.deliver(rest, alone)
}

// maxAlone bounds the single-span requests a batch may cost when the
// receiver answers 413 to everything.
const maxAlone = 8

// flush sends everything buffered and returns by ctx's deadline, then says
// in one line how many spans were lost since the last time it said so.
func (e *exporter) flush(ctx context.Context) {
	e.start.Do(func() { go e.run() })
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(e.policy.attempt)
	}
	// Stop sending a little before the deadline rather than at it, so that
	// the flush still returns in time to say what it lost.
	by := deadline.Add(-min(time.Until(deadline)/10, 100*time.Millisecond))
	e.flushBy.Store(by.UnixNano())
	// An attempt already in flight has a later deadline of its own.
	abort := time.AfterFunc(time.Until(by), e.ep.abort)
	defer abort.Stop()
	done := make(chan struct{})
	finished := false
	select {
	case e.flushes <- done:
		signal(e.wake)
		// The sender's attempts end at by; wait a little longer for it to
		// count what it lost, and return before the deadline itself (at
		// which the runtime would say the flush did not finish).
		wait := time.NewTimer(time.Until(by.Add(deadline.Sub(by) / 2)))
		defer wait.Stop()
		select {
		case <-done:
			finished = true
		case <-wait.C:
		case <-ctx.Done():
		}
	case <-ctx.Done():
	}
	e.flushBy.Store(0)
	unsent := 0
	if !finished {
		e.mu.Lock()
		unsent = e.spans + int(e.inflight.Load())
		e.mu.Unlock()
	}
	if line := e.lost.unreported(unsent); line != "" {
		e.warn("sink %s: %s", e.ep.url, line)
	}
}
