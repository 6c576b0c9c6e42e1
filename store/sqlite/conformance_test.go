package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
	"github.com/spantree/spantree/store/storetest"
)

// TestConformance runs the conformance suite of the storage engines on a
// new database file for each case.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := sqlite.Open(filepath.Join(t.TempDir(), "c.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
