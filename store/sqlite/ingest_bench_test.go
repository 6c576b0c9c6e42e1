package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store/sqlite"
)

// benchSpans makes a trace of n finished spans: a root and its children,
// 20 span names, as the server benchmarks send.
func benchSpans(n int, now time.Time) []spantree.SpanData {
	id := spantree.NewTraceID(now)
	spans := make([]spantree.SpanData, n)
	for i := range spans {
		spans[i] = spantree.SpanData{TraceID: id, SpanID: spantree.SpanID{byte(i >> 8), byte(i), 1}, Name: fmt.Sprintf("pkg.F%d", i%20),
			Location: "pkg/f.go:12", Start: now, End: now.Add(time.Duration(i+1) * time.Microsecond), Status: spantree.StatusSucceeded}
		if i > 0 {
			spans[i].ParentID = spantree.SpanID{0, 0, 1}
		}
	}
	return spans
}

// BenchmarkIngest is Store.Ingest alone, the database on disk (no HTTP, no
// JSON decoding): one trace of 200 spans per call, from one caller
// ("serial", each call a commit of its own) and from 8 at once
// ("parallel", which the writer gathers into group commits); "roots" is
// traces of one span, their roots, from 8 callers, where what each trace
// costs (its row in traces, its run number) counts most. cpu-s/Mspans is
// the process's CPU time per million spans.
func BenchmarkIngest(b *testing.B) {
	for _, tt := range []struct {
		name             string
		callers, perCall int
	}{{"serial", 1, 200}, {"parallel", 8, 200}, {"roots", 8, 1}} {
		b.Run(tt.name, func(b *testing.B) {
			perCall := tt.perCall
			st, err := sqlite.Open(filepath.Join(b.TempDir(), "b.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			now := time.Now()
			batches := make([][]spantree.SpanData, b.N)
			for i := range batches {
				batches[i] = benchSpans(perCall, now)
			}
			var next atomic.Int64
			b.SetParallelism(max(1, tt.callers/2))
			b.ReportAllocs()
			cpu0, cpuOK := cpuTime()
			b.ResetTimer()
			if tt.callers == 1 {
				for i := range b.N {
					if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Tags: map[string]string{"service": "b"}, Spans: batches[i]}}); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						spans := batches[next.Add(1)-1]
						if _, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{Tags: map[string]string{"service": "b"}, Spans: spans}}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.StopTimer()
			cpu1, _ := cpuTime()
			b.ReportMetric(float64(b.N*perCall)/b.Elapsed().Seconds(), "spans/s")
			if cpuOK {
				b.ReportMetric((cpu1-cpu0).Seconds()/float64(b.N*perCall)*1e6, "cpu-s/Mspans")
			}
		})
	}
}

// BenchmarkSmallBehindLarge is a 1-span Ingest, from another namespace,
// sent again and again while one call stores a batch of 240,000 spans: the
// large batch takes many transactions and the small calls take turns with
// them. It reports the small calls' p50, p99 and worst latencies, and the
// large batch's spans/s.
func BenchmarkSmallBehindLarge(b *testing.B) {
	const large = 240_000
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	var lat []time.Duration
	var bigTime time.Duration
	for b.Loop() {
		b.StopTimer()
		big := benchSpans(large, now)
		for i := range big {
			big[i].SpanID = spantree.SpanID{byte(i >> 16), byte(i >> 8), byte(i), 2}
		}
		b.StartTimer()
		done := make(chan time.Duration)
		go func() {
			start := time.Now()
			if _, err := st.Ingest(context.Background(), "big", []spantree.Batch{{Spans: big}}); err != nil {
				b.Error(err)
			}
			done <- time.Since(start)
		}()
	wait:
		for {
			select {
			case bigTime = <-done:
				break wait
			default:
			}
			start := time.Now()
			if _, err := st.Ingest(context.Background(), "small", []spantree.Batch{{Spans: benchSpans(1, now)}}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1e3, "small-p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1e3, "small-p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1e3, "small-max-ms")
	}
	b.ReportMetric(large/bigTime.Seconds(), "large-spans/s")
}
