package spantree

import (
	"math/bits"
	"sync/atomic"
	"time"
	_ "unsafe" // for go:linkname
)

// Clocks. Spans take two monotonic readings; wall time is read once per
// trace, and span times are the trace's wall time plus monotonic offsets
// (measured on the project machine: time.Now costs about 42 ns, a monotonic reading about 33).
//
// On linux/amd64, when the kernel keeps time with an invariant TSC, the
// runtime reads the TSC instead (about 12 ns) and scales it to the runtime's
// monotonic clock with a calibration taken once, 50 ms after start-up; until
// then, and everywhere else, it reads runtime.nanotime. Both give
// nanoseconds on the same scale, so a span may start on one and end on the
// other.

// nanotime is the runtime's monotonic clock, the one time.Since reads.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// tscCal converts TSC ticks to nanotime: mono = mono0 + (tsc-tsc0)*mul>>32.
type tscCal struct {
	tsc0, mono0 int64
	mul         uint64 // ns per tick, 32.32 fixed point
}

var tsc atomic.Pointer[tscCal]

// now returns the monotonic time in nanoseconds.
func now() int64 {
	if c := tsc.Load(); c != nil {
		d := uint64(rdtsc() - c.tsc0)
		hi, lo := bits.Mul64(d, c.mul)
		return c.mono0 + int64(hi<<32|lo>>32)
	}
	return nanotime()
}

// calibrateTSC measures the TSC against nanotime over 50 ms, in the
// background, and switches now to it when the result is sane.
func calibrateTSC() {
	if !tscTrusted() {
		return
	}
	go func() {
		t0, m0 := rdtsc(), nanotime()
		time.Sleep(50 * time.Millisecond)
		t1, m1 := rdtsc(), nanotime()
		if t1 <= t0 || m1 <= m0 {
			return
		}
		ticksPerNs := float64(t1-t0) / float64(m1-m0)
		if ticksPerNs < 0.2 || ticksPerNs > 20 { // 200 MHz to 20 GHz
			return
		}
		tsc.Store(&tscCal{tsc0: t1, mono0: m1, mul: uint64(float64(1<<32) / ticksPerNs)})
	}()
}

// wallAt converts a monotonic reading to wall time, given one pair of
// readings taken together.
func wallAt(wall time.Time, mono, at int64) time.Time {
	return wall.Add(time.Duration(at - mono))
}
