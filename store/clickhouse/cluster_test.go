package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/clickhouse/chtest"
)

var c0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// trace returns n spans of trace number i: a root and its children.
func trace(i, n int) []spantree.SpanData {
	var p [16]byte
	p[0], p[1], p[2] = 0x5a, byte(i), byte(i>>8)
	tr := spantree.TraceIDFromW3C(p, c0)
	start := c0.Add(time.Duration(i) * time.Second)
	out := []spantree.SpanData{{TraceID: tr, SpanID: spantree.SpanID{1}, Name: "main.main", Location: "main.go:1",
		Start: start, End: start.Add(time.Second), Status: spantree.StatusSucceeded}}
	for j := 1; j < n; j++ {
		out = append(out, spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{byte(j + 1)}, ParentID: spantree.SpanID{1}, Name: "main.step",
			Location: "main.go:9", Start: start, End: start.Add(time.Millisecond), Status: spantree.StatusSucceeded})
	}
	return out
}

// localSpans counts, on one server, the rows of its own shard's spans
// table per trace number.
func localSpans(t *testing.T, srv *chtest.Server, db string) map[int]uint64 {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr}, Auth: clickhouse.Auth{Database: db}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(context.Background(), `SELECT trace, count() FROM spans_local GROUP BY trace`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]uint64{}
	for rows.Next() {
		var trace string
		var n uint64
		if err := rows.Scan(&trace, &n); err != nil {
			t.Fatal(err)
		}
		out[int(trace[1])|int(trace[2])<<8] = n
	}
	return out
}

// TestClusterTwoShards: stores on either server of a two-shard cluster see
// the same data; each trace's spans are on exactly one shard, and the
// traces are spread over both; with a shard down, a write that needs it
// fails with store.ErrUnavailable and nothing is acknowledged; once the
// shard is back, writes succeed again.
func TestClusterTwoShards(t *testing.T) {
	srvs := chtest.StartCluster(t, "two", 2)
	ctx := context.Background()
	a := openFresh(t, srvs[0], "cluster=two")
	db := fmt.Sprintf("t%d", dbs.Load())
	b, err := openURL(srvs[1].URL(db, "cluster=two"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const traces = 40
	for i := range traces {
		if _, err := a.Ingest(ctx, "acme", []spantree.Batch{{Tags: map[string]string{"service": "api"}, Spans: trace(i, 5)}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range traces {
		tr, err := b.Trace(ctx, "acme", trace(i, 1)[0].TraceID)
		if err != nil {
			t.Fatalf("trace %d through the other server: %v", i, err)
		}
		if len(tr.Spans) != 5 {
			t.Errorf("trace %d: %d spans; want 5", i, len(tr.Spans))
		}
	}
	on0, on1 := localSpans(t, srvs[0], db), localSpans(t, srvs[1], db)
	for i := range traces {
		if got := []uint64{on0[i], on1[i]}; cmp.Diff([]uint64{5, 0}, got) != "" && cmp.Diff([]uint64{0, 5}, got) != "" {
			t.Errorf("trace %d: spans per shard %v; want all 5 on one", i, got)
		}
	}
	if len(on0) == 0 || len(on1) == 0 {
		t.Errorf("traces per shard: %d and %d; want both shards used", len(on0), len(on1))
	}

	srvs[1].Stop()
	failed := 0
	for i := traces; i < traces+20; i++ {
		_, err := a.Ingest(ctx, "acme", []spantree.Batch{{Tags: map[string]string{"service": "api"}, Spans: trace(i, 2)}})
		switch {
		case err == nil:
		case errors.Is(err, store.ErrUnavailable):
			failed++
		default:
			t.Fatalf("Ingest with a shard down: %v; want store.ErrUnavailable", err)
		}
	}
	if failed == 0 {
		t.Error("no Ingest failed with a shard down")
	}
	if err := a.Ready(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ready with a shard down = %v; want store.ErrUnavailable", err)
	}
	if err := srvs[1].Restart(); err != nil {
		t.Fatal(err)
	}
	if err := srvs[1].Wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	for i := traces; i < traces+20; i++ {
		if _, err := a.Ingest(ctx, "acme", []spantree.Batch{{Tags: map[string]string{"service": "api"}, Spans: trace(i, 2)}}); err != nil {
			t.Fatalf("Ingest once the shard is back: %v", err)
		}
	}
	if err := a.Ready(ctx); err != nil {
		t.Errorf("Ready once the shard is back = %v", err)
	}
	list, err := b.Traces(ctx, "acme", store.TraceQuery{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != traces+20 {
		t.Errorf("%d traces after the shard came back; want %d", len(list), traces+20)
	}
	// The requests that failed part way and were sent again count once.
	roots, calls := 0, 0
	if err := b.ScanRollups(ctx, "acme", c0.Add(-time.Hour), c0.Add(time.Hour), func(r *store.Rollup) error {
		roots += r.Roots
		calls += r.Count
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := [2]int{traces + 20, traces*5 + 20*2}; [2]int{roots, calls} != want {
		t.Errorf("rollups: %d roots, %d calls; want %v", roots, calls, want)
	}
}
