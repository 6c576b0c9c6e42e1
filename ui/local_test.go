package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// shifted returns the checkout trace moved to end at now.
func shifted(now time.Time) *store.Trace {
	t := checkoutTrace()
	d := now.Sub(testNow.Add(-90 * time.Second).Add(120 * time.Millisecond))
	for i := range t.Spans {
		s := &t.Spans[i]
		s.Start = s.Start.Add(d)
		if !s.End.IsZero() {
			s.End = s.End.Add(d)
		}
		for j := range s.Events {
			s.Events[j].Time = s.Events[j].Time.Add(d)
		}
	}
	return t
}

// writeDB makes a database at path holding tr's spans in each namespace.
func writeDB(t testing.TB, path string, spans []spantree.SpanData, namespaces ...string) {
	t.Helper()
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, ns := range namespaces {
		b := spantree.Batch{Tags: map[string]string{"service": "shop", "version": "1.4.2"}, Spans: spans}
		if _, err := st.Ingest(context.Background(), ns, []spantree.Batch{b}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenDB reads a real SQLite store through server.Local in process.
func TestOpenDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spans.db")
	tr := shifted(time.Now())
	writeDB(t, path, tr.Spans, "prod", "staging")

	conn, closeDB, err := openDB(context.Background(), path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	ctx := context.Background()
	names, err := conn.list(ctx)
	if err != nil || strings.Join(names, ",") != "prod,staging" {
		t.Fatalf("namespaces = %q, %v; want prod,staging", names, err)
	}
	b := conn.open("prod")
	rows, err := b.Dashboard(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tr.Spans) {
		t.Errorf("dashboard has %d rows; want one per span name, %d", len(rows), len(tr.Spans))
	}
	got, err := b.Trace(ctx, tr.Hex)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spans) != len(tr.Spans) || len(got.Errors) == 0 {
		t.Errorf("trace has %d spans and %d grouped errors; want %d and some", len(got.Spans), len(got.Errors), len(tr.Spans))
	}
	if _, err := conn.open("nobody").Trace(ctx, tr.Hex); !client.IsStatus(err, 404) {
		t.Errorf("another namespace's trace: error %v; want a 404", err)
	}

	// The whole UI on it: one namespace chosen, the trace found by hex.
	m := newModel(Config{Since: time.Hour, Slow: 100 * time.Millisecond, Limit: 10}, nil, conn, time.Now)
	m = driveCmd(m, m.Init())
	m = drive(m, keysOf("j enter f '"+tr.Hex+"' enter"), nil)
	if m.namespace != "staging" || selectedSpan(m) != "shop.(*Server).Checkout" {
		t.Errorf("namespace %q, selected span %q; want staging and the checkout root (status line %q)", m.namespace, selectedSpan(m), m.flash)
	}
}

func TestOpenDBMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo.db")
	if _, _, err := openDB(context.Background(), path, ""); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("openDB(missing) error = %v; want no such file", err)
	}
}
