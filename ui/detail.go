package ui

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// levels is the cycle of the detail pane's level toggle.
var levels = []spantree.Level{spantree.LevelDebug, spantree.LevelInfo, spantree.LevelWarn, spantree.LevelError}

func nextLevel(l spantree.Level) spantree.Level {
	for i, x := range levels {
		if x == l {
			return levels[(i+1)%len(levels)]
		}
	}
	return levels[0]
}

// detailLines describes s fully: location, timing, error and stack, handled
// errors, attrs, events at or above level, links. Lines are not wrapped.
func detailLines(s *spantree.SpanData, level spantree.Level, slow bool, group *store.SpanError) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	section := func(title string) { out = append(out, "", styles.header.Render(title)) }

	out = append(out, styles.title.Render(s.Name)+"  "+styles.dim.Render(s.Location))
	facts := []string{statusText(string(s.Status))}
	if d := s.Duration(); d > 0 {
		facts = append(facts, fmtDuration(d))
	}
	if slow {
		facts = append(facts, styles.slow.Render("slower than its p99"))
	}
	facts = append(facts, "started "+s.Start.Format("15:04:05.000000"))
	if s.Goroutine {
		facts = append(facts, styles.goroutine.Render("own goroutine"))
	}
	if s.Service != "" {
		facts = append(facts, styles.service.Render("service "+s.Service))
	}
	if s.Level != "" {
		facts = append(facts, "level "+string(s.Level))
	}
	facts = append(facts, styles.dim.Render("span "+s.SpanID.String()))
	out = append(out, strings.Join(facts, " · "))
	if f := s.Fold; f != nil {
		add("folded: %d calls, total %s, min %s, max %s", f.Count, fmtDuration(time.Duration(f.TotalNS)),
			fmtDuration(time.Duration(f.MinNS)), fmtDuration(time.Duration(f.MaxNS)))
	}
	if e := s.Error; e != nil {
		title := "Error"
		if e.Panic {
			title = "Panic"
		}
		section(title)
		out = append(out, styles.bad.Render(errorText(e)))
		if group != nil {
			line := "group " + group.Fingerprint + " · verdict " +
				verdictStyle(severityOf(group.Annotation)).Render(verdict(group.Annotation))
			if group.Regressed {
				line += styles.bad.Render(" · regressed")
			}
			out = append(out, line+styles.dim.Render(" · a triages"))
		}
		if e.Stack != "" {
			for _, l := range stackLines(e.Stack) {
				out = append(out, "  "+strings.ReplaceAll(l, "\t", "    "))
			}
		}
	}
	if len(s.HandledErrors) > 0 {
		section(fmt.Sprintf("Handled errors (%d)", len(s.HandledErrors)))
		for _, e := range s.HandledErrors {
			line := errorText(&e)
			if !e.SpanID.IsZero() {
				line += styles.dim.Render("  from span " + e.SpanID.String())
			}
			out = append(out, styles.warn.Render("• ")+line)
		}
	}
	if len(s.Attrs) > 0 {
		section("Attributes")
		out = append(out, attrLines(s.Attrs, "  ")...)
	}
	var shown []spantree.Event
	for _, ev := range s.Events {
		if ev.Level.Rank() >= level.Rank() {
			shown = append(shown, ev)
		}
	}
	section(fmt.Sprintf("Events ≥ %s (%d of %d)", level, len(shown), len(s.Events)))
	if len(shown) == 0 {
		out = append(out, styles.dim.Render("  none (v changes the level)"))
	}
	for _, ev := range shown {
		lvl := strings.ToUpper(string(ev.Level))
		switch ev.Level {
		case spantree.LevelError:
			lvl = styles.bad.Render(lvl)
		case spantree.LevelWarn:
			lvl = styles.warn.Render(lvl)
		}
		line := ev.Time.Format("15:04:05.000000") + " " + fit(lvl, 5) + " " + ev.Msg
		if len(ev.Attrs) > 0 {
			line += " " + styles.dim.Render(inlineAttrs(ev.Attrs))
		}
		out = append(out, "  "+line)
	}
	if len(s.Links) > 0 {
		section("Links")
		for _, l := range s.Links {
			line := "trace " + l.TraceID.String()
			if !l.SpanID.IsZero() {
				line += " span " + l.SpanID.String()
			}
			if l.Ref != "" {
				line += " (" + l.Ref + ")"
			}
			out = append(out, "  "+line)
		}
	}
	return out
}

func errorText(e *spantree.ErrorInfo) string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

// attrLines prints attrs one per line, sorted by key.
func attrLines(attrs map[string]any, indent string) []string {
	ks := make([]string, 0, len(attrs))
	for k := range attrs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	lines := make([]string, len(ks))
	for i, k := range ks {
		lines[i] = indent + styles.key.Render(k) + " = " + attrValue(attrs[k])
	}
	return lines
}

func inlineAttrs(attrs map[string]any) string {
	ks := make([]string, 0, len(attrs))
	for k := range attrs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for i, k := range ks {
		ks[i] = k + "=" + attrValue(attrs[k])
	}
	return strings.Join(ks, " ")
}

func attrValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// detailPane draws the detail of the selected span in h lines, from the
// pane's scroll offset.
func (v *traceView) detailPane(w, h int) []string {
	cur := v.current()
	if cur == nil {
		return nil
	}
	var group *store.SpanError
	if g, ok := v.groups[cur.span.SpanID]; ok {
		group = &g
	}
	all := detailLines(cur.span, v.level, cur.slow, group)
	v.detailOffset = clamp(v.detailOffset, 0, max(len(all)-h, 0))
	end := min(v.detailOffset+h, len(all))
	lines := make([]string, 0, h)
	for _, l := range all[v.detailOffset:end] {
		lines = append(lines, fit(" "+l, w))
	}
	return lines
}
