package benchmarks

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// discardExporter is an OpenTelemetry span exporter that keeps nothing and
// counts the spans it was given, so that spans/op shows what the batch
// processor dropped.
type discardExporter struct{}

var _ sdktrace.SpanExporter = discardExporter{}

var otelExported atomic.Int64

func (discardExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	otelExported.Add(int64(len(spans)))
	return nil
}
func (discardExporter) Shutdown(context.Context) error { return nil }

var errOTel = errors.New("benchmark error")

// BenchmarkOTelSDK is the SDK as a service configures it by default: every
// span sampled, a batch span processor in front of the exporter. That
// processor drops spans when its queue is full, which makes it look cheaper
// than it is under load: spans/op says how many reached the exporter.
func BenchmarkOTelSDK(b *testing.B) {
	benchOTelSDK(b)
}

// BenchmarkOTelSDKBlocking is the SDK with a batch span processor that
// blocks instead of dropping (WithBlocking): every span is exported, as
// every spantree span is. This is the anchor the runtime is held to.
func BenchmarkOTelSDKBlocking(b *testing.B) {
	benchOTelSDK(b, sdktrace.WithBlocking())
}

func benchOTelSDK(b *testing.B, opts ...sdktrace.BatchSpanProcessorOption) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}, opts...))
	defer func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			b.Errorf("shut down tracer provider: %v", err)
		}
	}()
	tracer := tp.Tracer("github.com/spantree/spantree/benchmarks")
	var before int64
	flush := func() {
		if err := tp.ForceFlush(context.Background()); err != nil {
			b.Errorf("flush tracer provider: %v", err)
		}
	}
	// start is startMeter that also reports spans/op when stopped.
	start := func(b *testing.B) (stop func()) {
		m := startMeter(b)
		before = otelExported.Load()
		return func() {
			m.stop(flush)
			b.ReportMetric(float64(otelExported.Load()-before)/float64(b.N), "spans/op")
		}
	}

	// Start is a root span: tracer.Start with no span in ctx, then End.
	b.Run("Start", func(b *testing.B) {
		ctx := context.Background()
		stop := start(b)
		for b.Loop() {
			_, span := tracer.Start(ctx, "benchmarks.recorded")
			span.End()
		}
		stop()
	})
	// StartChild is a span under a running parent.
	b.Run("StartChild", func(b *testing.B) {
		ctx, parent := tracer.Start(context.Background(), "benchmarks.root")
		defer parent.End()
		stop := start(b)
		for b.Loop() {
			_, span := tracer.Start(ctx, "benchmarks.recorded")
			span.End()
		}
		stop()
	})
	// Error records an error on the span and marks it failed, as
	// instrumentation does for a returned error.
	b.Run("Error", func(b *testing.B) {
		ctx := context.Background()
		stop := start(b)
		for b.Loop() {
			_, span := tracer.Start(ctx, "benchmarks.failing")
			span.RecordError(errOTel)
			span.SetStatus(codes.Error, errOTel.Error())
			span.End()
		}
		stop()
	})
	b.Run("Parallel", func(b *testing.B) {
		stop := start(b)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				_, span := tracer.Start(ctx, "benchmarks.recorded")
				span.End()
			}
		})
		stop()
	})
}

func BenchmarkOTelNoop(b *testing.B) {
	tracer := noop.NewTracerProvider().Tracer("github.com/spantree/spantree/benchmarks")
	b.Run("Start", func(b *testing.B) {
		ctx := context.Background()
		m := startMeter(b)
		for b.Loop() {
			_, span := tracer.Start(ctx, "benchmarks.recorded")
			span.End()
		}
		m.stop(nil)
	})
}
