package runtimetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var poolFns = [...]spantree.Func{
	{Name: "t.pool", Loc: "pool_test.go:1"},
	{Name: "t.pool.Go#1", Loc: "pool_test.go:2"},
	{Name: "t.parseRecord", Loc: "pool_test.go:3"},
	{Name: "t.store", Loc: "pool_test.go:4"},
}

var errBadRecord = errors.New("bad record")

func parseRecord(i int) (err error) {
	__sp := spantree.Start(&poolFns[2])
	defer __sp.DoneErr(&err)
	if i%20 == 19 {
		return fmt.Errorf("record %d: %w", i, errBadRecord)
	}
	return nil
}

func store(i int) {
	__sp := spantree.Start(&poolFns[3])
	defer __sp.Done()
	_ = i
}

// pool handles n records on a goroutine each, as a worker pool started from
// one site does.
func pool(n int) {
	__sp := spantree.Start(&poolFns[0])
	defer __sp.Done()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			__sp := spantree.StartLit(__sp, &poolFns[1])
			defer __sp.Done()
			defer wg.Done()
			if parseRecord(i) == nil {
				store(i)
			}
		}()
	}
	wg.Wait()
}

// The goroutines of one site with the same subtree fold into one line with
// their count; the ones whose subtree failed stay whole.
func TestWorkerPoolFolds(t *testing.T) {
	rec := spantest.Record(t)
	pool(61)
	tr := rec.Trace(t, "t.pool")
	var folded, count, okWhole, failed int64
	for _, s := range tr.Find("t.pool.Go#1") {
		switch {
		case s.Fold != nil:
			folded++
			count += s.Fold.Count
		case len(s.HandledErrors) > 0:
			failed++
		default:
			okWhole++
		}
	}
	// 3 of the 61 records fail: their goroutines have another shape (and a
	// failure) and are kept whole; the other 58 fold into one line. A
	// publication while the pool runs (SPANTREE_PUBLISH is 100ms here, and
	// -race is slow) may leave a few of them out of the fold.
	if folded < 1 || count+okWhole != 58 || okWhole > 5 || failed != 3 {
		t.Errorf("pool goroutines: %d folded lines of %d calls, %d whole that succeeded, %d that failed; want 1 line of 58 and 3 failed\n%s",
			folded, count, okWhole, failed, tr.Outline())
	}
	lines := strings.Count(tr.Outline(), "\n")
	if lines > 20 {
		t.Errorf("outline has %d lines; want a handful\n%s", lines, tr.Outline())
	}
	want := []string{"t.parseRecord"}
	for _, s := range tr.Find("t.pool.Go#1") {
		if s.Fold != nil || s.Status != spantree.StatusSucceeded {
			continue
		}
		if got := tr.Children(s.SpanID); !cmp.Equal(got[:1], want) {
			t.Errorf("children of a kept goroutine = %v; want it to start with %v", got, want)
		}
	}
}
