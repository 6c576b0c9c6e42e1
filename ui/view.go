package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
)

// View draws the whole window: a title line, the body of the current screen
// (or the help), the status line and the footer with key hints.
func (m model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "spantree ui"
	return v
}

// render is View's text, kept apart for the golden tests.
func (m model) render() string {
	w, h := max(m.width, 20), max(m.height, 4)
	body := m.bodyHeight()
	lines := make([]string, 0, h)
	lines = append(lines, fit(m.title(), w))
	var content []string
	if m.help {
		content = helpView(w, body, m.helpOffset)
	} else {
		content = m.body(w, body)
	}
	for i := range body {
		line := ""
		if i < len(content) {
			line = content[i]
		}
		lines = append(lines, fit(line, w))
	}
	switch {
	case m.prompt.kind != promptNone:
		lines = append(lines, fit(m.prompt.view(), w))
	case m.flashErr:
		lines = append(lines, styles.errLine.Render(fit(" "+m.flash, w)))
	default:
		lines = append(lines, fit(styles.status.Render(m.flash), w))
	}
	lines = append(lines, fit(m.footer(), w))
	return strings.Join(lines[:h], "\n")
}

func (m model) title() string {
	parts := []string{styles.title.Render("spantree")}
	if m.cfg.Source != "" {
		parts = append(parts, m.cfg.Source)
	}
	if m.namespace != "" {
		parts = append(parts, "namespace "+m.namespace)
	}
	switch {
	case m.help:
		parts = append(parts, "help")
	default:
		parts = append(parts, m.screenTitle())
	}
	return strings.Join(parts, " · ")
}

func (m model) screenTitle() string {
	switch m.current() {
	case screenNamespaces:
		return "namespaces"
	case screenDashboard:
		return "dashboard (last " + fmtWindow(m.cfg.Since) + ")"
	case screenTraces:
		return m.list.title()
	case screenTrace:
		return "trace"
	case screenErrors:
		return "error groups"
	}
	return ""
}

func (m model) body(w, h int) []string {
	now := m.now()
	switch m.current() {
	case screenNamespaces:
		return m.ns.view(w, h)
	case screenDashboard:
		return m.dash.view(w, h, m.filters, now)
	case screenTraces:
		return m.list.view(w, h, m.filters, now)
	case screenErrors:
		return m.errs.view(w, h, now)
	case screenTrace:
		return m.traceBody(w, h)
	}
	return nil
}

// treeHeight is how many tree lines the trace screen shows: as many as the
// tree has, up to three fifths of the body; the rest (less the header and a
// rule) is the detail pane's.
func (m model) treeHeight() int {
	return clamp(len(m.tree.visible), 1, max(m.bodyHeight()*3/5-1, 1))
}

func (m model) traceBody(w, h int) []string {
	t := &m.tree
	if t.trace == nil {
		return []string{"", styles.dim.Render("loading trace " + t.id + "…")}
	}
	lines := []string{fit(t.header(), w)}
	th := m.treeHeight()
	lines = append(lines, t.treeLines(w, th)...)
	for len(lines) < th+1 {
		lines = append(lines, "")
	}
	focus := "tab: focus the detail"
	if t.focusDetail {
		focus = "detail focused: j/k scroll, tab back to the tree"
	}
	lines = append(lines, styles.dim.Render(fit("── detail · events ≥ "+string(t.level)+" (v) · "+focus+" ", w)))
	return append(lines, t.detailPane(w, h-len(lines))...)
}

// footer lists the keys of the focused pane.
func (m model) footer() string {
	k := keys
	var bs []binding
	switch {
	case m.prompt.kind == promptQuery:
		return styles.dim.Render("type to filter · enter keeps · esc clears")
	case m.prompt.kind != promptNone:
		return styles.dim.Render("enter accepts · esc cancels · ctrl+u clears")
	case m.help:
		return styles.dim.Render("any key closes the help · q quits")
	case m.current() == screenNamespaces:
		bs = []binding{k.Up, k.Down, k.Open, k.Quit}
	case m.current() == screenDashboard:
		bs = []binding{k.Open, k.Query, k.Status, k.Speed, k.Tags, k.Sort, k.Find, k.Errors, k.Traces, k.Help, k.Quit}
	case m.current() == screenTraces:
		bs = []binding{k.Open, k.Query, k.Status, k.Speed, k.Tags, k.Back, k.Help, k.Quit}
	case m.current() == screenTrace && m.tree.focusDetail:
		bs = []binding{k.Up, k.Down, k.Focus, k.Level, k.Back, k.Help, k.Quit}
	case m.current() == screenTrace:
		bs = []binding{k.Prev, k.Next, k.Parent, k.Child, k.Fold, k.NextFailed, k.Focus, k.Level, k.Triage, k.Back, k.Help}
	case m.current() == screenErrors:
		bs = []binding{k.Crash, k.Silence, k.OK, k.Warn, k.Alert, k.Note, k.Open, k.Back, k.Help}
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = styles.key.Render(b.label) + " " + styles.dim.Render(b.short)
	}
	return strings.Join(parts, "  ")
}
