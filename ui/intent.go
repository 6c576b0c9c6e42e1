package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/spantree/spantree/store"
)

// keyCtx is what a screen reads of the root model when it handles a key.
type keyCtx struct {
	page    int     // the body's height in lines
	filters filters // shared by the dashboard and the trace lists
}

// intentKind names what a screen asks of the root model.
type intentKind int

const (
	intentNone      intentKind = iota
	intentNamespace            // use namespace name
	intentTraces               // open the trace list of span name ("" for all)
	intentTrace                // open trace id
	intentPrompt               // open the prompt
	intentFilters              // the shared filters changed
	intentTriage               // open the error groups, selecting want
	intentVerdict              // send a verdict on an error group
	intentFail                 // show msg as an error on the status line
)

// intent is what a screen asks of the root model after a key. The root owns
// the screen stack, the prompt, the shared filters, the status line and the
// backend, so a child changes only itself and says what else must happen;
// the root carries it out (see model.carryOut) in the same Update.
type intent struct {
	kind    intentKind
	name    string      // intentNamespace, intentTraces
	id      string      // intentTrace
	prompt  prompt      // intentPrompt
	filters filters     // intentFilters
	want    errorWant   // intentTriage
	verdict verdictSent // intentVerdict
	msg     string      // intentFail
}

// verdictSent is a verdict shown at once and sent to the receiver; prev is
// put back if the receiver refuses it.
type verdictSent struct {
	fingerprint string
	a           store.Annotation
	prev        *store.Annotation
	status      string // the status line meanwhile ("" leaves it)
}

func failIntent(format string, args ...any) intent {
	return intent{kind: intentFail, msg: fmt.Sprintf(format, args...)}
}

func promptIntent(kind promptKind, label, text string) intent {
	return intent{kind: intentPrompt, prompt: prompt{kind: kind, label: label, text: text}}
}

// tagsPrompt asks for the trace lists' tag filter, showing the current one.
func tagsPrompt(f filters) intent {
	return promptIntent(promptTags, "tags (k:v,k:v; empty clears):", strings.Join(f.tags, ","))
}

// filterKey applies the status and duration toggles to f; ok reports
// whether key was one of them.
func filterKey(key string, f filters) (intent, bool) {
	switch {
	case keys.Status.is(key):
		f.status = (f.status + 1) % 4
	case keys.Speed.is(key):
		f.speed = (f.speed + 1) % 3
	default:
		return intent{}, false
	}
	return intent{kind: intentFilters, filters: f}, true
}

// screenKey hands key to the child model of the current screen, which owns
// it, and carries out what the child asks.
func (m model) screenKey(key string) (tea.Model, tea.Cmd) {
	c := keyCtx{page: m.bodyHeight(), filters: m.filters}
	var it intent
	switch m.current() {
	case screenNamespaces:
		m.ns, it = m.ns.update(key, c)
	case screenDashboard:
		m.dash, it = m.dash.update(key, c)
	case screenTraces:
		m.list, it = m.list.update(key, c)
	case screenTrace:
		m.tree, it = m.tree.update(key, c)
	case screenErrors:
		m.errs, it = m.errs.update(key, c)
	case screenSlow:
		m.slow, it = m.slow.update(key, c)
	case screenAlerts:
		m.alrt, it = m.alrt.update(key, c)
	}
	return m.carryOut(it)
}

// carryOut does what a child model asked for (see intent).
func (m model) carryOut(it intent) (model, tea.Cmd) {
	switch it.kind {
	case intentNamespace:
		return m.useNamespace(it.name)
	case intentTraces:
		m.list = traceList{name: it.name}
		m = m.push(screenTraces)
		return m, m.loadList()
	case intentTrace:
		return m.openTrace(it.id)
	case intentPrompt:
		m.prompt = it.prompt
	case intentFilters:
		m.filters = it.filters
		m.dash.refilter(m.filters)
		if m.current() == screenTraces {
			return m, m.loadList()
		}
	case intentTriage:
		m.errs.want = it.want
		m = m.push(screenErrors)
		return m, m.reload(true)
	case intentVerdict:
		v := it.verdict
		a := v.a
		m.tree.setVerdict(v.fingerprint, &a)
		if v.status != "" {
			m.flash, m.flashErr = v.status, false
		}
		return m, annotate(m.backend, v.fingerprint, v.a, v.prev)
	case intentFail:
		return m.failf("%s", it.msg), nil
	}
	return m, nil
}
