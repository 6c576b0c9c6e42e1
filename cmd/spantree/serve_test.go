package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spantree/spantree/internal/filefault"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store/sqlite"
)

// TestServeCorruptFile: serve refuses a database file with junk written into
// its middle, exiting 1 with a message naming the file.
func TestServeCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b := spantree.Batch{}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i := range 3000 {
		start := now.Add(time.Duration(i) * time.Millisecond)
		b.Spans = append(b.Spans, spantree.SpanData{TraceID: spantree.NewTraceID(start), SpanID: spantree.SpanID{1}, Name: "main.main",
			Start: start, End: start.Add(time.Millisecond), Status: spantree.StatusSucceeded, Attrs: map[string]any{"pad": strings.Repeat("x", 200)}})
	}
	if _, err := st.Ingest(context.Background(), "acme", []spantree.Batch{b}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := filefault.Corrupt(path); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	code := run([]string{"serve", "-addr", "127.0.0.1:0", "-db", path}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), path) || !strings.Contains(errOut.String(), "corrupt") {
		t.Errorf("serve on a corrupt file = %d\n%s; want 1 and a message naming %s as corrupt", code, errOut.String(), path)
	}
}
