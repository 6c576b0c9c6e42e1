package alert

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spantree/spantree/store"
)

// finding is one thing a rule found at an evaluation.
type finding struct {
	rule   *Rule
	labels map[string]string // the instance's own: app, fingerprint, name
	reason string
	view   string // the web view's fragment, "#/errors?fp=..."
}

// Evaluate runs every rule of every namespace once at now, from the store's
// analyses (per-minute rollups, error groups, the status report; no scan
// of spans), moves alerts between pending, firing and resolved, and queues
// the notifications (it never waits for a target). A rule whose analysis
// fails keeps its alerts as they were; the errors are returned together.
// While another engine on the same store evaluates (lease.go), it only
// writes its heartbeat and takes the rules and alerts from the store.
func (e *Engine) Evaluate(ctx context.Context, now time.Time) error {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	e.mu.Lock()
	was := e.leading
	e.mu.Unlock()
	recs, lead, stale, err := e.elect(ctx, now, was)
	if err != nil {
		return err
	}
	e.mu.Lock()
	took := lead && !e.leading
	// Standing by, or taking over: the alerts as the store has them.
	err = e.syncLocked(recs, !lead || took)
	e.leading = lead
	if err == nil && took {
		e.takeOverLocked()
	}
	e.mu.Unlock()
	if err != nil || !lead {
		return err
	}
	if len(stale) > 0 {
		if err := e.st.SaveAlertRecords(ctx, nil, stale); err != nil {
			return fmt.Errorf("alert heartbeats: %w", err)
		}
	}
	nss, err := e.st.Namespaces(ctx)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	e.mu.Lock()
	for _, a := range e.alerts {
		if !slices.Contains(nss, a.Namespace) {
			nss = append(nss, a.Namespace)
		}
	}
	e.mu.Unlock()
	var errs []error
	for _, ns := range nss {
		if err := e.evaluate(ctx, ns, now); err != nil {
			errs = append(errs, fmt.Errorf("alerts of namespace %s: %w", ns, err))
		}
	}
	e.refresh(now)
	return errors.Join(errs...)
}

// evaluate runs the rules of namespace ns.
func (e *Engine) evaluate(ctx context.Context, ns string, now time.Time) error {
	e.mu.Lock()
	rules := e.rulesOf(ns)
	e.mu.Unlock()
	a := &analyses{st: e.st, ns: ns, now: now}
	found := map[string]*finding{}
	judged := map[string]bool{} // rules whose analysis succeeded
	var errs []error
	for _, r := range rules {
		fs, err := a.find(ctx, r)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", r.ID, err))
			continue
		}
		judged[r.ID] = true
		for _, f := range fs {
			found[alertKey(ns, r.ID, f.labels)] = f
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	changed := false
	for key, al := range e.alerts {
		if al.Namespace != ns || found[key] != nil {
			continue
		}
		exists := slices.ContainsFunc(rules, func(r *Rule) bool { return r.ID == al.Rule })
		if exists && !judged[al.Rule] {
			continue // the analysis failed: keep the alert as it is
		}
		switch al.State {
		case StatePending:
			delete(e.alerts, key)
			changed = true
		case StateFiring:
			al.State, al.EndsAt = StateResolved, now
			e.notify(al)
			changed = true
		case StateResolved:
			if now.Sub(al.EndsAt) > keepResolved && e.toldAll(al) {
				delete(e.alerts, key)
				changed = true
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(found)) {
		f := found[key]
		al := e.alerts[key]
		if al == nil || al.State == StateResolved {
			al = &Alert{Namespace: ns, Rule: f.rule.ID, Kind: f.rule.Kind, State: StatePending, ActiveSince: now, key: key}
			e.alerts[key] = al
			changed = true
		}
		al.Labels = f.rule.alertLabels(ns, f.labels)
		al.Reason = f.reason
		al.URL = e.link(f.view)
		if al.State == StatePending && now.Sub(al.ActiveSince) >= time.Duration(f.rule.For) {
			al.State, al.StartsAt, al.Sent = StateFiring, now, nil
			e.notify(al)
			changed = true
		}
	}
	if changed {
		if err := e.saveLocked(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// toldAll reports whether every target acknowledged al's state.
func (e *Engine) toldAll(al *Alert) bool {
	for _, q := range e.targets {
		if al.Sent[q.n.Name()] != al.State {
			return false
		}
	}
	return true
}

// notify queues al's state for every target.
func (e *Engine) notify(al *Alert) {
	for _, q := range e.targets {
		q.enqueue(al.notification(false))
	}
}

// refresh posts the firing alerts again to the targets that want it, every
// opts.Resend.
func (e *Engine) refresh(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if now.Sub(e.lastSend) < e.opts.Resend {
		return
	}
	e.lastSend = now
	for _, q := range e.targets {
		r, ok := q.n.(refresher)
		if !ok || !r.Refresh() {
			continue
		}
		for _, al := range e.sortedAlerts() {
			if al.State == StateFiring && al.Sent[q.n.Name()] == StateFiring {
				q.enqueue(al.notification(true))
			}
		}
	}
}

// link is the web view's address of fragment.
func (e *Engine) link(fragment string) string {
	if e.opts.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(e.opts.BaseURL, "/") + "/ui/" + fragment
}

// alertLabels are the labels of an alert of r: the rule's own, its name
// and kind, the namespace and the instance's.
func (r *Rule) alertLabels(ns string, inst map[string]string) map[string]string {
	l := maps.Clone(r.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l["alertname"], l["namespace"], l["kind"] = r.ID, ns, r.Kind
	for k, v := range inst {
		if v != "" {
			l[k] = v
		}
	}
	return l
}

// alertKey identifies an alert: its namespace, rule and instance labels.
func alertKey(ns, rule string, inst map[string]string) string {
	var b strings.Builder
	b.WriteString(ns + "\x00" + rule)
	for _, k := range slices.Sorted(maps.Keys(inst)) {
		b.WriteString("\x00" + k + "=" + inst[k])
	}
	return b.String()
}

// analyses computes what the rules of one namespace ask for at one
// evaluation, each analysis once per window.
type analyses struct {
	st  store.Store
	ns  string
	now time.Time

	status  map[time.Duration]*store.StatusReport
	groups  map[time.Duration][]store.ErrorGroup
	rollups map[time.Duration]map[[2]string]*spanAgg
}

// spanAgg sums the rollups of one app and span name.
type spanAgg struct {
	calls, failed int
	hist          store.Histogram
}

func (a *analyses) find(ctx context.Context, r *Rule) ([]*finding, error) {
	w := time.Duration(r.Window)
	switch r.Kind {
	case KindStatus:
		rep, err := a.statusReport(ctx, w)
		if err != nil {
			return nil, err
		}
		var out []*finding
		for _, s := range rep.Apps {
			if (r.App == "" || s.App == r.App) && statusRank(s.Status) >= statusRank(r.level) {
				out = append(out, &finding{rule: r, labels: map[string]string{"app": s.App}, reason: s.Reason, view: "#/health"})
			}
		}
		return out, nil
	case KindNewGroup, KindRegression:
		gs, err := a.errorGroups(ctx, w)
		if err != nil {
			return nil, err
		}
		var out []*finding
		for i := range gs {
			g := &gs[i]
			if r.App != "" && g.App != r.App {
				continue
			}
			var reason string
			switch {
			case r.Kind == KindNewGroup && g.Annotation == nil:
				reason = fmt.Sprintf("new error group nobody judged: %s: %s at %s (%s, %d seen since %s)",
					g.Type, g.Message, g.Location, g.Name, g.Count, g.FirstSeen.UTC().Format(time.RFC3339))
			case r.Kind == KindRegression && g.Regressed:
				reason = fmt.Sprintf("silenced error group back in version %s (silenced at %s): %s: %s at %s",
					g.LastVersion, g.Annotation.Version, g.Type, g.Message, g.Location)
			default:
				continue
			}
			out = append(out, &finding{rule: r, labels: map[string]string{"app": g.App, "fingerprint": g.Fingerprint, "name": g.Name},
				reason: reason, view: "#/errors?fp=" + g.Fingerprint})
		}
		return out, nil
	case KindFailureRate, KindP95:
		aggs, err := a.spanAggs(ctx, w)
		if err != nil {
			return nil, err
		}
		var out []*finding
		for _, k := range slices.SortedFunc(maps.Keys(aggs), func(x, y [2]string) int { return strings.Compare(x[0]+"\x00"+x[1], y[0]+"\x00"+y[1]) }) {
			s := aggs[k]
			if k[1] != r.Name || (r.App != "" && k[0] != r.App) || s.calls < r.MinCalls {
				continue
			}
			var reason string
			if r.Kind == KindFailureRate {
				rate := float64(s.failed) / float64(s.calls)
				if rate <= r.rate {
					continue
				}
				reason = fmt.Sprintf("%s: %d of %d calls failed in %v (%.1f%%, over %.1f%%)", r.Name, s.failed, s.calls, w, 100*rate, 100*r.rate)
			} else {
				p := s.hist.Quantile(0.95)
				if p <= r.latency {
					continue
				}
				reason = fmt.Sprintf("%s: p95 %v over %d calls in %v (over %v)", r.Name, p, s.calls, w, r.latency)
			}
			out = append(out, &finding{rule: r, labels: map[string]string{"app": k[0], "name": k[1]}, reason: reason, view: "#/slow"})
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown kind %q", r.Kind)
}

func (a *analyses) statusReport(ctx context.Context, w time.Duration) (*store.StatusReport, error) {
	if rep := a.status[w]; rep != nil {
		return rep, nil
	}
	h, err := store.ComputeHealth(ctx, a.st, a.ns, a.now.Add(-w), a.now)
	if err != nil {
		return nil, err
	}
	if a.status == nil {
		a.status = map[time.Duration]*store.StatusReport{}
	}
	a.status[w] = store.StatusOf(h)
	return a.status[w], nil
}

func (a *analyses) errorGroups(ctx context.Context, w time.Duration) ([]store.ErrorGroup, error) {
	if gs, ok := a.groups[w]; ok {
		return gs, nil
	}
	gs, err := a.st.ErrorGroups(ctx, a.ns, a.now.Add(-w))
	if err != nil {
		return nil, fmt.Errorf("error groups: %w", err)
	}
	if a.groups == nil {
		a.groups = map[time.Duration][]store.ErrorGroup{}
	}
	a.groups[w] = gs
	return gs, nil
}

func (a *analyses) spanAggs(ctx context.Context, w time.Duration) (map[[2]string]*spanAgg, error) {
	if m, ok := a.rollups[w]; ok {
		return m, nil
	}
	m := map[[2]string]*spanAgg{}
	err := store.ScanWindow(ctx, a.st, a.ns, a.now.Add(-w), a.now, func(r *store.Rollup) error {
		k := [2]string{r.App, r.Name}
		s := m[k]
		if s == nil {
			s = &spanAgg{}
			m[k] = s
		}
		s.calls += r.Count
		s.failed += r.Failed
		s.hist.Merge(&r.Hist)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rollups: %w", err)
	}
	if a.rollups == nil {
		a.rollups = map[time.Duration]map[[2]string]*spanAgg{}
	}
	a.rollups[w] = m
	return m, nil
}

// statusRank orders OK < WARN < ALERT, in either case.
func statusRank(s string) int {
	switch strings.ToLower(s) {
	case store.SeverityWarn:
		return 1
	case store.SeverityAlert:
		return 2
	}
	return 0
}
