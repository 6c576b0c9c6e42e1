package benchmarks

import (
	"bytes"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// lineCounter counts the lines the json sink writes and keeps nothing, so
// that a benchmark pays for encoding every span as the json sink writes it
// (the wire format, one line per span) and can say how many spans reached
// the sink. It stands for io.Discard: the runtime hands json lines it
// encodes from its records only to the json sink itself, not to a wrapper.
type lineCounter struct{}

var exported struct {
	spans atomic.Int64
	// dropped is the last count of dropped spans a root said it had
	// (spantree.dropped_spans, a count over the whole trace)
	dropped atomic.Int64
}

var droppedAttr = []byte(`"spantree.dropped_spans":`)

func (lineCounter) Write(p []byte) (int, error) {
	exported.spans.Add(int64(bytes.Count(p, []byte{'\n'})))
	// The root, which carries the count, ends last: its line is the first
	// of the publication. Only that line is searched, to keep the counter
	// cheap next to what it counts.
	first := p
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		first = p[:i]
	}
	if i := bytes.Index(first, droppedAttr); i >= 0 {
		rest := first[i+len(droppedAttr):]
		n, _ := strconv.ParseInt(string(rest[:bytes.IndexAny(rest, ",}")]), 10, 64)
		exported.dropped.Store(n)
	}
	return len(p), nil
}

func TestMain(m *testing.M) {
	spantree.SetSinks(spantree.NewJSON(lineCounter{}))
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
