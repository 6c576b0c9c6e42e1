package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// SlowSpan is the latency of one span name and location over a window:
// GET /v1/slow.
type SlowSpan struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	App      string `json:"app"`
	Count    int    `json:"count"`
	P50      int64  `json:"p50_ns"`
	P95      int64  `json:"p95_ns"`
	P99      int64  `json:"p99_ns"`
	Max      int64  `json:"max_ns"`
	// SlowCount is how many calls were slower than their own p99.
	SlowCount int `json:"slow_count"`
	// Slowest are the traces of the slowest calls, slowest first.
	Slowest []spantree.TraceID `json:"slowest"`
	// Impact is p95 seconds times calls per second over the window: the
	// share of one core's wall time spent there, roughly; it ranks what is
	// worth making faster.
	Impact float64 `json:"impact"`
}

// spanKey groups spans by name and location.
type spanKey struct{ name, location string }

// slowest keeps the n slowest (duration, trace) pairs, one per trace.
type slowest struct {
	d  []time.Duration
	id []spantree.TraceID
}

func (s *slowest) add(d time.Duration, id spantree.TraceID, n int) {
	if j := slices.Index(s.id, id); j >= 0 {
		if s.d[j] >= d {
			return // one trace once, at its slowest call
		}
		s.d, s.id = slices.Delete(s.d, j, j+1), slices.Delete(s.id, j, j+1)
	}
	i, _ := slices.BinarySearchFunc(s.d, d, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	if i >= n {
		return
	}
	s.d = slices.Insert(s.d, i, d)
	s.id = slices.Insert(s.id, i, id)
	if len(s.d) > n {
		s.d, s.id = s.d[:n], s.id[:n]
	}
}

type latency struct {
	app      string
	lastSeen time.Time
	count    int
	max      time.Duration
	hist     Histogram
	top      slowest
}

// Slow computes per span name and location the latency percentiles of the
// spans that started in the window, highest impact first. It reads the
// per-minute rollups ([Store.ScanRollups]): the window is whole minutes,
// the percentiles are estimates within about 2% (see [Histogram]), and the
// slowest traces are those of the slowest call in each of the slowest
// minutes.
func Slow(ctx context.Context, st Store, namespace string, since, until time.Time) ([]SlowSpan, error) {
	groups := map[spanKey]*latency{}
	err := ScanWindow(ctx, st, namespace, since, until, func(r *Rollup) error {
		k := spanKey{r.Name, r.Location}
		g := groups[k]
		if g == nil {
			g = &latency{}
			groups[k] = g
		}
		if r.LastSeen.After(g.lastSeen) {
			g.app, g.lastSeen = r.App, r.LastSeen
		}
		g.count += r.Count
		g.max = max(g.max, r.Max)
		g.hist.Merge(&r.Hist)
		g.top.add(r.Max, r.MaxTraceID, 5)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("slow spans: %w", err)
	}
	window := until.Sub(since).Seconds()
	out := make([]SlowSpan, 0, len(groups))
	for k, g := range groups {
		p99 := min(g.hist.Quantile(0.99), g.max)
		s := SlowSpan{
			Name: k.name, Location: k.location, App: g.app, Count: g.count,
			P50: int64(min(g.hist.Quantile(0.50), g.max)), P95: int64(min(g.hist.Quantile(0.95), g.max)),
			P99: int64(p99), Max: int64(g.max),
			SlowCount: int(g.hist.Above(p99)), Slowest: g.top.id,
		}
		if window > 0 {
			s.Impact = time.Duration(s.P95).Seconds() * float64(s.Count) / window
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b SlowSpan) int {
		return cmp.Or(cmp.Compare(b.Impact, a.Impact), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Location, b.Location))
	})
	return out, nil
}

// P99s maps span name and location to the p99 of their durations in a window.
type P99s map[[2]string]time.Duration

// SpanP99s computes the p99 per span name and location over [since, until),
// for marking the spans of a trace that are slower than their own p99.
func SpanP99s(ctx context.Context, st Store, namespace string, since, until time.Time) (P99s, error) {
	slow, err := Slow(ctx, st, namespace, since, until)
	if err != nil {
		return nil, err
	}
	m := make(P99s, len(slow))
	for _, s := range slow {
		if s.Count >= minSamples {
			m[[2]string{s.Name, s.Location}] = time.Duration(s.P99)
		}
	}
	return m, nil
}

// minSamples is how many calls a span needs before its percentiles are
// trusted for marking slow calls and regressions.
const minSamples = 20

// SlowSpans returns the ids of t's finished spans slower than their own p99.
func (m P99s) SlowSpans(t *Trace) []spantree.SpanID {
	var ids []spantree.SpanID
	for i := range t.Spans {
		s := &t.Spans[i]
		p99, ok := m[[2]string{s.Name, s.Location}]
		if ok && s.Status != spantree.StatusStarted && s.Duration() > p99 {
			ids = append(ids, s.SpanID)
		}
	}
	return ids
}

// DashboardRow is one span name and location on the dashboard:
// GET /v1/dashboard.
type DashboardRow struct {
	Name        string           `json:"name"`
	Location    string           `json:"location"`
	App         string           `json:"app"`
	Count       int              `json:"count"`
	Failed      int              `json:"failed"`
	LastSeen    time.Time        `json:"last_seen"`
	P50         int64            `json:"p50_ns"`
	P95         int64            `json:"p95_ns"`
	Max         int64            `json:"max_ns"`
	LastTraceID spantree.TraceID `json:"last_trace_id"`
	// Fingerprints are the error groups of its failures.
	Fingerprints []string `json:"fingerprints,omitempty"`
	// Verdict is the worst verdict among those groups: alert, unannotated,
	// warn, silenced, ok; "" when it has no grouped errors.
	Verdict string `json:"verdict"`
}

// Verdicts on the dashboard besides the severities.
const (
	VerdictUnannotated = "unannotated"
	VerdictSilenced    = "silenced"
)

func verdictRank(v string) int {
	switch v {
	case SeverityAlert:
		return 5
	case VerdictUnannotated:
		return 4
	case SeverityWarn:
		return 3
	case VerdictSilenced:
		return 2
	case SeverityOK:
		return 1
	}
	return 0
}

// VerdictOf is how a group shows on the dashboard.
func VerdictOf(g *ErrorGroup) string {
	switch {
	case g.Annotation == nil:
		return VerdictUnannotated
	case g.Regressed && g.Annotation.Severity != SeverityAlert:
		return SeverityWarn // silenced, but back in a newer version
	case g.Annotation.Severity == SeverityOK && g.Annotation.Kind == KindSilenced:
		return VerdictSilenced
	}
	return g.Annotation.Severity
}

// Dashboard summarises the spans that started in the window per name and
// location, most failures first, then most calls. Like [Slow] it reads the
// per-minute rollups: whole minutes, estimated percentiles.
func Dashboard(ctx context.Context, st Store, namespace string, since, until time.Time) ([]DashboardRow, error) {
	type row struct {
		DashboardRow
		hist Histogram
		fps  map[string]bool
	}
	rows := map[spanKey]*row{}
	err := ScanWindow(ctx, st, namespace, since, until, func(r *Rollup) error {
		k := spanKey{r.Name, r.Location}
		d := rows[k]
		if d == nil {
			d = &row{DashboardRow: DashboardRow{Name: r.Name, Location: r.Location}, fps: map[string]bool{}}
			rows[k] = d
		}
		d.Count += r.Count
		d.Failed += r.Failed
		for _, fp := range r.Fingerprints {
			d.fps[fp] = true
		}
		if r.LastSeen.After(d.LastSeen) {
			d.LastSeen, d.LastTraceID, d.App = r.LastSeen, r.LastTraceID, r.App
		}
		d.Max = max(d.Max, int64(r.Max))
		d.hist.Merge(&r.Hist)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	groups, err := st.ErrorGroups(ctx, namespace, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	verdicts := make(map[string]string, len(groups))
	for i := range groups {
		verdicts[groups[i].Fingerprint] = VerdictOf(&groups[i])
	}
	out := make([]DashboardRow, 0, len(rows))
	for _, r := range rows {
		r.P50 = min(int64(r.hist.Quantile(0.5)), r.Max)
		r.P95 = min(int64(r.hist.Quantile(0.95)), r.Max)
		for fp := range r.fps {
			r.Fingerprints = append(r.Fingerprints, fp)
			if v := verdicts[fp]; verdictRank(v) > verdictRank(r.Verdict) {
				r.Verdict = v
			}
		}
		slices.Sort(r.Fingerprints)
		out = append(out, r.DashboardRow)
	}
	slices.SortFunc(out, func(a, b DashboardRow) int {
		return cmp.Or(cmp.Compare(b.Failed, a.Failed), cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Location, b.Location))
	})
	return out, nil
}
