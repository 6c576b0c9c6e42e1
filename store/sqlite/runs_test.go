package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// runsOf returns the run number of each trace of namespace ns, by id.
func runsOf(t *testing.T, st store.Store) map[spantree.TraceID]int64 {
	t.Helper()
	list, err := st.Traces(context.Background(), "ns", store.TraceQuery{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	out := map[spantree.TraceID]int64{}
	for _, ts := range list {
		out[ts.TraceID] = ts.Run
	}
	return out
}

// TestRunsBackfill: migration 0007 numbers the traces stored before it per
// namespace and tags, in the order they started (what ingest gave them,
// when they arrived in that order), leaves a trace without a root
// unnumbered, and ingest goes on from the last number.
func TestRunsBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tags := []map[string]string{{"service": "a"}, {"service": "a", "env": "ci"}, {"service": "b"}}
	for i := range 12 {
		tr := spantree.TraceIDFromW3C([16]byte{0x70, byte(i)}, t0)
		root := sp(tr, 1, 0, "main", i*1000, 1, spantree.StatusSucceeded)
		if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Tags: tags[i%3], Spans: []spantree.SpanData{root}}}); err != nil {
			t.Fatal(err)
		}
	}
	orphan := spantree.TraceIDFromW3C([16]byte{0x71}, t0)
	if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Tags: tags[0],
		Spans: []spantree.SpanData{sp(orphan, 2, 1, "child", 0, 1, spantree.StatusSucceeded)}}}); err != nil {
		t.Fatal(err)
	}
	want := runsOf(t, st)
	if want[orphan] != 0 || want[spantree.TraceIDFromW3C([16]byte{0x70, 11}, t0)] != 4 {
		t.Fatalf("runs at ingest = %v; want the orphan without one and the last trace 4th of its key", want)
	}
	st.Close()

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER traces_run_insert`, `DROP TRIGGER traces_run_update`, `DROP TABLE run_seqs`, `DROP INDEX traces_run`, `ALTER TABLE traces DROP COLUMN run`,
		`DROP TABLE sessions`, `DROP TABLE members`, `DROP TABLE users`, `DROP TABLE span_hours`, `DROP TABLE span_hour_errors`,
		`DELETE FROM schema_version WHERE version >= 7`} {
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
	if diff := cmp.Diff(want, runsOf(t, st)); diff != "" {
		t.Errorf("backfilled runs (-at ingest +backfilled):\n%s", diff)
	}
	next := spantree.TraceIDFromW3C([16]byte{0x72}, t0)
	if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Tags: tags[1],
		Spans: []spantree.SpanData{sp(next, 1, 0, "main", 60000, 1, spantree.StatusSucceeded)}}}); err != nil {
		t.Fatal(err)
	}
	if got := runsOf(t, st)[next]; got != 5 {
		t.Errorf("run of a trace ingested after the backfill = %d; want 5", got)
	}
}
