package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func sp(trace spantree.TraceID, id, parent byte, name string, startMs, durMs int, status spantree.Status) spantree.SpanData {
	s := spantree.SpanData{TraceID: trace, SpanID: spantree.SpanID{id}, Name: name, Location: name + ".go:1",
		Start: t0.Add(time.Duration(startMs) * time.Millisecond), Status: status}
	if parent != 0 {
		s.ParentID = spantree.SpanID{parent}
	}
	if status != spantree.StatusStarted {
		s.End = s.Start.Add(time.Duration(durMs) * time.Millisecond)
	}
	if status == spantree.StatusFailed {
		s.Error = &spantree.ErrorInfo{Type: "*errors.errorString", Message: "boom " + name}
	}
	return s
}

// rollupCounts is what the rollups say per span name: count, failed, roots,
// failed roots, max in ms.
type rollupCounts map[string][5]int

func readRollups(t *testing.T, st *sqlite.Store) (rollupCounts, map[string][]string) {
	t.Helper()
	got := rollupCounts{}
	fps := map[string][]string{}
	err := st.ScanRollups(context.Background(), "ns", t0.Add(-time.Hour), t0.Add(time.Hour), func(r *store.Rollup) error {
		c := got[r.Name]
		c[0] += r.Count
		c[1] += r.Failed
		c[2] += r.Roots
		c[3] += r.RootsFailed
		c[4] = max(c[4], int(r.Max/time.Millisecond))
		got[r.Name] = c
		if int(r.Hist.Count()) != r.Count {
			t.Errorf("%s at %s: histogram counts %d; rollup %d", r.Name, r.Minute, r.Hist.Count(), r.Count)
		}
		fps[r.Name] = append(fps[r.Name], r.Fingerprints...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, fps
}

// TestRollupsCountEachSpanOnce sends spans in several copies: a span counts
// once, with its first finished copy.
func TestRollupsCountEachSpanOnce(t *testing.T) {
	tr := spantree.NewTraceID(t0)
	root := sp(tr, 1, 0, "main", 0, 100, spantree.StatusSucceeded)
	running := sp(tr, 1, 0, "main", 0, 0, spantree.StatusStarted)
	child := sp(tr, 2, 1, "step", 10, 20, spantree.StatusFailed)
	slower := sp(tr, 2, 1, "step", 10, 50, spantree.StatusFailed) // a later copy: not counted
	tests := []struct {
		name    string
		batches [][]spantree.SpanData // one Ingest call each
		want    rollupCounts
	}{
		{"once", [][]spantree.SpanData{{root, child}},
			rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {1, 1, 0, 0, 20}}},
		{"running then finished", [][]spantree.SpanData{{running, child}, {root}},
			rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {1, 1, 0, 0, 20}}},
		{"running only", [][]spantree.SpanData{{running}}, rollupCounts{}},
		{"finished then running", [][]spantree.SpanData{{root}, {running}},
			rollupCounts{"main": {1, 0, 1, 0, 100}}},
		{"sent twice", [][]spantree.SpanData{{root, child}, {root, slower}},
			rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {1, 1, 0, 0, 20}}},
		{"twice in one batch", [][]spantree.SpanData{{root, child, root, slower}},
			rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {1, 1, 0, 0, 20}}},
		{"running and finished in one batch", [][]spantree.SpanData{{running, root, root}},
			rollupCounts{"main": {1, 0, 1, 0, 100}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "r.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for _, spans := range tt.batches {
				if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Tags: map[string]string{"service": "app"}, Spans: spans}}); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := readRollups(t, st)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rollups: count, failed, roots, failed roots, max ms (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRollupsBackfill opens a database whose rollups are missing, as one
// written before migration 2: the migration fills them in as ingest would.
func TestRollupsBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var spans []spantree.SpanData
	for i := range 30 {
		tr := spantree.NewTraceID(t0)
		status := spantree.StatusSucceeded
		if i%7 == 0 {
			status = spantree.StatusFailed
		}
		folded := sp(tr, 4, 1, "read", i*5000+3, 50, spantree.StatusSucceeded)
		folded.Fold = &spantree.Fold{Count: int64(2 + i), TotalNS: int64(2+i) * int64(time.Millisecond), MinNS: int64(time.Millisecond / 2), MaxNS: int64(2 * time.Millisecond)}
		spans = append(spans,
			sp(tr, 1, 0, "main", i*5000, 100+i, status),
			sp(tr, 2, 1, "load", i*5000+1, 10+i, spantree.StatusSucceeded),
			sp(tr, 3, 1, "save", i*5000+2, 5, spantree.StatusStarted),
			folded)
	}
	if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Tags: map[string]string{"service": "app"}, Spans: spans}}); err != nil {
		t.Fatal(err)
	}
	wantCounts, wantFPs := readRollups(t, st)
	if len(wantFPs["main"]) == 0 {
		t.Fatalf("no fingerprints in the rollups of failed spans: %v", wantFPs)
	}
	st.Close()

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DELETE FROM span_minutes`, `DELETE FROM span_minute_errors`, `DELETE FROM schema_version WHERE version >= 2`,
		`DROP TABLE span_hours`, `DROP TABLE span_hour_errors`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	// Migration 2 creates the tables, 3 the calls column, 4 the traces'
	// updated column, 5 the processes, 6 the alert records, 7 the run
	// numbers, 8 the users and 9 the hour rollups: drop them, as before
	// they ran (9's above).
	for _, q := range []string{`DROP TRIGGER traces_run_insert`, `DROP TRIGGER traces_run_update`, `DROP TABLE run_seqs`, `DROP INDEX traces_run`, `ALTER TABLE traces DROP COLUMN run`, `DROP TABLE span_minutes`, `DROP TABLE span_minute_errors`, `DROP TABLE alert_records`,
		`DROP TABLE sessions`, `DROP TABLE members`, `DROP TABLE users`,
		`DROP TABLE processes`, `ALTER TABLE spans DROP COLUMN process`,
		`DROP INDEX spans_fingerprint`, `ALTER TABLE spans DROP COLUMN calls`, `ALTER TABLE traces DROP COLUMN updated`,
		`CREATE INDEX spans_fingerprint ON spans (ns, fingerprint) WHERE fingerprint IS NOT NULL`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	st, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gotCounts, gotFPs := readRollups(t, st)
	if diff := cmp.Diff(wantCounts, gotCounts); diff != "" {
		t.Errorf("backfilled rollups (-at ingest +backfilled):\n%s", diff)
	}
	if diff := cmp.Diff(wantFPs, gotFPs); diff != "" {
		t.Errorf("backfilled fingerprints (-at ingest +backfilled):\n%s", diff)
	}
	// Migration 9 summed the backfilled minutes into hours.
	sum := func(scan func(context.Context, string, time.Time, time.Time, func(*store.Rollup) error) error) map[string]int {
		out := map[string]int{}
		err := scan(context.Background(), "ns", time.Unix(0, 0), time.Now().Add(time.Hour), func(r *store.Rollup) error {
			out[r.Name] += r.Count
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if diff := cmp.Diff(sum(st.ScanRollups), sum(st.ScanHourRollups)); diff != "" {
		t.Errorf("calls per name, minutes against hours (-minutes +hours):\n%s", diff)
	}
}

// TestFoldsCountCalls sends folded spans, each standing for fold.count
// calls: the rollups and the error groups count the calls, not the rows.
func TestFoldsCountCalls(t *testing.T) {
	fold := func(s spantree.SpanData, count int64) spantree.SpanData {
		s.Fold = &spantree.Fold{Count: count, TotalNS: count * int64(2*time.Millisecond), MinNS: int64(time.Millisecond), MaxNS: int64(3 * time.Millisecond)}
		return s
	}
	tests := []struct {
		name      string
		spans     func(tr spantree.TraceID) []spantree.SpanData
		want      rollupCounts
		wantCalls map[string]int // error group counts by span name
	}{
		{"folded successes", func(tr spantree.TraceID) []spantree.SpanData {
			return []spantree.SpanData{sp(tr, 1, 0, "main", 0, 100, spantree.StatusSucceeded),
				fold(sp(tr, 2, 1, "step", 1, 90, spantree.StatusSucceeded), 40)}
		}, rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {40, 0, 0, 0, 3}}, map[string]int{}},
		{"folded failures", func(tr spantree.TraceID) []spantree.SpanData {
			return []spantree.SpanData{sp(tr, 1, 0, "main", 0, 100, spantree.StatusSucceeded),
				fold(sp(tr, 2, 1, "step", 1, 90, spantree.StatusFailed), 25),
				sp(tr, 3, 1, "step", 95, 2, spantree.StatusFailed)}
		}, rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {26, 26, 0, 0, 3}}, map[string]int{"step": 26}},
		{"a fold of one call", func(tr spantree.TraceID) []spantree.SpanData {
			return []spantree.SpanData{fold(sp(tr, 1, 0, "main", 0, 7, spantree.StatusSucceeded), 1)}
		}, rollupCounts{"main": {1, 0, 1, 0, 7}}, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "f.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			spans := tt.spans(spantree.NewTraceID(t0))
			// Sent twice: the second copy replaces the first.
			for range 2 {
				if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Tags: map[string]string{"service": "app"}, Spans: spans}}); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := readRollups(t, st)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rollups: count, failed, roots, failed roots, max ms (-want +got):\n%s", diff)
			}
			groups, err := st.ErrorGroups(context.Background(), "ns", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			gotCalls := map[string]int{}
			for _, g := range groups {
				gotCalls[g.Name] += g.Count
			}
			if diff := cmp.Diff(tt.wantCalls, gotCalls); diff != "" {
				t.Errorf("error group counts by span name (-want +got):\n%s", diff)
			}
		})
	}
}
