package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// runKeys are the run keys of testRunNumbers: two tag sets of one service
// (a key is the whole tag set) and another service.
var runKeys = []map[string]string{
	{"service": "shop"},
	{"service": "shop", "env": "ci"},
	{"service": "cart"},
}

// runTrace is a trace id of testRunNumbers, by worker and index.
func runTrace(w, i int) spantree.TraceID {
	var p [16]byte
	p[0], p[1], p[2] = 0x5e, byte(w), byte(i)
	return spantree.TraceIDFromW3C(p, t0)
}

// runKeyOf names the run key of tags in the test (fmt prints a map's keys
// sorted).
func runKeyOf(tags map[string]string) string { return fmt.Sprint(tags) }

// testRunNumbers: traces ingested at once from several goroutines, through
// two stores on one database, are numbered per (namespace, tags) 1, 2, 3...
// with no number twice and none left out; a trace keeps its number when its
// spans are sent again (a long-running root published while it runs, then
// when it ends; late spans), whichever store gets them; a trace whose root
// never arrives has none; numbers go on from the last one given.
func testRunNumbers(t *testing.T, pair PairOpener) {
	a, b := pair(t)
	stores := []store.Store{a, b}
	const workers, perWorker = 6, 12
	ctx := context.Background()
	send := func(st store.Store, tags map[string]string, spans ...spantree.SpanData) error {
		_, err := st.Ingest(ctx, "acme", []spantree.Batch{{Tags: tags, Spans: spans}})
		return err
	}
	want := map[string]int{} // traces per run key
	keyOf := map[spantree.TraceID]string{}
	for w := range workers {
		for i := range perWorker {
			k := runKeys[(w+i)%len(runKeys)]
			want[runKeyOf(k)]++
			keyOf[runTrace(w, i)] = runKeyOf(k)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				st, tags, tr := stores[(w+i)%2], runKeys[(w+i)%len(runKeys)], runTrace(w, i)
				root := sp(tr, 1, 0, "main", i, 50, spantree.StatusSucceeded)
				child := sp(tr, 2, 1, "work", i+1, 10, spantree.StatusSucceeded)
				var err error
				switch i % 3 {
				case 0: // the whole trace at once
					err = send(st, tags, root, child)
				case 1: // a long-running root: published running, then ended
					running := root
					running.End, running.Status = time.Time{}, spantree.StatusStarted
					if err = send(st, tags, running); err == nil {
						err = send(stores[(w+i+1)%2], tags, root, child)
					}
				case 2: // a span of another process first, the root after
					remote := sp(tr, 3, 2, "worker.handle", i+2, 5, spantree.StatusSucceeded)
					if err = send(st, map[string]string{"service": "worker"}, remote); err == nil {
						err = send(st, tags, root, child)
					}
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d trace %d: %w", w, i, err)
					return
				}
			}
			// A trace whose root never arrives gets no number.
			tr := runTrace(w, 200)
			if err := send(stores[w%2], runKeys[0], sp(tr, 2, 1, "orphan", 0, 1, spantree.StatusSucceeded)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	first := runNumbers(t, a, keyOf, want)
	for k, n := range want {
		got := map[int64]bool{}
		for tr, r := range first {
			if keyOf[tr] == k {
				got[r] = true
			}
		}
		for r := int64(1); r <= int64(n); r++ {
			if !got[r] {
				t.Errorf("key %s: no trace has run %d (of %d traces)", k, r, n)
			}
		}
	}
	// The trace itself says the same as the list.
	for w := range 2 {
		for i := range 4 {
			tr := runTrace(w, i)
			got, err := b.Trace(ctx, "acme", tr)
			if err != nil {
				t.Fatal(err)
			}
			if got.Run != first[tr] {
				t.Errorf("Trace(%s).Run = %d; want %d, as listed", tr, got.Run, first[tr])
			}
		}
	}
	orphan, err := a.Trace(ctx, "acme", runTrace(0, 200))
	if err != nil {
		t.Fatal(err)
	}
	if orphan.Run != 0 {
		t.Errorf("Trace(rootless).Run = %d; want 0", orphan.Run)
	}

	// The search: run 3 is one trace per key; with service:shop, two.
	var want3 []spantree.TraceID
	for tr, r := range first {
		if r == 3 {
			want3 = append(want3, tr)
		}
	}
	check3 := func(q store.TraceQuery, keep func(spantree.TraceID) bool) {
		t.Helper()
		var wantIDs, gotIDs []string
		for _, tr := range want3 {
			if keep(tr) {
				wantIDs = append(wantIDs, tr.String())
			}
		}
		for _, ts := range traces(t, a, "acme", q) {
			gotIDs = append(gotIDs, ts.TraceID.String())
			if ts.Run != 3 {
				t.Errorf("Traces(%+v): %s has run %d", q, ts.TraceID, ts.Run)
			}
		}
		slices.Sort(wantIDs)
		slices.Sort(gotIDs)
		if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
			t.Errorf("Traces(%+v) (-want +got):\n%s", q, diff)
		}
	}
	check3(store.TraceQuery{Run: 3}, func(spantree.TraceID) bool { return true })
	check3(store.TraceQuery{Run: 3, Tags: map[string]string{"service": "shop"}}, func(tr spantree.TraceID) bool {
		return keyOf[tr] != runKeyOf(runKeys[2])
	})

	// Every trace sent again, root and a late span, through the other
	// store and at once: no number changes.
	wg = sync.WaitGroup{}
	errs = make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				tr := runTrace(w, i)
				tags := runKeys[(w+i)%len(runKeys)]
				late := sp(tr, 9, 1, "late", i+3, 1, spantree.StatusSucceeded)
				if err := send(stores[(w+i+1)%2], tags, sp(tr, 1, 0, "main", i, 50, spantree.StatusSucceeded), late); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// And one new trace per key takes the next number.
	for j, k := range runKeys {
		tr := runTrace(99, j)
		if err := send(stores[j%2], k, sp(tr, 1, 0, "main", 0, 5, spantree.StatusSucceeded)); err != nil {
			t.Fatal(err)
		}
		keyOf[tr] = runKeyOf(k)
		want[runKeyOf(k)]++
		first[tr] = int64(want[runKeyOf(k)])
	}
	again := runNumbers(t, b, keyOf, want)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("run numbers after the traces were sent again (-before +after):\n%s", diff)
	}
}

// runNumbers waits until the traces of keyOf all have a run number (an
// engine may number a trace some seconds after it arrives) and returns
// them, checking that a trace's tags are its run key's and that no trace
// outside keyOf has one.
func runNumbers(t *testing.T, st store.Store, keyOf map[spantree.TraceID]string, want map[string]int) map[spantree.TraceID]int64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		list := traces(t, st, "acme", store.TraceQuery{Limit: store.MaxLimit})
		got := map[spantree.TraceID]int64{}
		missing := 0
		for _, ts := range list {
			k, ok := keyOf[ts.TraceID]
			switch {
			case !ok && ts.Run != 0:
				t.Fatalf("trace %s without a root has run %d", ts.TraceID, ts.Run)
			case !ok:
			case ts.Run == 0:
				missing++
			default:
				if runKeyOf(ts.Tags) != k {
					t.Fatalf("trace %s: tags %v; want those of run key %s", ts.TraceID, ts.Tags, k)
				}
				got[ts.TraceID] = ts.Run
			}
		}
		if missing == 0 && len(got) == len(keyOf) {
			// Unique within each key, and within 1..n.
			seen := map[string]spantree.TraceID{}
			for tr, r := range got {
				k := fmt.Sprintf("%s#%d", keyOf[tr], r)
				if other, dup := seen[k]; dup {
					t.Fatalf("traces %s and %s both have run %s", tr, other, k)
				}
				seen[k] = tr
				if r < 1 || r > int64(want[keyOf[tr]]) {
					t.Fatalf("trace %s: run %d out of 1..%d", tr, r, want[keyOf[tr]])
				}
			}
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s, %d of %d traces listed, %d without a run number", len(got), len(keyOf), missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
