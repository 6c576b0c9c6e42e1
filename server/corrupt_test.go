package server_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spantree/spantree/internal/filefault"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
)

// TestCorruptWhileServing: a database file damaged in its middle, served
// without the check at start, answers the traces it can no longer read with
// 500 saying the file is corrupt (never a bare internal error), and
// /healthz turns 503 from then on.
func TestCorruptWhileServing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := st.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	var b spantree.Batch
	for i := range 200 {
		for j := range 10 {
			d := span(byte(i), byte(j+1), 0, "main.work", time.Duration(i)*time.Second, time.Millisecond, false)
			d.Attrs = map[string]any{"pad": strings.Repeat("p", 500)}
			b.Spans = append(b.Spans, d)
		}
	}
	if _, err := st.Ingest(context.Background(), "acme", []spantree.Batch{b}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := filefault.Corrupt(path); err != nil {
		t.Fatal(err)
	}

	st, err = sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open: %v (the junk should hit the spans, not the schema)", err)
	}
	srv := httptest.NewServer(server.New(st, server.Options{Log: log.New(io.Discard, "", 0)}))
	defer func() { srv.Close(); st.Close() }()
	e := &env{t: t, st: st, srv: srv, key: key}
	if status, body := e.do("GET", "/healthz", "", nil); status != 200 {
		t.Fatalf("GET /healthz before any damage was read = %d %s; want 200", status, body)
	}
	failed := 0
	for i := range 200 {
		status, body := e.do("GET", "/v1/traces/"+traceID(byte(i)).Hex(), key, nil)
		switch {
		case status == 200:
		case status == 500 && strings.Contains(body, "database file corrupt"):
			failed++
		default:
			t.Errorf("trace %d: %d %s; want 200, or 500 saying the file is corrupt", i, status, body)
		}
	}
	if failed == 0 {
		t.Fatal("no trace read hit the damage; the test needs one that does")
	}
	if status, body := e.do("GET", "/healthz", "", nil); status != 503 || !strings.Contains(body, "corrupt") {
		t.Errorf("GET /healthz after damage was read = %d %s; want 503 saying the file is corrupt", status, body)
	}
}
