package benchmarks

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

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

// reportExported reports, per operation, the spans the sinks received since
// before (a snapshot of exported.spans), after flushing what is queued. It
// tells a reader whether the spans were recorded, folded or sampled out.
func reportExported(b *testing.B, before int64) {
	b.Helper()
	b.StopTimer()
	spantree.Flush()
	b.ReportMetric(float64(exported.spans.Load()-before)/float64(b.N), "spans/op")
	b.StartTimer()
}
