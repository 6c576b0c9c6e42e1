package ui

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/spantree/spantree/store"
)

// slowSpans is the slow spans screen (GET /v1/slow): per span name and
// location, calls, p50, p95, p99, the longest call, how many were slower
// than their own p99, and the impact (p95 × calls per second), ranked by
// impact; enter opens the slowest trace.
type slowSpans struct {
	spans   []store.SlowSpan
	cursor  int
	offset  int
	loaded  bool
	loading bool
	err     error
}

// receive takes the answer to a slow spans request.
func (s *slowSpans) receive(msg slowMsg) error {
	s.loading = false
	if msg.err != nil {
		s.err = msg.err
		return msg.err
	}
	s.spans = slices.Clone(msg.spans)
	slices.SortStableFunc(s.spans, func(a, b store.SlowSpan) int { return cmp.Compare(b.Impact, a.Impact) })
	s.loaded, s.err = true, nil
	s.cursor = min(s.cursor, max(len(s.spans)-1, 0))
	return nil
}

func (s *slowSpans) selected() *store.SlowSpan {
	if s.cursor < 0 || s.cursor >= len(s.spans) {
		return nil
	}
	return &s.spans[s.cursor]
}

// update handles the keys of the slow spans screen.
func (s slowSpans) update(key string, c keyCtx) (slowSpans, intent) {
	if cur, ok := moveCursor(key, s.cursor, len(s.spans), c.page-2); ok {
		s.cursor = cur
		return s, intent{}
	}
	if keys.Open.is(key) {
		sp := s.selected()
		if sp == nil {
			return s, intent{}
		}
		if len(sp.Slowest) == 0 {
			return s, failIntent("no trace recorded for this span")
		}
		return s, intent{kind: intentTrace, id: sp.Slowest[0].String()}
	}
	return s, intent{}
}

func (s *slowSpans) title() string { return "slow spans" }

// bindings are the footer's keys.
func (s *slowSpans) bindings() []binding {
	k := keys
	return []binding{k.Up, k.Down, k.Open, k.Back, k.Help}
}

// view draws the table.
func (s *slowSpans) view(w, h int) []string {
	lines := []string{styles.dim.Render(fmt.Sprintf("%d span names, ranked by impact (p95 × calls per second)", len(s.spans)))}
	switch {
	case s.err != nil && !s.loaded:
		return append(lines, "", styles.bad.Render(describe(s.err)))
	case !s.loaded:
		return append(lines, "", styles.dim.Render("loading…"))
	case len(s.spans) == 0:
		return append(lines, "", "No finished spans in this window.")
	}
	const callsW, durW, overW, impactW = 8, 8, 8, 9
	nameW := w - (callsW + 4*durW + overW + impactW + 8)
	lines = append(lines, styles.header.Render(fit(fit("Name", nameW)+" "+fitLeft("Calls", callsW)+" "+fitLeft("p50", durW)+" "+
		fitLeft("p95", durW)+" "+fitLeft("p99", durW)+" "+fitLeft("Max", durW)+" "+fitLeft("Over p99", overW)+" "+
		fitLeft("Impact", impactW), w-1)))
	rows := h - len(lines)
	s.offset = window(s.cursor, s.offset, rows, len(s.spans))
	d := func(ns int64) string { return fmtDuration(time.Duration(ns)) }
	for i := s.offset; i < len(s.spans) && i < s.offset+rows; i++ {
		sp := &s.spans[i]
		name := sp.Name + " " + styles.dim.Render(sp.Location)
		over := fmt.Sprint(sp.SlowCount)
		if sp.SlowCount > 0 {
			over = styles.slow.Render(over)
		}
		line := fit(name, nameW) + " " + fitLeft(fmt.Sprint(sp.Count), callsW) + " " + fitLeft(d(sp.P50), durW) + " " +
			fitLeft(d(sp.P95), durW) + " " + fitLeft(d(sp.P99), durW) + " " + fitLeft(d(sp.Max), durW) + " " +
			fitLeft(over, overW) + " " + fitLeft(fmtImpact(sp.Impact), impactW)
		lines = append(lines, cursorLine(line, i == s.cursor, w))
	}
	return lines
}

// fmtImpact is a share of a core as a percentage, small ones with two
// significant digits.
func fmtImpact(v float64) string {
	pct := 100 * v
	switch {
	case pct == 0:
		return "0%"
	case pct < 0.01:
		return fmt.Sprintf("%.2g%%", pct)
	}
	return fmt.Sprintf("%.2f%%", pct)
}
