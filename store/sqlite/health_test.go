package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spantree/spantree/internal/filefault"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// batchOf returns n finished spans of n traces, each with a name padded to
// pad bytes, starting at t0 plus first seconds.
func batchOf(first, n, pad int) spantree.Batch {
	b := spantree.Batch{Tags: map[string]string{"service": "api"}}
	for i := range n {
		start := t0.Add(time.Duration(first+i) * time.Second)
		b.Spans = append(b.Spans, spantree.SpanData{
			TraceID: spantree.NewTraceID(start), SpanID: spantree.SpanID{1}, Name: fmt.Sprintf("op%d", i%7),
			Location: "main.go:1", Start: start, End: start.Add(time.Millisecond), Status: spantree.StatusSucceeded,
			Attrs: map[string]any{"pad": strings.Repeat("p", pad)},
		})
	}
	return b
}

func countTraces(t *testing.T, st *sqlite.Store) int {
	t.Helper()
	list, err := st.Traces(context.Background(), "acme", store.TraceQuery{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestDiskFull: a write that needs room the database does not have fails
// with store.ErrFull and stores nothing; Ready reports it until a write
// succeeds again; nothing stored before is lost.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "full.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Ingest(ctx, "acme", []spantree.Batch{batchOf(0, 50, 100)}); err != nil {
		t.Fatal(err)
	}
	if err := st.LimitPages(ctx, 0); err != nil {
		t.Fatal(err)
	}
	_, err = st.Ingest(ctx, "acme", []spantree.Batch{batchOf(1000, 200, 2000)})
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("Ingest into a full database = %v; want store.ErrFull", err)
	}
	if !strings.Contains(err.Error(), "full.db") {
		t.Errorf("error %q does not name the file", err)
	}
	if err := st.Ready(ctx); !errors.Is(err, store.ErrFull) {
		t.Errorf("Ready while full = %v; want store.ErrFull", err)
	}
	if n := countTraces(t, st); n != 50 {
		t.Errorf("while full, %d traces stored; want the 50 acknowledged before", n)
	}
	if err := st.LimitPages(ctx, 1<<30); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Ingest(ctx, "acme", []spantree.Batch{batchOf(1000, 200, 2000)}); err != nil {
		t.Fatalf("Ingest once there is room again = %v", err)
	}
	if err := st.Ready(ctx); err != nil {
		t.Errorf("Ready after a write succeeded = %v; want nil", err)
	}
	if n := countTraces(t, st); n != 250 {
		t.Errorf("%d traces stored; want 250", n)
	}
}

// TestCorruptFile: junk written into the middle of a database file is found
// by QuickCheck, with an error naming the file; Ready reports it after.
func TestCorruptFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bad.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Ingest(ctx, "acme", []spantree.Batch{batchOf(0, 2000, 200)}); err != nil {
		t.Fatal(err)
	}
	if err := st.QuickCheck(ctx); err != nil {
		t.Fatalf("QuickCheck of a sound file = %v", err)
	}
	st.Close()
	if err := filefault.Corrupt(path); err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(path)
	if err != nil {
		// Damage that Open already sees must name the file too.
		if !strings.Contains(err.Error(), path) {
			t.Fatalf("Open of a corrupt file = %v; want the file named", err)
		}
		return
	}
	defer st.Close()
	err = st.QuickCheck(ctx)
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Fatalf("QuickCheck of a corrupt file = %v; want store.ErrCorrupt naming %s", err, path)
	}
	if err := st.Ready(ctx); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Ready after damage was found = %v; want store.ErrCorrupt", err)
	}
}
