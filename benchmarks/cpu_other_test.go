//go:build !unix

package benchmarks

import "time"

// cpuTime is not available here: benchmarks report no cpu-ns/op.
func cpuTime() (time.Duration, bool) { return 0, false }
