package store

import (
	"context"
	"fmt"
	"time"
)

// SeriesQuery selects what a [Series] counts: the roots of an app (its
// requests, tests and runs), or the spans of one name.
type SeriesQuery struct {
	App string // "" for every app
	// Name is a span name; "" counts the roots (spans without a parent).
	Name         string
	Since, Until time.Time
	// Step is the length of a point, a whole number of minutes; 0 chooses
	// one (SeriesStep).
	Step time.Duration
}

// MaxSeriesPoints bounds the points of one series.
const MaxSeriesPoints = 1500

// SeriesPoint is one step of a series: the spans that started in it.
type SeriesPoint struct {
	Time   time.Time `json:"t"` // the start of the step
	Calls  int       `json:"calls"`
	Failed int       `json:"failed"`
	// The percentiles are estimated from the rollups' histograms, and 0
	// when the step has no finished call; Max is exact.
	P50 int64 `json:"p50_ns"`
	P95 int64 `json:"p95_ns"`
	P99 int64 `json:"p99_ns"`
	Max int64 `json:"max_ns"`
}

// Series is a time series of calls, failures and latency, a point per step
// from Since to Until, steps without calls included (as zeros).
type Series struct {
	App    string        `json:"app,omitempty"`
	Name   string        `json:"name,omitempty"`
	Since  time.Time     `json:"since"`
	Until  time.Time     `json:"until"`
	Step   time.Duration `json:"step_ns"`
	Points []SeriesPoint `json:"points"`
}

// seriesSteps are the steps SeriesStep chooses from.
var seriesSteps = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// SeriesStep returns the shortest of the usual steps (1, 2, 5, 10, 15, 30
// minutes, 1, 2, 3, 6, 12 hours, a day) that gives a window of length d at
// most about 240 points, so that a chart of it has a few pixels per point.
func SeriesStep(d time.Duration) time.Duration {
	for _, s := range seriesSteps {
		if d/s <= 240 {
			return s
		}
	}
	return seriesSteps[len(seriesSteps)-1]
}

// SeriesOf computes q's series from the per-minute rollups. A rollup counts
// in the step its minute starts in. For roots, the percentiles come from
// the rollups of names whose spans were all roots (a name that is
// sometimes a child would mix its other calls in); calls and failures count
// every root.
func SeriesOf(ctx context.Context, st Store, namespace string, q SeriesQuery) (*Series, error) {
	since := q.Since.UTC().Truncate(RollupMinute)
	until := q.Until.UTC()
	if !until.After(since) {
		return nil, fmt.Errorf("series: until %v is not after since %v", q.Until, q.Since)
	}
	step := q.Step
	if step == 0 {
		step = SeriesStep(until.Sub(since))
	}
	if step < RollupMinute || step%RollupMinute != 0 {
		return nil, fmt.Errorf("series: step %v is not a whole number of minutes", step)
	}
	n := int((until.Sub(since) + step - 1) / step)
	if n > MaxSeriesPoints {
		return nil, fmt.Errorf("series: %d points of %v from %v to %v; at most %d", n, step, since, until, MaxSeriesPoints)
	}
	s := &Series{App: q.App, Name: q.Name, Since: since, Until: until, Step: step, Points: make([]SeriesPoint, n)}
	hists := make([]Histogram, n)
	for i := range s.Points {
		s.Points[i].Time = since.Add(time.Duration(i) * step)
	}
	// Steps of whole hours from an hour's start can take hour rows: each
	// falls in one step.
	scan := st.ScanRollups
	if step%time.Hour == 0 && since.Truncate(time.Hour).Equal(since) {
		scan = func(ctx context.Context, ns string, since, until time.Time, fn func(*Rollup) error) error {
			return ScanWindow(ctx, st, ns, since, until, fn)
		}
	}
	err := scan(ctx, namespace, since, until, func(r *Rollup) error {
		if q.App != "" && r.App != q.App || q.Name != "" && r.Name != q.Name {
			return nil
		}
		i := int(r.Minute.Sub(since) / step)
		if i < 0 || i >= n {
			return nil
		}
		p := &s.Points[i]
		if q.Name == "" {
			if r.Roots == 0 {
				return nil
			}
			p.Calls += r.Roots
			p.Failed += r.RootsFailed
			if r.Roots != r.Count {
				return nil // the histogram and the longest mix in the name's other calls
			}
		} else {
			p.Calls += r.Count
			p.Failed += r.Failed
		}
		p.Max = max(p.Max, int64(r.Max))
		hists[i].Merge(&r.Hist)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	for i := range s.Points {
		p, h := &s.Points[i], &hists[i]
		if h.Count() == 0 {
			continue
		}
		p.P50 = min(int64(h.Quantile(0.5)), p.Max)
		p.P95 = min(int64(h.Quantile(0.95)), p.Max)
		p.P99 = min(int64(h.Quantile(0.99)), p.Max)
	}
	return s, nil
}

// HourRollups is implemented by engines that keep, beside the per-minute
// rollups, per-hour ones (SQLite). ScanHourRollups calls fn for the
// rollups of the hours starting from since truncated to the hour up to
// until, with Rollup.Minute the hour's start.
type HourRollups interface {
	ScanHourRollups(ctx context.Context, namespace string, since, until time.Time, fn func(*Rollup) error) error
}

// ScanWindow calls fn for the rollups of the window from since to until as
// Store.ScanRollups does, but reads the whole hours of the window from
// per-hour rollups where st keeps them (HourRollups): a window of a day is
// 24 rows per span name instead of 1,440. A rollup's Minute is then the
// start of its minute or of its hour, so only what sums over the window
// may use it: not a series of steps shorter than an hour (SeriesOf).
func ScanWindow(ctx context.Context, st Store, namespace string, since, until time.Time, fn func(*Rollup) error) error {
	since = since.Truncate(RollupMinute)
	hs, ok := st.(HourRollups)
	first := since.Truncate(time.Hour)
	if first.Before(since) {
		first = first.Add(time.Hour)
	}
	last := until.Truncate(time.Hour) // the whole hours are [first, last)
	if !ok || !first.Before(last) {
		return st.ScanRollups(ctx, namespace, since, until, fn)
	}
	if since.Before(first) {
		if err := st.ScanRollups(ctx, namespace, since, first, fn); err != nil {
			return err
		}
	}
	if err := hs.ScanHourRollups(ctx, namespace, first, last, fn); err != nil {
		return err
	}
	if last.Before(until) {
		return st.ScanRollups(ctx, namespace, last, until, fn)
	}
	return nil
}
