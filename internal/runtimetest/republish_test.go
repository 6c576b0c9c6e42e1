package runtimetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
)

// batches is a sink that keeps each publication's span names and statuses.
type batches struct {
	mu  sync.Mutex
	got [][]string
}

func (b *batches) Export(_ context.Context, t *spantree.Trace) error {
	var names []string
	for _, s := range t.Spans {
		names = append(names, s.Name+" "+string(s.Status))
	}
	slices.Sort(names)
	b.mu.Lock()
	b.got = append(b.got, names)
	b.mu.Unlock()
	return nil
}

func (b *batches) Flush(context.Context) error { return nil }

var rfns = [...]spantree.Func{
	{Name: "r.job", Loc: "republish_test.go:1"},
	{Name: "r.fetch", Loc: "republish_test.go:2", Kind: spantree.KindNoFold},
}

var errRefused = errors.New("refused")

func fetch() (err error) {
	__sp := spantree.Start(&rfns[1])
	defer __sp.DoneErr(&err)
	return errRefused
}

// job fails with its child's error after a publication went out without
// it: the long trace publishes the failed child first.
func job(published func() bool) (err error) {
	__sp := spantree.Start(&rfns[0])
	defer __sp.DoneErr(&err)
	err = fetch()
	for !published() {
		time.Sleep(5 * time.Millisecond)
	}
	return err
}

// TestFailedChildrenGoOutWithTheirParent: a long trace that published a
// failed child before its parent failed sends the child again with the
// parent, so that a receiver, which judges where an error started within a
// batch, groups the error at the child and not once more at the parent.
func TestFailedChildrenGoOutWithTheirParent(t *testing.T) {
	b := &batches{}
	restore := spantree.SetSinks(b)
	defer restore()
	published := func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, names := range b.got {
			if slices.Contains(names, "r.fetch failed") {
				return true
			}
		}
		return false
	}
	if err := job(published); !errors.Is(err, errRefused) {
		t.Fatalf("job = %v", err)
	}
	spantree.Flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	last := b.got[len(b.got)-1]
	if diff := cmp.Diff([]string{"r.fetch failed", "r.job failed"}, last); diff != "" {
		t.Errorf("the last publication (-want +got):\n%s", diff)
	}
}
