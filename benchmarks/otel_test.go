package benchmarks

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// discardExporter is an OpenTelemetry span exporter that keeps nothing.
type discardExporter struct{}

var _ sdktrace.SpanExporter = discardExporter{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

var errOTel = errors.New("benchmark error")

func BenchmarkOTelSDK(b *testing.B) {
	// The SDK as a service configures it: every span sampled, a batch span
	// processor in front of the exporter.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}))
	defer func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			b.Errorf("shut down tracer provider: %v", err)
		}
	}()
	tracer := tp.Tracer("github.com/spantree/spantree/benchmarks")
	flush := func() {
		if err := tp.ForceFlush(context.Background()); err != nil {
			b.Errorf("flush tracer provider: %v", err)
		}
	}

	// Start is a root span: tracer.Start with no span in ctx, then End.
	b.Run("Start", func(b *testing.B) {
		ctx := context.Background()
		m := startMeter(b)
		for b.Loop() {
			_, span := tracer.Start(ctx, "benchmarks.recorded")
			span.End()
		}
		m.stop(flush)
	})
	// StartChild is a span under a running parent.
	b.Run("StartChild", func(b *testing.B) {
		ctx, parent := tracer.Start(context.Background(), "benchmarks.root")
		defer parent.End()
		m := startMeter(b)
		for b.Loop() {
			_, span := tracer.Start(ctx, "benchmarks.recorded")
			span.End()
		}
		m.stop(flush)
	})
	// Error records an error on the span and marks it failed, as
	// instrumentation does for a returned error.
	b.Run("Error", func(b *testing.B) {
		ctx := context.Background()
		m := startMeter(b)
		for b.Loop() {
			_, span := tracer.Start(ctx, "benchmarks.failing")
			span.RecordError(errOTel)
			span.SetStatus(codes.Error, errOTel.Error())
			span.End()
		}
		m.stop(flush)
	})
	b.Run("Parallel", func(b *testing.B) {
		m := startMeter(b)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				_, span := tracer.Start(ctx, "benchmarks.recorded")
				span.End()
			}
		})
		m.stop(flush)
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
