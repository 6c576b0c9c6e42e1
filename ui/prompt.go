package ui

import (
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

// promptKind says what a line of input is for.
type promptKind int

const (
	promptNone  promptKind = iota
	promptQuery            // `/`: filters as you type
	promptTags             // `t`: k:v[,k:v]
	promptFind             // `f`: a trace id
	promptNote             // `i`: a note on an error group
)

// prompt is a one-line editor at the bottom of the screen.
type prompt struct {
	kind  promptKind
	label string
	text  string
}

// edit applies one key; done is set by enter, cancelled by esc.
func (p *prompt) edit(k tea.KeyPressMsg) (done, cancelled bool) {
	switch k.String() {
	case "enter":
		return true, false
	case "esc":
		return false, true
	case "backspace":
		if p.text != "" {
			_, n := utf8.DecodeLastRuneInString(p.text)
			p.text = p.text[:len(p.text)-n]
		}
	case "ctrl+u":
		p.text = ""
	case "space":
		p.text += " "
	default:
		if k.Text != "" && k.Mod&^tea.ModShift == 0 {
			p.text += k.Text
		}
	}
	return false, false
}

func (p *prompt) view() string {
	return styles.key.Render(p.label) + " " + p.text + "█"
}
