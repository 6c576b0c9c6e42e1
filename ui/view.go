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
		return m.ns.title()
	case screenDashboard:
		return "dashboard (last " + fmtWindow(m.cfg.Since) + ")"
	case screenTraces:
		return m.list.title()
	case screenTrace:
		return m.tree.title()
	case screenErrors:
		return m.errs.title()
	case screenSlow:
		return m.slow.title() + " (last " + fmtWindow(m.cfg.Since) + ")"
	case screenAlerts:
		return m.alrt.title()
	}
	return ""
}

// body draws the current screen: each child model draws itself.
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
	case screenSlow:
		return m.slow.view(w, h)
	case screenAlerts:
		return m.alrt.view(w, h, now)
	case screenTrace:
		return m.tree.view(w, h)
	}
	return nil
}

// footer lists the keys of the focused pane, as its child model names them.
func (m model) footer() string {
	var bs []binding
	switch {
	case m.prompt.kind == promptQuery:
		return styles.dim.Render("type to filter · enter keeps · esc clears")
	case m.prompt.kind != promptNone:
		return styles.dim.Render("enter accepts · esc cancels · ctrl+u clears")
	case m.help:
		return styles.dim.Render("any key closes the help · q quits")
	case m.current() == screenNamespaces:
		bs = m.ns.bindings()
	case m.current() == screenDashboard:
		bs = m.dash.bindings()
	case m.current() == screenTraces:
		bs = m.list.bindings()
	case m.current() == screenTrace:
		bs = m.tree.bindings()
	case m.current() == screenErrors:
		bs = m.errs.bindings()
	case m.current() == screenSlow:
		bs = m.slow.bindings()
	case m.current() == screenAlerts:
		bs = m.alrt.bindings()
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = styles.key.Render(b.label) + " " + styles.dim.Render(b.short)
	}
	return strings.Join(parts, "  ")
}
