package ui

import (
	"fmt"
	"slices"
	"time"

	"github.com/spantree/spantree/alert"
	"github.com/spantree/spantree/internal/termtext"
)

// alertList is the alerts screen (GET /v1/alerts): what the receiver's
// alert engine decided, firing first, then pending, then those resolved in
// the last hour, each with its rule, what it is about, since when and why.
type alertList struct {
	alerts  []alert.Alert
	cursor  int
	offset  int
	loaded  bool
	loading bool
	err     error
}

// receive takes the answer to an alerts request. The receiver sorts them.
func (a *alertList) receive(msg alertsMsg) error {
	a.loading = false
	if msg.err != nil {
		a.err = msg.err
		return msg.err
	}
	a.alerts = slices.Clone(msg.alerts)
	a.loaded, a.err = true, nil
	a.cursor = min(a.cursor, max(len(a.alerts)-1, 0))
	return nil
}

// update handles the keys of the alerts screen.
func (a alertList) update(key string, c keyCtx) (alertList, intent) {
	if cur, ok := moveCursor(key, a.cursor, len(a.alerts), c.page-2); ok {
		a.cursor = cur
	}
	return a, intent{}
}

func (a *alertList) title() string { return "alerts" }

// bindings are the footer's keys.
func (a *alertList) bindings() []binding {
	k := keys
	return []binding{k.Up, k.Down, k.Refresh, k.Back, k.Help}
}

// view draws the list: a count line, then a line per alert.
func (a *alertList) view(w, h int, now time.Time) []string {
	counts := map[string]int{}
	for _, al := range a.alerts {
		counts[al.State]++
	}
	lines := []string{styles.dim.Render(fmt.Sprintf("%d firing, %d pending, %d resolved in the last hour",
		counts[alert.StateFiring], counts[alert.StatePending], counts[alert.StateResolved]))}
	switch {
	case a.err != nil && !a.loaded:
		return append(lines, "", styles.bad.Render(describe(a.err)))
	case !a.loaded:
		return append(lines, "", styles.dim.Render("loading…"))
	case len(a.alerts) == 0:
		return append(lines, "", "No alerts: nothing fires or waits, and nothing resolved in the last hour.")
	}
	const stateW, ruleW, sinceW = 9, 18, 9
	aboutW := max((w-stateW-ruleW-sinceW-6)/3, 12)
	reasonW := w - (stateW + ruleW + aboutW + sinceW + 5)
	lines = append(lines, styles.header.Render(fit(fit("State", stateW)+" "+fit("Rule", ruleW)+" "+fit("About", aboutW)+" "+
		fitLeft("Since", sinceW)+" "+fit("Reason", reasonW), w-1)))
	rows := h - len(lines)
	a.offset = window(a.cursor, a.offset, rows, len(a.alerts))
	for i := a.offset; i < len(a.alerts) && i < a.offset+rows; i++ {
		al := &a.alerts[i]
		since := al.Since()
		ago := "-"
		if !since.IsZero() {
			ago = fmtAgo(now, since)
		}
		line := fit(stateStyle(al.State), stateW) + " " + fit(termtext.Escape(al.Rule), ruleW) + " " +
			fit(termtext.Escape(al.About()), aboutW) + " " + fitLeft(ago, sinceW) + " " +
			fit(termtext.Escape(al.Reason), reasonW)
		lines = append(lines, cursorLine(line, i == a.cursor, w))
	}
	return lines
}

// stateStyle colours an alert's state: firing as a failure, pending as
// slow, resolved dim.
func stateStyle(state string) string {
	switch state {
	case alert.StateFiring:
		return styles.bad.Render(state)
	case alert.StatePending:
		return styles.slow.Render(state)
	}
	return styles.dim.Render(state)
}
