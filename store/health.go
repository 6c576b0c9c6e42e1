package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Health is the report of GET /v1/health and `spantree health`.
type Health struct {
	Since  time.Time   `json:"since"`
	Status string      `json:"status"` // ok | warn | alert: the worst app's
	Apps   []AppHealth `json:"apps"`
}

// AppHealth is one app's part of the health report.
type AppHealth struct {
	App         string    `json:"app"`
	Versions    []string  `json:"versions"`
	LastSeen    time.Time `json:"last_seen"`
	Traces      int       `json:"traces"` // finished root spans in the window
	Failed      int       `json:"failed"`
	FailureRate float64   `json:"failure_rate"`
	// Unannotated counts the error groups seen in the window that nobody
	// has judged yet.
	Unannotated int `json:"unannotated_errors"`
	// AlertErrors are groups at severity alert seen in the window.
	AlertErrors []string `json:"alert_errors"`
	// RegressedErrors are silenced groups back in a newer version.
	RegressedErrors []string         `json:"regressed_errors"`
	SlowRegressions []SlowRegression `json:"slow_regressions"`
	Status          string           `json:"status"`
}

// SlowRegression is a span whose p95 in the window is well above its p95
// over the baseline (the seven windows before).
type SlowRegression struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	P95      int64  `json:"p95_ns"`
	Baseline int64  `json:"baseline_p95_ns"`
}

// Thresholds of a slow-span regression: the window's p95 is at least
// regressionFactor times the baseline's and regressionMin longer, both with
// minSamples calls or more.
const (
	regressionFactor = 1.5
	regressionMin    = time.Millisecond
	baselineWindows  = 7
)

// ComputeHealth builds the health report of the window [since, until).
func ComputeHealth(ctx context.Context, st Store, namespace string, since, until time.Time) (*Health, error) {
	apps, err := st.Apps(ctx, namespace)
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	byApp := map[string]*AppHealth{}
	get := func(name string) *AppHealth {
		a := byApp[name]
		if a == nil {
			a = &AppHealth{App: name, Versions: []string{}, AlertErrors: []string{}, RegressedErrors: []string{}, SlowRegressions: []SlowRegression{}}
			byApp[name] = a
		}
		return a
	}
	for _, a := range apps {
		if a.LastSeen.Before(since) {
			continue
		}
		h := get(a.Name)
		h.Versions, h.LastSeen = a.Versions, a.LastSeen
	}
	// Per-minute rollups: the window and the baseline are whole minutes,
	// the minute holding since belonging to the window.
	type key struct{ app, name, loc string }
	window := map[key]*Histogram{}
	err = ScanWindow(ctx, st, namespace, since, until, func(r *Rollup) error {
		if r.Roots > 0 {
			h := get(r.App)
			h.Traces += r.Roots
			h.Failed += r.RootsFailed
		}
		k := key{r.App, r.Name, r.Location}
		if window[k] == nil {
			window[k] = &Histogram{}
		}
		window[k].Merge(&r.Hist)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	baseline := map[key]*Histogram{}
	from := since.Add(-baselineWindows * until.Sub(since))
	err = ScanWindow(ctx, st, namespace, from, since.Truncate(RollupMinute), func(r *Rollup) error {
		k := key{r.App, r.Name, r.Location}
		if _, ok := window[k]; !ok {
			return nil
		}
		if baseline[k] == nil {
			baseline[k] = &Histogram{}
		}
		baseline[k].Merge(&r.Hist)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	for k, w := range window {
		b := baseline[k]
		if w.Count() < minSamples || b == nil || b.Count() < minSamples {
			continue
		}
		p, bp := w.Quantile(0.95), b.Quantile(0.95)
		if float64(p) >= regressionFactor*float64(bp) && p-bp >= regressionMin {
			h := get(k.app)
			h.SlowRegressions = append(h.SlowRegressions, SlowRegression{Name: k.name, Location: k.loc, P95: int64(p), Baseline: int64(bp)})
		}
	}
	groups, err := st.ErrorGroups(ctx, namespace, since)
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	for _, g := range groups {
		h := get(g.App)
		switch {
		case g.Annotation == nil:
			h.Unannotated++
		case g.Annotation.Severity == SeverityAlert:
			h.AlertErrors = append(h.AlertErrors, g.Fingerprint)
		}
		if g.Regressed {
			h.RegressedErrors = append(h.RegressedErrors, g.Fingerprint)
		}
	}
	out := &Health{Since: since, Status: SeverityOK, Apps: []AppHealth{}}
	for _, h := range byApp {
		if h.Traces > 0 {
			h.FailureRate = float64(h.Failed) / float64(h.Traces)
		}
		slices.SortFunc(h.SlowRegressions, func(a, b SlowRegression) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Location, b.Location))
		})
		slices.Sort(h.AlertErrors)
		slices.Sort(h.RegressedErrors)
		switch {
		case len(h.AlertErrors) > 0:
			h.Status = SeverityAlert
		case h.Unannotated > 0 || len(h.RegressedErrors) > 0 || len(h.SlowRegressions) > 0:
			h.Status = SeverityWarn
		default:
			h.Status = SeverityOK
		}
		if verdictRank(h.Status) > verdictRank(out.Status) {
			out.Status = h.Status
		}
		out.Apps = append(out.Apps, *h)
	}
	slices.SortFunc(out.Apps, func(a, b AppHealth) int { return cmp.Compare(a.App, b.App) })
	return out, nil
}
