package benchmarks

import (
	"context"
	"io"
	"log/slog"
	"testing"
)

func BenchmarkSlog(b *testing.B) {
	// JSON is one log line of the kind people write instead of a span: a
	// message with the function and its location, encoded as JSON.
	b.Run("JSON", func(b *testing.B) {
		logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
		ctx := context.Background()
		m := startMeter(b)
		for b.Loop() {
			logger.InfoContext(ctx, "call", "func", "benchmarks.recorded", "loc", "benchmarks/slog_test.go:20")
		}
		m.stop(nil)
	})
}
