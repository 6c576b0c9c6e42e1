package store

import (
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// RollupCounts is what an engine adds up for one rollup row (a minute, name,
// location and app) as finished spans arrive, before it writes the row:
// times are Unix nanoseconds and durations nanoseconds.
type RollupCounts struct {
	Count, Failed, Roots, RootsFailed int64
	LastSeen, Max                     int64
	LastTrace, MaxTrace               spantree.TraceID
	Hist                              Histogram
}

// NewRollupCounts returns empty counts, ready for Add.
func NewRollupCounts() RollupCounts {
	return RollupCounts{LastSeen: -1 << 63, Max: -1 << 63}
}

// Calls returns how many calls a span stands for: a folded span its fold's
// count, any other one.
func Calls(f *spantree.Fold) int64 {
	if f != nil && f.Count > 1 {
		return f.Count
	}
	return 1
}

// Add counts one finished span of trace that started at start and lasted
// dur, with fold set on a folded span.
func (c *RollupCounts) Add(trace spantree.TraceID, start, dur int64, root, failed bool, fold *spantree.Fold) {
	n := Calls(fold)
	c.Count += n
	if failed {
		c.Failed += n
	}
	if root {
		c.Roots++
		if failed {
			c.RootsFailed++
		}
	}
	if end := start + dur; end > c.LastSeen {
		c.LastSeen, c.LastTrace = end, trace
	}
	// A folded span lasts from its first call to its last: its calls are
	// its fold's, the quickest, the slowest and the others at the mean.
	longest := dur
	if n > 1 {
		longest = fold.MaxNS
		c.Hist.Add(time.Duration(fold.MinNS))
		c.Hist.Add(time.Duration(fold.MaxNS))
		mean := time.Duration(fold.TotalNS / fold.Count)
		c.Hist.AddN(min(max(mean, time.Duration(fold.MinNS)), time.Duration(fold.MaxNS)), uint64(n-2))
	} else {
		c.Hist.Add(time.Duration(dur))
	}
	if longest > c.Max {
		c.Max, c.MaxTrace = longest, trace
	}
}

// Merge adds the counts of o, the counts of other spans of the same name,
// location and app (of another minute of the same hour, say).
func (c *RollupCounts) Merge(o *RollupCounts) {
	c.Count += o.Count
	c.Failed += o.Failed
	c.Roots += o.Roots
	c.RootsFailed += o.RootsFailed
	if o.LastSeen > c.LastSeen {
		c.LastSeen, c.LastTrace = o.LastSeen, o.LastTrace
	}
	if o.Max > c.Max {
		c.Max, c.MaxTrace = o.Max, o.MaxTrace
	}
	c.Hist.Merge(&o.Hist)
}
