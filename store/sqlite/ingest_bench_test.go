package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store/sqlite"
)

// BenchmarkIngest is Store.Ingest alone, one caller, one trace of 200
// spans per call, the database on disk (no HTTP, no JSON decoding).
func BenchmarkIngest(b *testing.B) {
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		id := spantree.NewTraceID(now)
		spans := make([]spantree.SpanData, 200)
		for i := range spans {
			spans[i] = spantree.SpanData{TraceID: id, SpanID: spantree.SpanID{byte(i >> 8), byte(i), 1}, Name: "pkg.F", Location: "x.go:1", Start: now, End: now.Add(time.Microsecond), Status: spantree.StatusSucceeded}
		}
		if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Tags: map[string]string{"service": "b"}, Spans: spans}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*200)/b.Elapsed().Seconds(), "spans/s")
}
