package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// screen names what the body of the window shows.
type screen int

const (
	screenNamespaces screen = iota
	screenDashboard
	screenTraces
	screenTrace
	screenErrors
)

// Config holds the knobs of a UI session.
type Config struct {
	Since   time.Duration // the dashboard's and error list's window
	Slow    time.Duration // the slow / fast threshold
	Refresh time.Duration // poll interval for live refresh; 0 turns it off
	Limit   int           // traces per list
	Source  string        // shown in the title: the address or the database
}

// connector opens a backend per namespace (`-db PATH`).
type connector struct {
	list func(context.Context) ([]string, error)
	open func(namespace string) Backend
}

// model is the root model: it owns the screen stack, the prompt, the help
// overlay and the status line, and delegates each screen to a child.
type model struct {
	cfg       Config
	backend   Backend    // nil until a namespace is chosen
	conn      *connector // nil with -addr
	namespace string
	now       func() time.Time

	width, height int
	screens       []screen // a stack: Esc pops
	filters       filters

	ns   namespaces
	dash dashboard
	list traceList
	tree traceView
	errs errorGroups

	prompt     prompt
	help       bool
	helpOffset int
	flash      string // the status line
	flashErr   bool
}

// newModel returns the root model. Exactly one of b and conn is non-nil.
func newModel(cfg Config, b Backend, conn *connector, now func() time.Time) model {
	m := model{cfg: cfg, backend: b, conn: conn, now: now, width: 80, height: 24,
		filters: filters{slow: cfg.Slow}}
	m.tree.level = spantree.LevelInfo
	if b == nil {
		m.screens = []screen{screenNamespaces}
	} else {
		m.screens = []screen{screenDashboard}
	}
	return m
}

func (m model) current() screen { return m.screens[len(m.screens)-1] }

// Init loads the first screen and starts the refresh clock.
func (m model) Init() tea.Cmd {
	if m.backend == nil {
		return loadNamespaces(m.conn.list)
	}
	return tea.Batch(loadDashboard(m.backend, m.cfg.Since), tick(m.cfg.Refresh))
}

// Update is a pure function of the model and the message: all I/O happens in
// the commands it returns.
func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case namespacesMsg:
		m.ns.loaded, m.ns.names, m.ns.err = true, msg.names, msg.err
		if len(msg.names) == 1 && m.backend == nil {
			return m.useNamespace(msg.names[0])
		}
		return m, nil
	case dashboardMsg:
		m.dash.loading = false
		if msg.err != nil {
			m.dash.err = msg.err
			return m.fail(msg.err), nil
		}
		m.dash.rows, m.dash.loaded, m.dash.err = msg.rows, true, nil
		m.dash.refilter(m.filters)
		m.clearStaleError()
		return m, nil
	case tracesMsg:
		if msg.key != m.list.key {
			return m, nil // an answer to a query since replaced
		}
		m.list.loading = false
		if msg.err != nil {
			m.list.err = msg.err
			return m.fail(msg.err), nil
		}
		m.list.items, m.list.loaded, m.list.err = msg.items, true, nil
		m.list.refilter(m.filters)
		m.clearStaleError()
		return m, nil
	case traceMsg:
		if msg.id != m.tree.id {
			return m, nil
		}
		m.tree.loading = false
		if msg.err != nil {
			if m.tree.trace == nil && m.current() == screenTrace {
				// Nothing to show: go back to where the request came from.
				m.screens = m.screens[:len(m.screens)-1]
			}
			if client.IsStatus(msg.err, http.StatusNotFound) {
				return m.failf("no trace %s in this namespace", msg.id), nil
			}
			return m.fail(msg.err), nil
		}
		m.tree.setTrace(msg.trace)
		m.clearStaleError()
		return m, nil
	case errorsMsg:
		m.errs.loading = false
		if msg.err != nil {
			m.errs.err = msg.err
			return m.fail(msg.err), nil
		}
		m.errs.setGroups(msg.groups)
		m.clearStaleError()
		return m, nil
	case annotatedMsg:
		m.errs.groups = slices.Clone(m.errs.groups)
		for i := range m.errs.groups {
			g := &m.errs.groups[i]
			if g.Fingerprint != msg.fingerprint {
				continue
			}
			if msg.err != nil {
				g.Annotation = msg.prev
				m.tree.setVerdict(msg.fingerprint, msg.prev)
			} else if msg.group != nil {
				*g = *msg.group
			}
		}
		if msg.err != nil {
			return m.failf("annotate %s: %s", msg.fingerprint, describe(msg.err)), nil
		}
		if msg.group == nil {
			return m, nil
		}
		m.tree.setVerdict(msg.fingerprint, msg.group.Annotation)
		m.flash, m.flashErr = "saved: "+verdict(msg.group.Annotation), false
		// The dashboard's verdicts changed too.
		return m, loadDashboard(m.backend, m.cfg.Since)
	case tickMsg:
		return m, tea.Batch(m.reload(false), tick(m.cfg.Refresh))
	}
	return m, nil
}

// fail shows err on the status line.
func (m model) fail(err error) model {
	m.flash, m.flashErr = describe(err), true
	return m
}

func (m model) failf(format string, args ...any) model {
	m.flash, m.flashErr = fmt.Sprintf(format, args...), true
	return m
}

// clearStaleError drops an error message once the receiver answers again.
func (m *model) clearStaleError() {
	if m.flashErr {
		m.flash, m.flashErr = "", false
	}
}

// reload fetches the data of the current screen again. Unless forced it
// skips a screen whose last request is still out, and a finished trace.
func (m *model) reload(force bool) tea.Cmd {
	if m.backend == nil {
		if force && m.conn != nil {
			return loadNamespaces(m.conn.list)
		}
		return nil
	}
	switch m.current() {
	case screenDashboard:
		if m.dash.loading && !force {
			return nil
		}
		m.dash.loading = true
		return loadDashboard(m.backend, m.cfg.Since)
	case screenTraces:
		if m.list.loading && !force {
			return nil
		}
		return m.loadList()
	case screenTrace:
		if m.tree.loading || (!force && m.tree.trace != nil && m.tree.running == 0) {
			return nil
		}
		m.tree.loading = true
		return loadTrace(m.backend, m.tree.id)
	case screenErrors:
		if m.errs.loading && !force {
			return nil
		}
		m.errs.loading = true
		return loadErrors(m.backend, 0)
	}
	return nil
}

func (m *model) loadList() tea.Cmd {
	q := m.list.traceQuery(m.filters, m.cfg.Limit)
	m.list.key, m.list.loading = queryKey(q), true
	return loadTraces(m.backend, m.list.key, q)
}

func (m model) useNamespace(name string) (model, tea.Cmd) {
	m.backend, m.namespace = m.conn.open(name), name
	m.dash = dashboard{}
	m.screens = []screen{screenDashboard}
	m.dash.loading = true
	return m, tea.Batch(loadDashboard(m.backend, m.cfg.Since), tick(m.cfg.Refresh))
}

func (m model) push(s screen) model {
	if m.current() != s {
		m.screens = append(m.screens, s)
	}
	return m
}

// bodyHeight is the number of lines between the title and the two bottom lines.
func (m model) bodyHeight() int { return max(m.height-3, 1) }

func (m model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	key := k.String()
	if key == "ctrl+c" {
		return m, tea.Quit
	}
	if m.prompt.kind != promptNone {
		return m.promptKey(k)
	}
	if m.help {
		switch {
		case keys.Quit.is(key):
			return m, tea.Quit
		case keys.Up.is(key):
			m.helpOffset = max(m.helpOffset-1, 0)
		case keys.Down.is(key):
			m.helpOffset++
		default:
			m.help = false
		}
		return m, nil
	}
	switch {
	case keys.Quit.is(key):
		return m, tea.Quit
	case keys.Help.is(key):
		m.help, m.helpOffset = true, 0
		return m, nil
	case keys.Back.is(key):
		return m.back()
	case keys.Refresh.is(key):
		m.flash, m.flashErr = "", false
		return m, m.reload(true)
	case keys.Namespace.is(key) && m.conn != nil:
		m.screens = []screen{screenNamespaces}
		m.ns.loaded = false
		return m, loadNamespaces(m.conn.list)
	}
	if m.backend != nil {
		switch {
		case keys.Find.is(key):
			m.prompt = prompt{kind: promptFind, label: "trace id (KSUID or 32 hex):"}
			return m, nil
		case keys.Errors.is(key) && m.current() != screenErrors:
			m = m.push(screenErrors)
			return m, m.reload(true)
		case keys.Traces.is(key):
			m.list = traceList{}
			m = m.push(screenTraces)
			return m, m.loadList()
		}
	}
	switch m.current() {
	case screenNamespaces:
		return m.namespacesKey(key)
	case screenDashboard:
		return m.dashboardKey(key)
	case screenTraces:
		return m.tracesKey(key)
	case screenTrace:
		return m.traceKey(key)
	case screenErrors:
		return m.errorsKey(key)
	}
	return m, nil
}

// back is Esc: clear the query of a list first, then pop the screen.
func (m model) back() (tea.Model, tea.Cmd) {
	m.flash, m.flashErr = "", false
	switch m.current() {
	case screenDashboard:
		if m.dash.query != "" {
			m.dash.query = ""
			m.dash.refilter(m.filters)
		}
		return m, nil
	case screenTraces:
		if m.list.query != "" {
			m.list.query = ""
			m.list.refilter(m.filters)
			return m, nil
		}
	case screenTrace:
		if m.tree.focusDetail {
			m.tree.focusDetail = false
			return m, nil
		}
	}
	if len(m.screens) > 1 {
		m.screens = m.screens[:len(m.screens)-1]
		return m, m.reload(false)
	}
	return m, nil
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
		g := m.errs.selected()
		if g == nil {
			return m, nil
		}
		a := store.Annotation{Kind: "crash", Severity: "warn"}
		if g.Annotation != nil {
			a = *g.Annotation
		}
		a.Note = text
		m.errs.groups = slices.Clone(m.errs.groups)
		g = &m.errs.groups[m.errs.cursor]
		prev := g.Annotation
		g.Annotation = &a
		m.tree.setVerdict(g.Fingerprint, &a)
		return m, annotate(m.backend, g.Fingerprint, a, prev)
	}
	return m, nil
}

func (m *model) setQuery(q string) {
	switch m.current() {
	case screenDashboard:
		m.dash.query = q
		m.dash.refilter(m.filters)
	case screenTraces:
		m.list.query = q
		m.list.refilter(m.filters)
	}
}

// parseTags reads "k:v,k:v" (or k=v); empty clears the filter.
func parseTags(s string) ([]string, error) {
	var tags []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
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

// openTrace validates id and opens the trace screen for it.
func (m model) openTrace(id string) (model, tea.Cmd) {
	if _, err := spantree.ParseTraceID(id); err != nil {
		return m.fail(err), nil
	}
	level := m.tree.level
	m.tree = traceView{id: id, level: level, loading: true}
	m = m.push(screenTrace)
	return m, loadTrace(m.backend, id)
}

func (m model) namespacesKey(key string) (tea.Model, tea.Cmd) {
	if c, ok := moveCursor(key, m.ns.cursor, len(m.ns.names), m.bodyHeight()); ok {
		m.ns.cursor = c
		return m, nil
	}
	if keys.Open.is(key) && m.ns.cursor < len(m.ns.names) {
		return m.useNamespace(m.ns.names[m.ns.cursor])
	}
	return m, nil
}

func (m model) dashboardKey(key string) (tea.Model, tea.Cmd) {
	if m.dash.move(key, m.bodyHeight()-2) {
		return m, nil
	}
	switch {
	case keys.Open.is(key):
		if r := m.dash.selected(); r != nil {
			m.list = traceList{name: r.Name}
			m = m.push(screenTraces)
			return m, m.loadList()
		}
	case keys.Query.is(key):
		m.prompt = prompt{kind: promptQuery, label: "/", text: m.dash.query}
	case keys.Tags.is(key):
		m.prompt = prompt{kind: promptTags, label: "tags (k:v,k:v; empty clears):", text: strings.Join(m.filters.tags, ",")}
	case keys.Status.is(key):
		m.filters.status = (m.filters.status + 1) % 4
		m.dash.refilter(m.filters)
	case keys.Speed.is(key):
		m.filters.speed = (m.filters.speed + 1) % 3
		m.dash.refilter(m.filters)
	case keys.Sort.is(key):
		m.dash.sort = (m.dash.sort + 1) % numSortKeys
		m.dash.refilter(m.filters)
	}
	return m, nil
}

func (m model) tracesKey(key string) (tea.Model, tea.Cmd) {
	if c, ok := moveCursor(key, m.list.cursor, len(m.list.shown), m.bodyHeight()-2); ok {
		m.list.cursor = c
		return m, nil
	}
	switch {
	case keys.Open.is(key):
		if t := m.list.selected(); t != nil {
			return m.openTrace(t.TraceID.String())
		}
	case keys.Query.is(key):
		m.prompt = prompt{kind: promptQuery, label: "/", text: m.list.query}
	case keys.Tags.is(key):
		m.prompt = prompt{kind: promptTags, label: "tags (k:v,k:v; empty clears):", text: strings.Join(m.filters.tags, ",")}
	case keys.Status.is(key):
		m.filters.status = (m.filters.status + 1) % 4
		m.dash.refilter(m.filters)
		return m, m.loadList()
	case keys.Speed.is(key):
		m.filters.speed = (m.filters.speed + 1) % 3
		m.dash.refilter(m.filters)
		return m, m.loadList()
	}
	return m, nil
}

func (m model) traceKey(key string) (tea.Model, tea.Cmd) {
	t := &m.tree
	if t.trace == nil {
		return m, nil
	}
	switch {
	case keys.Focus.is(key):
		t.focusDetail = !t.focusDetail
		return m, nil
	case keys.Level.is(key):
		t.level = nextLevel(t.level)
		return m, nil
	case keys.Triage.is(key):
		cur := t.current()
		if cur == nil {
			return m, nil
		}
		if cur.span.Error == nil {
			return m.failf("%s did not fail: nothing to triage", cur.span.Name), nil
		}
		s := cur.span
		m.errs.want = errorWant{fingerprint: t.groups[s.SpanID].Fingerprint, name: s.Name, location: s.Location, typ: s.Error.Type, message: s.Error.Message}
		m = m.push(screenErrors)
		return m, m.reload(true)
	}
	if t.focusDetail {
		switch {
		case keys.Up.is(key):
			t.detailOffset = max(t.detailOffset-1, 0)
		case keys.Down.is(key):
			t.detailOffset++
		case keys.PageUp.is(key):
			t.detailOffset = max(t.detailOffset-m.bodyHeight()/2, 0)
		case keys.PageDown.is(key):
			t.detailOffset += m.bodyHeight() / 2
		}
		return m, nil
	}
	// The tree's slices are shared with the previous model value: copy
	// before changing them, so Update stays pure.
	t.folded, t.visible = slices.Clone(t.folded), slices.Clone(t.visible)
	t.navigate(key, m.treeHeight())
	return m, nil
}

func (m model) errorsKey(key string) (tea.Model, tea.Cmd) {
	e := &m.errs
	if c, ok := moveCursor(key, e.cursor, len(e.groups), m.bodyHeight()-4); ok {
		e.cursor = c
		return m, nil
	}
	g := e.selected()
	if g == nil {
		return m, nil
	}
	switch {
	case keys.Open.is(key):
		if g.LastTraceID.IsZero() {
			return m.failf("no trace recorded for this group"), nil
		}
		return m.openTrace(g.LastTraceID.String())
	case keys.Note.is(key):
		note := ""
		if g.Annotation != nil {
			note = g.Annotation.Note
		}
		m.prompt = prompt{kind: promptNote, label: "note:", text: note}
		return m, nil
	}
	a, ok := amend(g.Annotation, key)
	if !ok {
		return m, nil
	}
	// Shown at once; put back if the receiver refuses.
	e.groups = slices.Clone(e.groups)
	g = &e.groups[e.cursor]
	prev := g.Annotation
	g.Annotation = &a
	m.tree.setVerdict(g.Fingerprint, &a)
	m.flash, m.flashErr = "saving…", false
	return m, annotate(m.backend, g.Fingerprint, a, prev)
}
