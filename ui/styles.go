package ui

import "charm.land/lipgloss/v2"

// styles holds every lipgloss style the views use, so colours live in one
// place. Goldens compare text with ANSI stripped; colours are checked by eye.
var styles = struct {
	title, header, selected, dim, bad, warn, good, running, slow, key, status, errLine, bar, barBad, goroutine, service, box lipgloss.Style
}{
	title:     lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
	header:    lipgloss.NewStyle().Bold(true).Underline(true),
	selected:  lipgloss.NewStyle().Reverse(true),
	dim:       lipgloss.NewStyle().Faint(true),
	bad:       lipgloss.NewStyle().Foreground(lipgloss.Color("9")).Bold(true),
	warn:      lipgloss.NewStyle().Foreground(lipgloss.Color("11")),
	good:      lipgloss.NewStyle().Foreground(lipgloss.Color("10")),
	running:   lipgloss.NewStyle().Foreground(lipgloss.Color("14")),
	slow:      lipgloss.NewStyle().Foreground(lipgloss.Color("13")),
	key:       lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("14")),
	status:    lipgloss.NewStyle().Foreground(lipgloss.Color("10")),
	errLine:   lipgloss.NewStyle().Foreground(lipgloss.Color("15")).Background(lipgloss.Color("1")).Bold(true),
	bar:       lipgloss.NewStyle().Foreground(lipgloss.Color("4")),
	barBad:    lipgloss.NewStyle().Foreground(lipgloss.Color("9")),
	goroutine: lipgloss.NewStyle().Foreground(lipgloss.Color("13")),
	service:   lipgloss.NewStyle().Foreground(lipgloss.Color("6")),
	box:       lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1),
}

// verdictStyle colours a triage verdict or severity.
func verdictStyle(v string) lipgloss.Style {
	switch v {
	case "alert", "unannotated":
		return styles.bad
	case "warn":
		return styles.warn
	case "ok":
		return styles.good
	}
	return styles.dim
}
