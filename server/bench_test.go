package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestHTTPSinkToServer sends a running trace and then its final copy through
// the runtime's http sink to the real server: the stored trace is the final one.
func TestHTTPSinkToServer(t *testing.T) {
	e := newEnv(t, server.Options{})
	s, err := spanhttp.NewHTTP(e.srv.URL, e.key)
	if err != nil {
		t.Fatal(err)
	}
	root := span(7, 1, 0, "main.main", 0, 2*time.Second, false)
	running := root
	running.End, running.Status = time.Time{}, spantree.StatusStarted
	child := span(7, 2, 1, "main.step", 0, time.Second, true)
	s.Export(context.Background(), &spantree.Trace{ID: root.TraceID, Spans: []spantree.SpanData{running, child}})
	s.Export(context.Background(), &spantree.Trace{ID: root.TraceID, Spans: []spantree.SpanData{root}, Complete: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	tr, err := e.client().Trace(ctx, root.TraceID.Hex())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sp := range tr.Spans {
		got = append(got, sp.Name+" "+string(sp.Status))
	}
	if want := []string{"main.main succeeded", "main.step failed"}; !slices.Equal(got, want) {
		t.Errorf("stored spans = %q; want %q", got, want)
	}
	if tr.Tags["service"] == "" {
		t.Errorf("stored tags = %v; want the process's service tag", tr.Tags)
	}
}

// batchMaker encodes traces of n spans, each with a fresh trace id, gzipped
// at BestSpeed as the runtime's http sink does.
type batchMaker struct {
	spans   []spantree.SpanData
	raw, gz bytes.Buffer
	zw      *gzip.Writer
}

func newBatchMaker(n int, now time.Time) *batchMaker {
	m := &batchMaker{spans: make([]spantree.SpanData, n)}
	for i := range m.spans {
		m.spans[i] = spantree.SpanData{SpanID: spantree.SpanID{byte(i >> 8), byte(i), 1}, Name: fmt.Sprintf("pkg.F%d", i%20),
			Location: "pkg/f.go:12", Start: now, End: now.Add(time.Duration(i+1) * time.Microsecond), Status: spantree.StatusSucceeded}
		if i > 0 {
			m.spans[i].ParentID = spantree.SpanID{0, 0, 1}
		}
	}
	m.zw, _ = gzip.NewWriterLevel(&m.gz, gzip.BestSpeed)
	return m
}

// next returns the next batch as the http sink sends it: wire JSON, gzipped.
func (m *batchMaker) next() []byte {
	m.renew()
	m.raw.Reset()
	client.EncodeBatch(&m.raw, &spantree.Batch{Tags: map[string]string{"service": "bench"}, Spans: m.spans})
	return m.gzip(m.raw.Bytes())
}

// nextOTLP returns the next batch as an OpenTelemetry SDK sends it: an OTLP
// protobuf export request, gzipped.
func (m *batchMaker) nextOTLP() []byte {
	m.renew()
	td := ptrace.NewTraces()
	m.fillOTLP(td)
	body, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		panic(err)
	}
	return m.gzip(body)
}

// fillOTLP adds the spans to td as an OpenTelemetry SDK sends them.
func (m *batchMaker) fillOTLP(td ptrace.Traces) {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "bench")
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	for i := range m.spans {
		s := &m.spans[i]
		o := ss.AppendEmpty()
		o.SetTraceID(pcommon.TraceID(s.TraceID.Payload()))
		o.SetSpanID(pcommon.SpanID(s.SpanID))
		if !s.ParentID.IsZero() {
			o.SetParentSpanID(pcommon.SpanID(s.ParentID))
		}
		o.SetName(s.Name)
		o.SetStartTimestamp(pcommon.NewTimestampFromTime(s.Start))
		o.SetEndTimestamp(pcommon.NewTimestampFromTime(s.End))
		o.Attributes().PutStr("code.filepath", "pkg/f.go")
		o.Attributes().PutInt("code.lineno", 12)
	}
}

// renew gives the spans a fresh trace id.
func (m *batchMaker) renew() {
	id := spantree.NewTraceID(m.spans[0].Start)
	for i := range m.spans {
		m.spans[i].TraceID = id
	}
}

func (m *batchMaker) gzip(b []byte) []byte {
	m.gz.Reset()
	m.zw.Reset(&m.gz)
	m.zw.Write(b)
	m.zw.Close()
	return bytes.Clone(m.gz.Bytes())
}

// BenchmarkIngestHTTP is sustained ingest over HTTP on loopback: 8 senders
// posting gzip batches of 200 spans to the real server, the database on
// disk, each request answered once its spans are committed. The bodies are
// encoded before the timer starts, so the CPU time it reports per million
// spans (cpu-s/Mspans, the whole process's) is the server's and the HTTP
// client's transport only. It reports the largest size of the WAL file seen
// (sampled every 10ms) and checks that every acknowledged span is stored.
func BenchmarkIngestHTTP(b *testing.B) {
	b.Run("spans", func(b *testing.B) {
		benchIngest(b, "/v1/spans", "application/json", (*batchMaker).next, http.StatusAccepted)
	})
	b.Run("otlp", func(b *testing.B) {
		benchIngest(b, "/v1/traces", "application/x-protobuf", (*batchMaker).nextOTLP, http.StatusOK)
	})
}

func benchIngest(b *testing.B, path, contentType string, encode func(*batchMaker) []byte, want int) {
	const perBatch = 200
	e := newEnv(&testing.T{}, server.Options{P99Refresh: -1})
	defer e.srv.Close()
	defer e.st.Close()
	url := e.srv.URL + path
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	hc := &http.Client{Transport: tr}
	now := time.Now()
	m := newBatchMaker(perBatch, now)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = encode(m)
	}
	var next, acked, walPeak atomic.Int64
	stop := make(chan struct{})
	defer close(stop)
	go func() { // samples the WAL's size
		for {
			if fi, err := os.Stat(e.db + "-wal"); err == nil && fi.Size() > walPeak.Load() {
				walPeak.Store(fi.Size())
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	b.SetParallelism(4) // 4 x GOMAXPROCS senders
	b.ReportAllocs()
	cpu0, cpuOK := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[next.Add(1)-1]))
			req.Header.Set("X-API-Key", e.key)
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			acked.Add(perBatch)
		}
	})
	b.StopTimer()
	cpu1, _ := cpuTime()
	b.ReportMetric(float64(acked.Load())/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(walPeak.Load())/(1<<20), "wal-peak-MiB")
	if cpuOK && acked.Load() > 0 {
		b.ReportMetric((cpu1-cpu0).Seconds()/float64(acked.Load())*1e6, "cpu-s/Mspans")
	}
	var stored int64
	e.st.ScanSpans(context.Background(), "acme", time.Time{}, now.Add(time.Hour), func(*store.SpanStat) error {
		stored++
		return nil
	})
	if stored != acked.Load() {
		b.Errorf("stored %d spans; acknowledged %d", stored, acked.Load())
	}
}

// lookupSpans is how many spans BenchmarkTraceLookup stores first.
var lookupSpans = flag.Int("lookup-spans", 1_000_000, "spans stored before BenchmarkTraceLookup looks traces up (traces of 10)")

// BenchmarkTraceLookup is GET /v1/traces/{id} over HTTP with 1,000,000 spans
// stored (100,000 traces of 10; -lookup-spans sets another number),
// reporting p50 and p99 latencies.
func BenchmarkTraceLookup(b *testing.B) {
	const perTrace = 10
	traces := max(1, *lookupSpans/perTrace)
	e := newEnv(&testing.T{}, server.Options{P99Refresh: -1})
	defer e.srv.Close()
	defer e.st.Close()
	ctx := context.Background()
	now := time.Now()
	ids := make([]spantree.TraceID, traces)
	batch := spantree.Batch{Tags: map[string]string{"service": "bench"}}
	loadStart := time.Now()
	for i := range ids {
		ids[i] = spantree.NewTraceID(now)
		for j := range perTrace {
			s := spantree.SpanData{TraceID: ids[i], SpanID: spantree.SpanID{byte(j + 1)}, Name: fmt.Sprintf("pkg.F%d", j),
				Location: "pkg/f.go:12", Start: now, End: now.Add(time.Millisecond), Status: spantree.StatusSucceeded}
			if j > 0 {
				s.ParentID = spantree.SpanID{1}
			}
			batch.Spans = append(batch.Spans, s)
		}
		if len(batch.Spans) >= 10_000 || i == len(ids)-1 {
			if _, err := e.st.Ingest(ctx, "acme", []spantree.Batch{batch}); err != nil {
				b.Fatal(err)
			}
			batch.Spans = batch.Spans[:0]
		}
	}
	loaded := time.Since(loadStart)
	c := e.client()
	lat := make([]time.Duration, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := ids[rand.IntN(len(ids))]
		start := time.Now()
		tr, err := c.Trace(ctx, id.String())
		lat = append(lat, time.Since(start))
		if err != nil || len(tr.Spans) != perTrace {
			b.Fatalf("trace %s: %v", id, err)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(traces*perTrace)/loaded.Seconds(), "load-spans/s")
}
