//go:build !unix

package sqlite_test

import "time"

// cpuTime is not available here: the benchmarks report no cpu-s/Mspans.
func cpuTime() (time.Duration, bool) { return 0, false }
