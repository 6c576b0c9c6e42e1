package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(i*31 + 7)
	}
	if _, err := f.WriteAt(junk, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var out, errOut strings.Builder
	code := run([]string{"serve", "-addr", "127.0.0.1:0", "-db", path}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), path) || !strings.Contains(errOut.String(), "corrupt") {
		t.Errorf("serve on a corrupt file = %d\n%s; want 1 and a message naming %s as corrupt", code, errOut.String(), path)
	}
}
