package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// BenchmarkDashboard is store.Dashboard over a day of rollups: a span of
// each of 200 names and locations every minute of the last 24 hours
// (288,000 minute rows), as a service of 200 functions sending all day
// leaves them.
func BenchmarkDashboard(b *testing.B) {
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "d.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Now().Truncate(time.Minute)
	const names, minutes = 200, 24 * 60
	for m := range minutes {
		at := now.Add(-time.Duration(minutes-m) * time.Minute)
		id := spantree.NewTraceID(at)
		spans := make([]spantree.SpanData, names)
		for i := range spans {
			spans[i] = spantree.SpanData{TraceID: id, SpanID: spantree.SpanID{byte(i >> 8), byte(i), 2}, Name: fmt.Sprintf("pkg.F%d", i%20),
				Location: fmt.Sprintf("pkg/f.go:%d", i), Start: at, End: at.Add(time.Duration(i+1) * time.Millisecond), Status: spantree.StatusSucceeded}
			if i > 0 {
				spans[i].ParentID = spantree.SpanID{0, 0, 2}
			}
		}
		if _, err := st.Ingest(ctx, "ns", []spantree.Batch{{Tags: map[string]string{"service": "b"}, Spans: spans}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		rows, err := store.Dashboard(ctx, st, "ns", now.Add(-24*time.Hour), now)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) != names {
			b.Fatalf("%d rows; want %d", len(rows), names)
		}
	}
}
