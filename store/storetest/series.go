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

// testWindow: store.ScanWindow, which reads the whole hours of a window
// from per-hour rollups where the engine keeps them, sums to what the
// minute rollups say, for windows on and off the hour.
func testWindow(t *testing.T, open Opener) {
	st := open(t)
	base := t0.Add(-90 * time.Minute) // 08:30
	var spans []spantree.SpanData
	for i := range 200 {
		// A span every 97 seconds over five hours, two names, some
		// failed, one trace each.
		s := sp(traceID(byte(i)), 1, 0, []string{"api.get", "api.put"}[i%2], 0, 1+i%40, spantree.StatusSucceeded)
		if i%7 == 0 {
			s = sp(traceID(byte(i)), 1, 0, s.Name, 0, 1+i%40, spantree.StatusFailed)
		}
		s.TraceID = spantree.TraceIDFromW3C(s.TraceID.Payload(), base)
		s.Start = base.Add(time.Duration(i) * 97 * time.Second)
		s.End = s.Start.Add(time.Duration(1+i%40) * time.Millisecond)
		s.SpanID = spantree.SpanID{byte(i), byte(i >> 8), 0xee}
		spans = append(spans, s)
	}
	ingest(t, st, "ns", map[string]string{"service": "api"}, spans...)
	type sums struct {
		Count, Failed, Roots int
		Max                  time.Duration
		Fingerprints         int
	}
	total := func(scan func(since, until time.Time, fn func(*store.Rollup) error) error, since, until time.Time) map[string]sums {
		t.Helper()
		out := map[string]sums{}
		fps := map[string]map[string]bool{}
		err := scan(since, until, func(r *store.Rollup) error {
			s := out[r.Name]
			s.Count += r.Count
			s.Failed += r.Failed
			s.Roots += r.Roots
			s.Max = max(s.Max, r.Max)
			out[r.Name] = s
			if fps[r.Name] == nil {
				fps[r.Name] = map[string]bool{}
			}
			for _, fp := range r.Fingerprints {
				fps[r.Name][fp] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range out {
			s.Fingerprints = len(fps[name])
			out[name] = s
		}
		return out
	}
	ctx := context.Background()
	minutes := func(since, until time.Time, fn func(*store.Rollup) error) error {
		return st.ScanRollups(ctx, "ns", since, until, fn)
	}
	window := func(since, until time.Time, fn func(*store.Rollup) error) error {
		return store.ScanWindow(ctx, st, "ns", since, until, fn)
	}
	for _, w := range []struct{ since, until time.Time }{
		{base, base.Add(6 * time.Hour)},                                      // every span, from the half hour
		{base.Add(30 * time.Minute), base.Add(3*time.Hour + 30*time.Minute)}, // whole hours only
		{base.Add(47 * time.Minute), base.Add(4*time.Hour + 3*time.Minute)},  // ragged ends
		{base.Add(10 * time.Minute), base.Add(50 * time.Minute)},             // within an hour
	} {
		want, got := total(minutes, w.since, w.until), total(window, w.since, w.until)
		if len(want) == 0 {
			t.Fatalf("no rollups from %v to %v", w.since, w.until)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ScanWindow from %v to %v against the minutes (-want +got):\n%s", w.since, w.until, diff)
		}
	}
	// The dashboard over the day counts every span once.
	rows, err := store.Dashboard(ctx, st, "ns", base.Add(-time.Hour), base.Add(7*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		n += r.Count
	}
	if n != len(spans) {
		t.Errorf("the dashboard counts %d calls; want %d", n, len(spans))
	}
}
