package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// TestAbandoned: a trace whose root still runs is abandoned once nothing of
// it arrived for store.AbandonAfter, and no longer when a copy arrives; a
// finished trace never is.
func TestAbandoned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.CreateKey(ctx, "ns"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	id := spantree.NewTraceID(now)
	root := spantree.SpanData{TraceID: id, SpanID: spantree.SpanID{9}, Name: "main.serve", Location: "main.go:1",
		Start: now, Status: spantree.StatusStarted}
	ingest := func(d spantree.SpanData) {
		t.Helper()
		if _, err := st.Ingest(ctx, "ns", []spantree.Batch{{Tags: map[string]string{"service": "svc"}, Spans: []spantree.SpanData{d}}}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, want bool) {
		t.Helper()
		tr, err := st.Trace(ctx, "ns", id)
		if err != nil {
			t.Fatal(err)
		}
		list, err := st.Traces(ctx, "ns", store.TraceQuery{})
		if err != nil || len(list) != 1 {
			t.Fatalf("Traces: %v, %d", err, len(list))
		}
		if tr.Abandoned != want || list[0].Abandoned != want {
			t.Errorf("%s: Trace.Abandoned = %v, TraceSummary.Abandoned = %v; want %v", when, tr.Abandoned, list[0].Abandoned, want)
		}
	}
	// age moves the trace's last update back by d, as if time had passed.
	age := func(d time.Duration) {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`UPDATE traces SET updated = updated - ?`, int64(d)); err != nil {
			t.Fatal(err)
		}
	}
	ingest(root)
	check("running, just published", false)
	age(store.AbandonAfter + time.Second)
	check("running, silent for longer than AbandonAfter", true)
	ingest(root) // published again
	check("running, published again", false)
	age(store.AbandonAfter + time.Second)
	root.End, root.Status = now.Add(time.Second), spantree.StatusSucceeded
	ingest(root)
	age(store.AbandonAfter + time.Second)
	check("finished", false)
}
