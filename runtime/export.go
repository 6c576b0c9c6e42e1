package spantree

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Trace is what sinks receive: the spans of one trace that finished since the
// last publication. A trace is published once when its root ends (Complete);
// a long-running one also while it runs, with its running spans in status
// started, and a goroutine that outlives its root sends its spans later, as
// an update. The receiver replaces a span sent again with the same ids.
type Trace struct {
	ID       TraceID
	Spans    []SpanData
	Complete bool  // the root has ended
	Dropped  int64 // spans dropped since the last publication (SPANTREE_MAX_SPANS)

	refs atomic.Int32 // exporters yet to export it; its Spans are reused after
	// lines are the spans as json lines, for the json sinks (hasLines)
	lines []byte
	// batched is how many traces lines holds
	batched int32
}

// spanBufs recycles the Spans of exported traces: a sink must not retain a
// Trace or its spans after Export returns, so once every exporter is done
// the buffer is reused, and the dispatcher allocates (and the
// collector scans) no new []SpanData per trace.
var spanBufs = sync.Pool{New: func() any { return new([]SpanData) }}

// lineBufs recycles the json lines of exported traces, as spanBufs does
// their Spans.
var lineBufs = sync.Pool{New: func() any { return new([]byte) }}

func getLineBuf() []byte {
	b := (*lineBufs.Get().(*[]byte))[:0]
	if cap(b) == 0 {
		b = make([]byte, 0, maxBatchLines+64<<10)
	}
	return b
}

func getSpanBuf(n int) []SpanData {
	b := *spanBufs.Get().(*[]SpanData)
	if cap(b) < n {
		return make([]SpanData, 0, n)
	}
	return b[:0]
}

// release is called once per exporter when it is done with t.
func (t *Trace) release() {
	if t.refs.Add(-1) != 0 {
		return
	}
	if l := t.lines; l != nil && cap(l) <= 1<<20 {
		l = l[:0]
		lineBufs.Put(&l)
	}
	t.lines = nil
	b := t.Spans
	if cap(b) > 1<<14 {
		return // do not keep huge buffers alive
	}
	// Not cleared: clearing pointerful memory costs write barriers, and
	// the stale entries are overwritten when reused or go with the pool at
	// the next collections.
	b = b[:0]
	t.Spans = nil
	spanBufs.Put(&b)
}

// Sink receives traces. The runtime calls a sink from one goroutine of its
// own, never from instrumented code, through a bounded queue: when the queue
// is full new traces are dropped and counted, and the count is said once on
// stderr. A sink must not retain t or its spans after Export returns.
//
// Export may block (a network sink retrying); an error is reported once on
// stderr and counted, never returned to the traced program. Flush writes what
// the sink buffers and returns by ctx's deadline.
type Sink interface {
	Export(ctx context.Context, t *Trace) error
	Flush(ctx context.Context) error
}

// exporter runs one sink behind a bounded queue.
type exporter struct {
	name    string
	sink    Sink
	queue   chan any // *Trace or flushReq
	dropped atomic.Int64
	failed  atomic.Int64
}

type flushReq struct {
	done     chan struct{}
	deadline time.Time
}

func newExporter(name string, s Sink, size int) *exporter {
	e := &exporter{name: name, sink: s, queue: make(chan any, size)}
	go e.run()
	return e
}

func (e *exporter) run() {
	for item := range e.queue {
		switch v := item.(type) {
		case *Trace:
			func() {
				defer v.release()
				defer e.recoverSink()
				if err := e.sink.Export(context.Background(), v); err != nil {
					e.failed.Add(1)
					warnOncef("export:"+e.name, "sink %s: %v (further errors are counted, not shown)", e.name, err)
				}
			}()
		case flushReq:
			func() {
				defer e.recoverSink()
				ctx, cancel := context.WithDeadline(context.Background(), v.deadline)
				defer cancel()
				if err := e.sink.Flush(ctx); err != nil {
					warnOncef("flush:"+e.name, "sink %s: flush: %v", e.name, err)
				}
			}()
			close(v.done)
		}
	}
}

// recoverSink keeps a panicking sink from taking the traced program down.
func (e *exporter) recoverSink() {
	if r := recover(); r != nil {
		e.failed.Add(1)
		warnOncef("panic:"+e.name, "sink %s panicked: %v (the trace is lost; the program goes on)", e.name, r)
	}
}

func (e *exporter) enqueue(t *Trace) {
	select {
	case e.queue <- t:
	default:
		n := int64(max(t.batched, 1))
		t.release()
		if e.dropped.Add(n) == n {
			warnOncef("drop:"+e.name, "sink %s: queue full, dropping traces (SPANTREE_QUEUE=%d); the count is given at exit", e.name, cap(e.queue))
		}
	}
}

// flush waits until everything queued before it is exported and the sink
// flushed, or until deadline.
func (e *exporter) flush(deadline time.Time) bool {
	req := flushReq{done: make(chan struct{}), deadline: deadline}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case e.queue <- req:
	case <-t.C:
		return false
	}
	select {
	case <-req.done:
		return true
	case <-t.C:
		return false
	}
}

// The dispatcher converts published traces for the sinks and hands them to
// every sink's exporter. Publications queue under a mutex, bounded like the
// exporters' queues (when full, a publication is dropped and counted). The
// dispatcher is woken only when the queue was empty, and takes everything
// queued at once: under load one wake-up serves many traces, and the json
// sinks receive them all as one Trace of lines, written with one Write.
var dispatcher dispatchQueue

type dispatchQueue struct {
	once    sync.Once
	mu      sync.Mutex
	jobs    []*pubJob
	flushes []flushReq
	bell    chan struct{} // rung when work arrives in an empty queue
	dropped atomic.Int64
}

// needs tells what the sinks of exps need: SpanData (any sink but json)
// and json lines (json sinks).
func needs(exps []*exporter) (data, lines bool) {
	for _, e := range exps {
		if _, ok := e.sink.(*JSON); ok {
			lines = true
		} else {
			data = true
		}
	}
	return data, lines
}

func dispatch(j *pubJob) {
	dispatcher.once.Do(startDispatcher)
	d := &dispatcher
	d.mu.Lock()
	if len(d.jobs) >= state.cfg.Queue {
		d.mu.Unlock()
		if d.dropped.Add(1) == 1 {
			warnOncef("drop:dispatch", "queue full, dropping traces (SPANTREE_QUEUE=%d); the count is given at exit", state.cfg.Queue)
		}
		return
	}
	d.jobs = append(d.jobs, j)
	ring := len(d.jobs) == 1
	d.mu.Unlock()
	if ring {
		d.ring()
	}
}

// queueFlush asks the dispatcher to flush the exporters once the
// publications queued before it are handed over.
func queueFlush(req flushReq) {
	dispatcher.once.Do(startDispatcher)
	d := &dispatcher
	d.mu.Lock()
	d.flushes = append(d.flushes, req)
	d.mu.Unlock()
	d.ring()
}

func (d *dispatchQueue) ring() {
	select {
	case d.bell <- struct{}{}:
	default: // already rung
	}
}

func startDispatcher() {
	dispatcher.bell = make(chan struct{}, 1)
	go runDispatcher()
}

func runDispatcher() {
	d := &dispatcher
	var (
		p       publication
		jobs    []*pubJob
		flushes []flushReq
	)
	for range d.bell {
		for {
			d.mu.Lock()
			jobs, d.jobs = d.jobs, jobs[:0]
			flushes, d.flushes = d.flushes, flushes[:0]
			d.mu.Unlock()
			if len(jobs) == 0 && len(flushes) == 0 {
				break
			}
			if len(jobs) > 0 {
				p.hand(jobs)
				clear(jobs)
			}
			for _, f := range flushes {
				flushExporters(f.deadline)
				close(f.done)
			}
			clear(flushes)
		}
	}
}

// hand converts jobs and queues them for every exporter: a Trace per job
// for the sinks that take SpanData, and one Trace holding the lines of all
// of them for the json sinks.
func (p *publication) hand(jobs []*pubJob) {
	exps := *state.exporters.Load()
	data, lines := needs(exps)
	var batch *Trace
	for _, j := range jobs {
		if lines && batch == nil {
			batch = &Trace{Complete: true, lines: getLineBuf()}
		}
		t := p.convert(j, data, batch)
		if batch != nil {
			batch.batched++
			if len(batch.lines) >= maxBatchLines {
				toJSON(exps, batch)
				batch = nil
			}
		}
		if t == nil {
			continue
		}
		var n int32
		for _, e := range exps {
			if _, ok := e.sink.(*JSON); !ok {
				n++
			}
		}
		t.refs.Store(n)
		for _, e := range exps {
			if _, ok := e.sink.(*JSON); !ok {
				e.enqueue(t)
			}
		}
	}
	if batch != nil {
		toJSON(exps, batch)
	}
}

// maxBatchLines bounds the json lines handed to the json sinks at once: a
// batch that grows past it goes out and the next traces start another, so
// that the buffers stay small enough to be reused (lineBufs) and a burst
// never holds its whole backlog encoded in memory.
const maxBatchLines = 256 << 10

// toJSON queues batch for every json sink of exps.
func toJSON(exps []*exporter, batch *Trace) {
	var n int32
	for _, e := range exps {
		if _, ok := e.sink.(*JSON); ok {
			n++
		}
	}
	batch.refs.Store(n)
	for _, e := range exps {
		if _, ok := e.sink.(*JSON); ok {
			e.enqueue(batch)
		}
	}
}

// Flush publishes the spans of every trace still running (status started),
// waits for every sink to export what it was given and reports drops, all
// within SPANTREE_FLUSH_TIMEOUT. The program's end, os.Exit and log.Fatal
// paths call it (generated code does this); calling it more often is safe.
func Flush() {
	if !enabled() {
		return
	}
	publishRunning()
	flushSinks()
}

// flushSinks waits for the dispatcher and every sink to export what they were
// given, within SPANTREE_FLUSH_TIMEOUT.
func flushSinks() {
	deadline := time.Now().Add(state.cfg.FlushTimeout)
	req := flushReq{done: make(chan struct{}), deadline: deadline}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	queueFlush(req)
	select {
	case <-req.done:
	case <-t.C:
		warnOncef("flushtimeout", "flush did not finish within %v", state.cfg.FlushTimeout)
	}
	if n := dispatcher.dropped.Load(); n > 0 {
		warnOncef("dropped:dispatch", "dropped %d traces (queue full)", n)
	}
}

func flushExporters(deadline time.Time) {
	var wg sync.WaitGroup
	for _, e := range *state.exporters.Load() {
		wg.Add(1)
		go func(e *exporter) {
			defer wg.Done()
			if !e.flush(deadline) {
				warnOncef("flushtimeout:"+e.name, "sink %s: flush did not finish within %v", e.name, state.cfg.FlushTimeout)
			}
			if n := e.dropped.Load(); n > 0 {
				warnOncef("dropped:"+e.name, "sink %s dropped %d traces (queue full)", e.name, n)
			}
		}(e)
	}
	wg.Wait()
}
