package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// TestLargeBatches sends requests larger than one transaction, twice: all
// their spans are stored, each once; a failed parent whose failed child is
// in its batch but another transaction is still not grouped on its own;
// the rollups count each span once.
func TestLargeBatches(t *testing.T) {
	const n = sqlite.MaxTxSpans
	tests := []struct {
		name  string
		sizes []int // spans of each batch of one request, all of one trace
	}{
		{"one batch of several transactions", []int{2*n + 5}},
		{"batches across transactions", []int{n - 10, 30, n + 3}},
		{"exactly one transaction", []int{n}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			tr := spantree.NewTraceID(t0)
			var batches []spantree.Batch
			total := 0
			for _, size := range tt.sizes {
				b := spantree.Batch{Tags: map[string]string{"service": "app"}}
				for range size {
					total++
					id := spantree.SpanID{byte(total >> 16), byte(total >> 8), byte(total), 1}
					s := spantree.SpanData{TraceID: tr, SpanID: id, ParentID: spantree.SpanID{0, 0, 1, 1}, Name: "step", Location: "x.go:1",
						Start: t0, End: t0.Add(time.Millisecond), Status: spantree.StatusSucceeded}
					if total == 1 {
						s.ParentID, s.Name = spantree.SpanID{}, "main"
					}
					b.Spans = append(b.Spans, s)
				}
				batches = append(batches, b)
			}
			// The root failed because a child in its batch did, the last
			// one, in another transaction when the batch takes several.
			root, last := &batches[0].Spans[0], &batches[0].Spans[len(batches[0].Spans)-1]
			for _, s := range []*spantree.SpanData{root, last} {
				s.Status, s.Error = spantree.StatusFailed, &spantree.ErrorInfo{Type: "*errors.errorString", Message: "boom"}
			}
			for range 2 {
				got, err := st.Ingest(context.Background(), "ns", batches)
				if err != nil {
					t.Fatal(err)
				}
				if got != total {
					t.Fatalf("Ingest = %d; want %d", got, total)
				}
			}
			stored := 0
			if err := st.ScanSpans(context.Background(), "ns", t0.Add(-time.Hour), t0.Add(time.Hour), func(*store.SpanStat) error {
				stored++
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if stored != total {
				t.Errorf("stored %d spans; want %d", stored, total)
			}
			groups, err := st.ErrorGroups(context.Background(), "ns", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range groups {
				names = append(names, g.Name)
			}
			if diff := cmp.Diff([]string{"step"}, names); diff != "" {
				t.Errorf("error groups by span name (-want +got):\n%s", diff)
			}
			got, _ := readRollups(t, st)
			want := rollupCounts{"main": {1, 1, 1, 1, 1}, "step": {total - 1, 1, 0, 0, 1}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rollups: count, failed, roots, failed roots, max ms (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWALBounded writes about 40 MB from four callers with the WAL limit
// at 2 MiB: the WAL file, sampled all along, stays within a few
// transactions of the limit instead of growing with what was written.
func TestWALBounded(t *testing.T) {
	const limit = 2 << 20
	defer sqlite.SetWALLimit(limit)()
	path := filepath.Join(t.TempDir(), "w.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > peak.Load() {
				peak.Store(fi.Size())
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	big := strings.Repeat("x", 2000)
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			for i := range 50 {
				tr := spantree.NewTraceID(t0)
				spans := make([]spantree.SpanData, 50)
				for j := range spans {
					spans[j] = spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{byte(c), byte(i), byte(j), 1}, Name: fmt.Sprintf("f%d", j%10),
						Location: "x.go:1", Start: t0, End: t0.Add(time.Millisecond), Status: spantree.StatusSucceeded, Attrs: map[string]any{"blob": big}}
				}
				if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Spans: spans}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	// One group commit of four requests is about 0.5 MB of WAL.
	if got, bound := peak.Load(), int64(2*limit); got > bound {
		t.Errorf("WAL peaked at %d bytes; want at most %d (limit %d)", got, bound, limit)
	}
}
