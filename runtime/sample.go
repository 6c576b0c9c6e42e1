package spantree

import (
	"math"
	"math/rand/v2"
)

// Sampling (SPANTREE_SAMPLE) is decided when a trace starts, so that a trace
// sampled out costs little: its calls are folded into per-function counts
// under the span of their goroutine (no allocation), except calls that fail,
// panic or take longer than SPANTREE_SLOW, which are recorded as spans. When
// the root ends, a sampled-out trace is published only if it failed or was
// slow: failed and slow traces are always kept, with their failures, their
// slow calls and the counts, though not every call of their tree.
func sampleIn() bool {
	rate := math.Float64frombits(state.sample.Load())
	return rate >= 1 || rand.Float64() < rate
}

// keep tells, when the root ends, whether the trace is published.
func (tr *trace) keep() bool {
	if tr.sampled || tr.failed.Load() {
		return true
	}
	return tr.root.end.Load()-tr.root.start >= int64(state.cfg.Slow)
}
