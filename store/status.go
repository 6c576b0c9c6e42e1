package store

import (
	"fmt"
	"strings"
	"time"
)

// StatusReport is the answer of GET /v1/status: each app's status, from
// the verdicts of its error groups, regressions and slow-span regressions
// over a window (the health report's rules), with the reason in words.
type StatusReport struct {
	Since  time.Time   `json:"since"`
	Status string      `json:"status"` // OK | WARN | ALERT: the worst app's
	Apps   []AppStatus `json:"apps"`
}

// AppStatus is one app's line of a [StatusReport].
type AppStatus struct {
	App    string `json:"app"`
	Status string `json:"status"` // OK | WARN | ALERT
	Reason string `json:"reason"` // why, e.g. "WARN: 2 error groups nobody judged"
}

// StatusOf words the health report h as a status report.
func StatusOf(h *Health) *StatusReport {
	out := &StatusReport{Since: h.Since, Status: strings.ToUpper(h.Status), Apps: make([]AppStatus, 0, len(h.Apps))}
	for i := range h.Apps {
		a := &h.Apps[i]
		out.Apps = append(out.Apps, AppStatus{App: a.App, Status: strings.ToUpper(a.Status), Reason: reason(a)})
	}
	return out
}

// reason says why a has its status: every finding, worst first.
func reason(a *AppHealth) string {
	var why []string
	if n := len(a.AlertErrors); n > 0 {
		why = append(why, fmt.Sprintf("%s at alert (%s)", plural(n, "error group"), strings.Join(a.AlertErrors, ", ")))
	}
	if n := len(a.RegressedErrors); n > 0 {
		why = append(why, fmt.Sprintf("%s silenced and back in a newer version (%s)", plural(n, "error group"), strings.Join(a.RegressedErrors, ", ")))
	}
	if n := a.Unannotated; n > 0 {
		why = append(why, fmt.Sprintf("%s nobody judged", plural(n, "error group")))
	}
	for _, sr := range a.SlowRegressions {
		why = append(why, fmt.Sprintf("%s slower: p95 %v, was %v", sr.Name, time.Duration(sr.P95), time.Duration(sr.Baseline)))
	}
	if len(why) == 0 {
		return fmt.Sprintf("OK: %s, %s failed", plural(a.Traces, "trace"), fmt.Sprint(a.Failed))
	}
	return strings.ToUpper(a.Status) + ": " + strings.Join(why, "; ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
