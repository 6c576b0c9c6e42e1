package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// testSeries: the time series of an app's roots and of a span name, a
// point per step with the steps without calls, from the rollups.
func testSeries(t *testing.T, open Opener) {
	st := open(t)
	minute := func(m int) int { return m * 60_000 } // ms from t0
	api := map[string]string{"service": "api"}
	// Minute 0: two requests, one failed, each with a db.query; minute 2:
	// one request; minute 3: a job whose root is named like a child of
	// another trace (mixed).
	ingest(t, st, "ns", api,
		sp(traceID(1), 1, 0, "api.get", minute(0), 10, spantree.StatusSucceeded),
		sp(traceID(1), 2, 1, "db.query", minute(0)+1, 4, spantree.StatusSucceeded),
		sp(traceID(2), 1, 0, "api.get", minute(0)+500, 30, spantree.StatusFailed),
		sp(traceID(2), 2, 1, "db.query", minute(0)+501, 20, spantree.StatusFailed),
		sp(traceID(3), 1, 0, "api.get", minute(2), 20, spantree.StatusSucceeded),
		sp(traceID(4), 1, 0, "mixed", minute(3), 50, spantree.StatusSucceeded),
		sp(traceID(5), 1, 0, "api.get", minute(3), 5, spantree.StatusSucceeded),
		sp(traceID(5), 2, 1, "mixed", minute(3)+1, 2, spantree.StatusSucceeded),
	)
	ingest(t, st, "ns", map[string]string{"service": "other"},
		sp(traceID(6), 1, 0, "job.run", minute(1), 7, spantree.StatusSucceeded))

	// point is what is compared exactly: calls, failed, max in ms, and
	// whether the p95 is known.
	type point struct {
		Calls, Failed int
		MaxMs         int64
		P95           bool
	}
	ms := int64(time.Millisecond)
	tests := []struct {
		name string
		q    store.SeriesQuery
		want []point
	}{
		// Minute 3's latency is api.get's: mixed is a root once and a
		// child once, so its histogram is not a root's.
		{"roots of an app", store.SeriesQuery{App: "api", Until: t0.Add(4 * time.Minute)}, []point{
			{2, 1, 30, true}, {}, {1, 0, 20, true}, {2, 0, 5, true}}},
		{"roots of every app", store.SeriesQuery{Until: t0.Add(4 * time.Minute)}, []point{
			{2, 1, 30, true}, {1, 0, 7, true}, {1, 0, 20, true}, {2, 0, 5, true}}},
		{"a span name", store.SeriesQuery{App: "api", Name: "db.query", Until: t0.Add(4 * time.Minute)}, []point{
			{2, 1, 20, true}, {}, {}, {}}},
		{"a name that is a root and a child: all its spans", store.SeriesQuery{Name: "mixed", Until: t0.Add(4 * time.Minute)}, []point{
			{}, {}, {}, {2, 0, 50, true}}},
		{"two-minute steps", store.SeriesQuery{App: "api", Until: t0.Add(4 * time.Minute), Step: 2 * time.Minute}, []point{
			{2, 1, 30, true}, {3, 0, 20, true}}},
		{"another app", store.SeriesQuery{App: "nobody", Until: t0.Add(2 * time.Minute)}, []point{{}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Since = t0
			s, err := store.SeriesOf(context.Background(), st, "ns", tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []point
			for i, p := range s.Points {
				if want := t0.Add(time.Duration(i) * s.Step); !p.Time.Equal(want) {
					t.Errorf("point %d at %v; want %v", i, p.Time, want)
				}
				if p.P95 > p.Max || p.P50 > p.P95 {
					t.Errorf("point %d: p50 %d, p95 %d, max %d; want p50 <= p95 <= max", i, p.P50, p.P95, p.Max)
				}
				got = append(got, point{p.Calls, p.Failed, p.Max / ms, p.P95 > 0})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("points (-want +got):\n%s", diff)
			}
		})
	}

	bad := []store.SeriesQuery{
		{Since: t0, Until: t0},
		{Since: t0, Until: t0.Add(time.Hour), Step: 90 * time.Second},
		{Since: t0, Until: t0.Add(30 * 24 * time.Hour), Step: time.Minute},
	}
	for _, q := range bad {
		if _, err := store.SeriesOf(context.Background(), st, "ns", q); err == nil {
			t.Errorf("SeriesOf(%+v) = nil error; want one", q)
		}
	}
}
