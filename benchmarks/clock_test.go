package benchmarks

import (
	"testing"
	"time"
)

// sinkTime and sinkDuration keep the compiler from dropping the clock reads.
var (
	sinkTime     time.Time
	sinkDuration time.Duration
)

// BenchmarkClock measures the floor under any span: a span reads the clock
// when it starts and when it ends.
func BenchmarkClock(b *testing.B) {
	b.Run("Now", func(b *testing.B) {
		m := startMeter(b)
		for b.Loop() {
			sinkTime = time.Now()
		}
		m.stop(nil)
	})
	b.Run("Since", func(b *testing.B) {
		start := time.Now()
		m := startMeter(b)
		for b.Loop() {
			sinkDuration = time.Since(start)
		}
		m.stop(nil)
	})
}
