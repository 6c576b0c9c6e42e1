package spantree

import (
	"time"
	_ "unsafe" // for go:linkname
)

// nanotime is the runtime's monotonic clock, the one time.Since reads. Spans
// take two monotonic readings; wall time is read once per trace and span
// times are the trace's wall time plus monotonic offsets (DESIGN.md: time.Now
// costs about 42 ns here, a monotonic reading about half that).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// wallAt converts a monotonic reading to wall time, given one pair of
// readings taken together.
func wallAt(wall time.Time, mono, at int64) time.Time {
	return wall.Add(time.Duration(at - mono))
}
