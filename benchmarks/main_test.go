package benchmarks

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// discard is a spantree sink that keeps nothing and counts what it was given,
// so that a benchmark can say how many spans reached the sinks.
type discard struct{}

var _ spantree.Sink = discard{}

var exported struct {
	traces, spans, dropped atomic.Int64
}

func (discard) Export(_ context.Context, t *spantree.Trace) error {
	exported.traces.Add(1)
	exported.spans.Add(int64(len(t.Spans)))
	exported.dropped.Add(t.Dropped)
	return nil
}

func (discard) Flush(context.Context) error { return nil }

func TestMain(m *testing.M) {
	spantree.SetSinks(discard{})
	os.Exit(m.Run())
}

// meter measures what a benchmark's operations cost the whole process, on
// top of the wall time per op that the benchmark reports: the CPU time of
// every goroutine, and the spans that reached the sinks.
//
// Tracers do part of their work off the caller's goroutine (the SDK's batch
// processor, spantree's exporter); on a machine with idle cores that work is
// missing from ns/op but not from cpu-ns/op. And a tracer whose queues are
// full drops work: spans/op below the expected count says so.
type meter struct {
	b     *testing.B
	cpu   time.Duration
	ok    bool
	spans int64
}

// startMeter starts measuring; call it after the benchmark's setup.
func startMeter(b *testing.B) *meter {
	b.Helper()
	b.ReportAllocs()
	cpu, ok := cpuTime()
	return &meter{b: b, cpu: cpu, ok: ok, spans: exported.spans.Load()}
}

// stop stops the timer, runs flush (when not nil) so that work queued by the
// operations is done and counted, and reports cpu-ns/op.
func (m *meter) stop(flush func()) {
	m.b.Helper()
	m.b.StopTimer()
	if flush != nil {
		flush()
	}
	if cpu, ok := cpuTime(); ok && m.ok {
		m.b.ReportMetric(float64(cpu-m.cpu)/float64(m.b.N), "cpu-ns/op")
	}
}

// stopSpantree is stop for spantree benchmarks: it flushes the runtime and
// also reports, per op, the spans the sinks received. It tells a reader
// whether the spans were recorded, folded, sampled out or dropped.
func (m *meter) stopSpantree() {
	m.b.Helper()
	m.stop(spantree.Flush)
	m.b.ReportMetric(float64(exported.spans.Load()-m.spans)/float64(m.b.N), "spans/op")
}
