package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// The cost of exporting spans over OTLP/HTTP (issue 8): spantree's OTLP sink
// (hand-written JSON, standard library only) against the OpenTelemetry SDK's
// otlptracehttp exporter (protobuf), both posting to a local HTTP server that
// reads and discards the body. One op is one batch of otlpBatch spans sent in
// one request, the batch size of the SDK's BatchSpanProcessor and of the
// sink; the per-span figures are reported as ns/span, B/span, allocs/span.
//
// The spans carry the same content on both sides: a name, times, a parent,
// the three code.* attributes, and one span in ten failed with an exception
// event (type, message, stack), under a resource of three attributes.

const otlpBatch = 512

// discardServer is an OTLP/HTTP backend that accepts and discards; it
// counts the body bytes it read.
func discardServer(b *testing.B, read *atomic.Int64) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		read.Add(n)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

var (
	otlpStart = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	otlpStack = "goroutine 7 [running]:\nmain.fetch(...)\n\t/src/app/fetch.go:42 +0x1d\nmain.main()\n\t/src/app/main.go:12 +0x25\n"
)

func spantreeBatch(b *testing.B) *spantree.Trace {
	b.Helper()
	tid := spantree.NewTraceID(otlpStart)
	tr := &spantree.Trace{ID: tid, Complete: true}
	var root spantree.SpanID
	for i := 0; i < otlpBatch; i++ {
		id := spantree.SpanID{1, byte(i >> 8), byte(i), 4, 5, 6, 7, 8}
		d := spantree.SpanData{
			TraceID: tid, SpanID: id, ParentID: root,
			Name: fmt.Sprintf("app.(*Store).get%d", i%16), Location: fmt.Sprintf("app/store.go:%d", 10+i%16),
			Start: otlpStart.Add(time.Duration(i) * time.Microsecond), End: otlpStart.Add(time.Duration(i+1) * time.Microsecond),
			Status: spantree.StatusSucceeded,
		}
		if i == 0 {
			root = id
			d.ParentID = spantree.SpanID{}
		}
		if i%10 == 9 {
			d.Status = spantree.StatusFailed
			d.Level = spantree.LevelError
			d.Error = &spantree.ErrorInfo{Type: "*fs.PathError", Message: "open /data/x: no such file or directory", Stack: otlpStack}
		}
		tr.Spans = append(tr.Spans, d)
	}
	return tr
}

func otelBatch(b *testing.B) []sdktrace.ReadOnlySpan {
	b.Helper()
	res := resource.NewSchemaless(attribute.String("service.name", "app"), attribute.String("env", "bench"), attribute.String("team", "core"))
	tid := trace.TraceID(spantree.NewTraceID(otlpStart).Payload())
	var root trace.SpanID
	spans := make([]sdktrace.ReadOnlySpan, 0, otlpBatch)
	for i := 0; i < otlpBatch; i++ {
		id := trace.SpanID{1, byte(i >> 8), byte(i), 4, 5, 6, 7, 8}
		name := fmt.Sprintf("app.(*Store).get%d", i%16)
		st := tracetest.SpanStub{
			Name:        name,
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: id, TraceFlags: trace.FlagsSampled}),
			Parent:      trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: root, TraceFlags: trace.FlagsSampled}),
			SpanKind:    trace.SpanKindInternal,
			StartTime:   otlpStart.Add(time.Duration(i) * time.Microsecond),
			EndTime:     otlpStart.Add(time.Duration(i+1) * time.Microsecond),
			Attributes: []attribute.KeyValue{
				attribute.String("code.function", name),
				attribute.String("code.filepath", "app/store.go"),
				attribute.Int("code.lineno", 10+i%16),
			},
			Resource:             res,
			InstrumentationScope: instrumentation.Scope{Name: "github.com/spantree/spantree/benchmarks"},
		}
		if i == 0 {
			root = id
			st.Parent = trace.SpanContext{}
		}
		if i%10 == 9 {
			st.Status = sdktrace.Status{Code: codes.Error, Description: "open /data/x: no such file or directory"}
			st.Events = []sdktrace.Event{{Name: "exception", Time: st.EndTime, Attributes: []attribute.KeyValue{
				attribute.String("exception.type", "*fs.PathError"),
				attribute.String("exception.message", "open /data/x: no such file or directory"),
				attribute.String("exception.stacktrace", otlpStack),
			}}}
		}
		spans = append(spans, st.Snapshot())
	}
	return spans
}

// reportPerSpan reports the time per span and the request body bytes per
// span (JSON for spantree, protobuf for the SDK).
func reportPerSpan(b *testing.B, read *atomic.Int64) {
	b.Helper()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/otlpBatch, "ns/span")
	b.ReportMetric(float64(read.Load())/float64(b.N)/otlpBatch, "wire-B/span")
}

func BenchmarkOTLPExport(b *testing.B) {
	b.Run("Spantree", func(b *testing.B) {
		var read atomic.Int64
		srv := discardServer(b, &read)
		sink, err := spanhttp.NewOTLP(srv.URL, spanhttp.OTLPOptions{
			Resource: map[string]string{"service": "app", "env": "bench", "team": "core"},
			MaxBatch: otlpBatch,
		})
		if err != nil {
			b.Fatal(err)
		}
		tr := spantreeBatch(b)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			// Export queues the batch; Flush waits until it was sent, as the
			// SDK exporter's ExportSpans does, so both measure a batch
			// encoded and delivered (and a queue never overflows).
			if err := sink.Export(ctx, tr); err != nil {
				b.Fatal(err)
			}
			if err := sink.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
		reportPerSpan(b, &read)
		if _, dropped, _ := sink.Stats(); dropped != 0 {
			b.Fatalf("the sink dropped %d spans", dropped)
		}
	})
	b.Run("OTelSDK", func(b *testing.B) {
		var read atomic.Int64
		srv := discardServer(b, &read)
		exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"))
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			if err := exp.Shutdown(context.Background()); err != nil && !errors.Is(err, context.Canceled) {
				b.Errorf("shut down exporter: %v", err)
			}
		}()
		spans := otelBatch(b)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := exp.ExportSpans(ctx, spans); err != nil {
				b.Fatal(err)
			}
		}
		reportPerSpan(b, &read)
	})
}
