package ui

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/spantree/spantree/query"
	"github.com/spantree/spantree/store"
)

// promptKind says what a line of input is for.
type promptKind int

const (
	promptNone   promptKind = iota
	promptQuery             // `/`: filters as you type
	promptTags              // `t`: k:v[,k:v]
	promptFind              // `f`: a trace id
	promptNote              // `i`: a note on an error group
	promptSearch            // `/` on a trace list: the query language, sent on enter
)

// prompt is a one-line editor at the bottom of the screen.
type prompt struct {
	kind  promptKind
	label string
	text  string
	// err is why text was refused (a search that does not parse): the
	// view marks its position; the next edit clears it.
	err *query.Error
}

// edit applies one key; done is set by enter, cancelled by esc.
func (p *prompt) edit(k tea.KeyPressMsg) (done, cancelled bool) {
	if k.String() != "enter" {
		p.err = nil
	}
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
	if p.err == nil {
		return styles.key.Render(p.label) + " " + p.text + "█"
	}
	// The character where the search went wrong, in reverse video (a
	// space past the end), then the message.
	r := []rune(p.text)
	at := min(max(p.err.Pos-1, 0), len(r))
	mark := " "
	if at < len(r) {
		mark = string(r[at])
	}
	rest := ""
	if at+1 < len(r) {
		rest = string(r[at+1:])
	}
	return styles.key.Render(p.label) + " " + string(r[:at]) + styles.selected.Render(mark) + rest + "  " +
		styles.bad.Render(p.err.Error())
}

func (m model) promptKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	p := &m.prompt
	done, cancelled := p.edit(k)
	kind, text := p.kind, strings.TrimSpace(p.text)
	if cancelled {
		m.prompt = prompt{}
		if kind == promptQuery { // esc also drops the half-typed query
			m.setQuery("")
		}
		return m, nil
	}
	if kind == promptQuery {
		m.setQuery(text)
	}
	if !done {
		return m, nil
	}
	if kind == promptSearch {
		where, err := query.Parse(text)
		if err != nil {
			var qe *query.Error
			errors.As(err, &qe)
			p.err = qe // the prompt stays open on the text, to be fixed
			return m, nil
		}
		m.prompt = prompt{}
		m.list.setSearch(text, where)
		return m, m.loadList()
	}
	m.prompt = prompt{}
	switch kind {
	case promptTags:
		tags, err := parseTags(text)
		if err != nil {
			return m.fail(err), nil
		}
		m.filters.tags = tags
		if m.current() == screenTraces {
			return m, m.loadList()
		}
		m.list = traceList{}
		m = m.push(screenTraces)
		return m, m.loadList()
	case promptFind:
		return m.openTrace(text)
	case promptNote:
		var it intent
		m.errs, it = m.errs.withNote(text)
		return m.carryOut(it)
	}
	return m, nil
}

func (m *model) setQuery(q string) {
	switch m.current() {
	case screenDashboard:
		m.dash.setQuery(q, m.filters)
	}
}

// parseTags reads "k:v,k:v" (or k=v), where run:142 and shop#142 are run
// numbers (store.RunTerm); empty clears the filter.
func parseTags(s string) ([]string, error) {
	var tags []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if _, _, ok := store.RunTerm(f); ok {
			tags = append(tags, f)
			continue
		}
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			k, v, ok = strings.Cut(f, "=")
		}
		if !ok || k == "" {
			return nil, fmt.Errorf("tag filter %q: want key:value", f)
		}
		tags = append(tags, k+":"+v)
	}
	return tags, nil
}
