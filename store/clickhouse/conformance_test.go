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

// TestConformance runs the conformance suite of the storage engines on one
// real server, a new database for each case.
func TestConformance(t *testing.T) {
	srv := chtest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t, srv, "") })
}

// TestConformanceCluster runs the suite on a cluster of two shards, each
// case through a store opened on the first server.
func TestConformanceCluster(t *testing.T) {
	srvs := chtest.StartCluster(t, "two", 2)
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t, srvs[0], "cluster=two") })
}

func openURL(u string) (*clickhouse.Store, error) { return clickhouse.Open(context.Background(), u) }
