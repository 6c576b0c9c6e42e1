package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// TestPrune: Prune deletes the traces, spans and rollups older than the
// cutoff, over several steps, in every namespace, and keeps the rest.
func TestPrune(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	batch := func(start time.Time, n int) spantree.Batch {
		b := spantree.Batch{Tags: map[string]string{"service": "api"}}
		for i := range n {
			s := start.Add(time.Duration(i) * time.Second)
			b.Spans = append(b.Spans, spantree.SpanData{TraceID: spantree.NewTraceID(s), SpanID: spantree.SpanID{1}, Name: "main.main",
				Start: s, End: s.Add(time.Millisecond), Status: spantree.StatusSucceeded})
		}
		return b
	}
	old, recent := now.Add(-30*24*time.Hour), now.Add(-time.Hour)
	for _, ns := range []string{"acme", "other"} {
		if _, err := st.Ingest(ctx, ns, []spantree.Batch{batch(old, 2500), batch(recent, 30)}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.Prune(ctx, now.Add(-14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Per namespace: 2500 spans, 2500 traces, the rollups of the 42
	// minutes those 2500 seconds touch and of the hour they fall in.
	if want := 2 * (2500 + 2500 + 42 + 1); n != want {
		t.Errorf("Prune deleted %d rows; want %d", n, want)
	}
	for _, ns := range []string{"acme", "other"} {
		list, err := st.Traces(ctx, ns, store.TraceQuery{Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 30 {
			t.Errorf("%s: %d traces after Prune; want the 30 recent ones", ns, len(list))
		}
		calls := 0
		err = st.ScanRollups(ctx, ns, old.Add(-time.Hour), now, func(r *store.Rollup) error {
			if r.Minute.Before(now.Add(-14 * 24 * time.Hour)) {
				t.Errorf("%s: rollup of %v kept", ns, r.Minute)
			}
			calls += r.Count
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(30, calls); diff != "" {
			t.Errorf("%s: calls in the rollups after Prune (-want +got):\n%s", ns, diff)
		}
		hourCalls := 0
		err = st.ScanHourRollups(ctx, ns, old.Add(-time.Hour), now, func(r *store.Rollup) error {
			hourCalls += r.Count
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if hourCalls != 30 {
			t.Errorf("%s: calls in the hour rollups after Prune = %d; want 30", ns, hourCalls)
		}
	}
	if n, err := st.Prune(ctx, now.Add(-14*24*time.Hour)); err != nil || n != 0 {
		t.Errorf("Prune again = %d, %v; want 0, nil", n, err)
	}
}
