package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
	"github.com/spantree/spantree/store/storetest"
)

// TestConformance runs the conformance suite of the storage engines on a
// new database file for each case; the cases of several stores on one
// database open two Store values on one file, as two processes would.
func TestConformance(t *testing.T) {
	open := func(t *testing.T, path string) store.Store {
		st, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "c.db"))
	}, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "c.db")
		return open(t, path), open(t, path)
	})
}
