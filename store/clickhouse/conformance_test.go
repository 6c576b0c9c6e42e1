package clickhouse_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/clickhouse"
	"github.com/spantree/spantree/store/clickhouse/chtest"
	"github.com/spantree/spantree/store/storetest"
)

var dbs atomic.Int64

// openFresh opens a new database on srv for one test.
func openFresh(t *testing.T, srv *chtest.Server, opts string) *clickhouse.Store {
	t.Helper()
	st, err := clickhouse.Open(context.Background(), srv.URL(fmt.Sprintf("t%d", dbs.Add(1)), opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openPair opens two stores on one new database, the first through a, the
// second through b, as two receivers would.
func openPair(t *testing.T, a, b *chtest.Server, opts string) (store.Store, store.Store) {
	t.Helper()
	db := fmt.Sprintf("t%d", dbs.Add(1))
	var out [2]store.Store
	for i, srv := range []*chtest.Server{a, b} {
		st, err := clickhouse.Open(context.Background(), srv.URL(db, opts))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[i] = st
	}
	return out[0], out[1]
}

// TestConformance runs the conformance suite of the storage engines on one
// real server, a new database for each case (two stores on it for the
// cases of several receivers).
func TestConformance(t *testing.T) {
	srv := chtest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t, srv, "") },
		func(t *testing.T) (store.Store, store.Store) { return openPair(t, srv, srv, "") })
}

// TestConformanceCluster runs the suite on a cluster of two shards, each
// case through a store opened on the first server (and one on the second
// for the cases of several receivers).
func TestConformanceCluster(t *testing.T) {
	srvs := chtest.StartCluster(t, "two", 2)
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t, srvs[0], "cluster=two") },
		func(t *testing.T) (store.Store, store.Store) { return openPair(t, srvs[0], srvs[1], "cluster=two") })
}

func openURL(u string) (*clickhouse.Store, error) { return clickhouse.Open(context.Background(), u) }
