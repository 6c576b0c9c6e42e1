package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store/clickhouse/chtest"
)

// benchSpans is how many spans BenchmarkScaleOut stores before it measures
// lookups: $SPANTREE_BENCH_SPANS, 10M in make bench-clickhouse.
func benchSpans(b *testing.B) int {
	if v := os.Getenv("SPANTREE_BENCH_SPANS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("SPANTREE_BENCH_SPANS=%q: want a number of spans, 1000 or more", v)
		}
		return n
	}
	return 200_000
}

// Shape of the load: requests of benchTraces traces of benchPer spans,
// sent by benchWorkers clients spread over the receivers.
const (
	benchTraces  = 100
	benchPer     = 10
	benchWorkers = 8
)

// benchBatch returns request number r of requests: traces r*benchTraces
// and on, 20 span names, one failure in a hundred. The traces of all the
// requests start in order over the last day, as live traffic would: each
// request covers a few seconds or minutes of it.
func benchBatch(r, requests int, now time.Time) spantree.Batch {
	b := spantree.Batch{Tags: map[string]string{"service": fmt.Sprintf("svc%d", r%4), "version": "1.0"}, Spans: make([]spantree.SpanData, 0, benchTraces*benchPer)}
	for t := range benchTraces {
		n := r*benchTraces + t
		start := now.Add(-24 * time.Hour).Add(time.Duration(n) * (24 * time.Hour / time.Duration(requests*benchTraces)))
		tr := benchTraceID(n, start)
		for j := range benchPer {
			s := spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{byte(j + 1), 7}, Name: fmt.Sprintf("pkg.F%d", (n+j)%20), Location: fmt.Sprintf("pkg/f.go:%d", j),
				Start: start.Add(time.Duration(j) * time.Millisecond), Status: spantree.StatusSucceeded}
			s.End = s.Start.Add(time.Duration(1+(n*7+j)%500) * time.Millisecond)
			if j > 0 {
				s.ParentID = spantree.SpanID{1, 7}
			}
			if n%100 == 0 && j == benchPer-1 {
				s.Status, s.Error = spantree.StatusFailed, &spantree.ErrorInfo{Type: "*errors.errorString", Message: "boom"}
			}
			b.Spans = append(b.Spans, s)
		}
	}
	return b
}

func benchTraceID(n int, start time.Time) spantree.TraceID {
	var p [16]byte
	p[0], p[1], p[2], p[3], p[4] = 0xbe, byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return spantree.TraceIDFromW3C(p, start)
}

// get times one GET of the receiver at addr.
func get(b *testing.B, addr, key, path string) time.Duration {
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.Header.Set("X-API-Key", key)
	start := time.Now()
	resp, err := httpc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	return d
}

func quantile(ds []time.Duration, q float64) float64 {
	slices.Sort(ds)
	return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))]) / 1e6
}

// BenchmarkScaleOut stores SPANTREE_BENCH_SPANS spans through the
// receivers of each setup, reporting the ingest rate, then looks traces up
// (b.N lookups, p50 and p99) and times the dashboard, slow-span and health
// queries (p99 of 20 each): one receiver on SQLite, and two receivers on a
// two-shard ClickHouse cluster, in the same run.
func BenchmarkScaleOut(b *testing.B) {
	total := benchSpans(b)
	requests := max(1, total/(benchTraces*benchPer))
	setups := []struct {
		name  string
		start func(b *testing.B) ([]*receiver, string)
	}{
		{"sqlite-1", func(b *testing.B) ([]*receiver, string) {
			db := filepath.Join(b.TempDir(), "bench.db")
			return []*receiver{startReceiver(b, db)}, db
		}},
		{"clickhouse-2x2", func(b *testing.B) ([]*receiver, string) {
			srvs := chtest.StartCluster(b, "two", 2)
			db0, db1 := srvs[0].URL("bench", "cluster=two"), srvs[1].URL("bench", "cluster=two")
			return []*receiver{startReceiver(b, db0), startReceiver(b, db1)}, db0
		}},
	}
	now := time.Now().UTC().Add(-time.Minute)
	for _, s := range setups {
		b.Run(s.name, func(b *testing.B) {
			rs, db := s.start(b)
			var out, errOut strings.Builder
			if code := run([]string{"key", "create", "-db", db, "bench"}, &out, &errOut); code != 0 {
				b.Fatalf("key create = %d: %s", code, errOut.String())
			}
			key := strings.TrimSpace(out.String())
			var next atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			for w := range benchWorkers {
				r := rs[w%len(rs)]
				wg.Go(func() {
					for {
						i := int(next.Add(1) - 1)
						if i >= requests {
							return
						}
						for {
							status, _, err := post(r.addr, key, benchBatch(i, requests, now))
							if err != nil {
								b.Error(err)
								return
							}
							if status == http.StatusAccepted {
								break
							}
							if status != http.StatusServiceUnavailable {
								b.Errorf("POST = %d", status)
								return
							}
							time.Sleep(100 * time.Millisecond)
						}
					}
				})
			}
			wg.Wait()
			ingest := time.Since(start)
			traces := requests * benchTraces
			var lookups []time.Duration
			b.ResetTimer()
			i := 0
			for b.Loop() {
				n := rand.IntN(traces)
				lookups = append(lookups, get(b, rs[i%len(rs)].addr, key, "/v1/traces/"+benchTraceID(n, now).Hex()))
				i++
			}
			b.StopTimer()
			b.ReportMetric(float64(requests*benchTraces*benchPer)/ingest.Seconds(), "ingest-spans/s")
			b.ReportMetric(quantile(lookups, 0.5), "lookup-p50-ms")
			b.ReportMetric(quantile(lookups, 0.99), "lookup-p99-ms")
			for _, q := range []struct{ unit, path string }{
				{"dashboard-p99-ms", "/v1/dashboard?since=24h"},
				{"slow-p99-ms", "/v1/slow?since=24h"},
				{"health-p99-ms", "/v1/health?since=1h"},
				{"list-p99-ms", "/v1/traces?limit=100"},
			} {
				var ds []time.Duration
				for j := range 20 {
					ds = append(ds, get(b, rs[j%len(rs)].addr, key, q.path))
				}
				b.ReportMetric(quantile(ds, 0.99), q.unit)
			}
		})
	}
}
