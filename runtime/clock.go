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

// calibrateTSC measures the TSC against nanotime, in the background, and
// switches now to it when the result is sane: first over 50 ms, then again
// over the first second and the first minute, each time from the same first
// reading, so that the rate's error (the time between the two clock reads
// of a sample, over the interval) shrinks as the interval grows. Each sample
// is the tightest of several pairs of readings: a preemption between two
// reads would otherwise make it microseconds wrong on a loaded machine.
func calibrateTSC() {
	if !tscTrusted() {
		return
	}
	go func() {
		t0, m0 := tscSample()
		for _, d := range []time.Duration{50 * time.Millisecond, time.Second, time.Minute} {
			time.Sleep(d - time.Duration(nanotime()-m0))
			t1, m1 := tscSample()
			if t1 <= t0 || m1 <= m0 {
				return
			}
			ticksPerNs := float64(t1-t0) / float64(m1-m0)
			if ticksPerNs < 0.2 || ticksPerNs > 20 { // 200 MHz to 20 GHz
				return
			}
			tsc.Store(&tscCal{tsc0: t1, mono0: m1, mul: uint64(float64(1<<32) / ticksPerNs)})
		}
	}()
}

// tscSample returns a TSC reading and the nanotime at the same moment: of
// several tries, the one whose two nanotime reads around it are closest.
func tscSample() (ticks, mono int64) {
	best := int64(-1)
	for range 8 {
		a := nanotime()
		t := rdtsc()
		b := nanotime()
		if gap := b - a; best < 0 || gap < best {
			best, ticks, mono = gap, t, a+gap/2
		}
	}
	return ticks, mono
}

// wallAnchor pairs a wall time with the monotonic reading taken with it.
type wallAnchor struct {
	wall time.Time
	mono int64
}

var anchor atomic.Pointer[wallAnchor]

// anchorAge is how long a wall anchor is used: a trace's wall time is the
// anchor's plus the monotonic time since, which saves a time.Now per trace
// and drifts from the system clock by at most its slew over this interval
// (NTP slews by at most 500 ppm: 50 µs).
const anchorAge = int64(100 * time.Millisecond)

// wallAtMono returns the wall time at the monotonic reading mono, which is
// recent.
func wallAtMono(mono int64) time.Time {
	a := anchor.Load()
	if a == nil || mono-a.mono > anchorAge || mono < a.mono {
		a = &wallAnchor{wall: time.Now(), mono: now()}
		anchor.Store(a)
	}
	return a.wall.Add(time.Duration(mono - a.mono))
}

// wallAt converts a monotonic reading to wall time, given one pair of
// readings taken together.
func wallAt(wall time.Time, mono, at int64) time.Time {
	return wall.Add(time.Duration(at - mono))
}
