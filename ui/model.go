package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	spantree "github.com/spantree/spantree/runtime"
)

// screen names what the body of the window shows.
type screen int

const (
	screenNamespaces screen = iota
	screenDashboard
	screenTraces
	screenTrace
	screenErrors
	screenSlow
	screenAlerts
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
	slow slowSpans
	alrt alertList

	prompt     prompt
	help       bool
	helpOffset int
	flash      string // the status line
	flashErr   bool
	// flashLoad: the error is a request's to the receiver, which its next
	// answer makes stale; one about what the person asked for (no such
	// trace) stays until the next key.
	flashLoad bool
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
		m.ns.receive(msg)
		if len(msg.names) == 1 && m.backend == nil {
			return m.useNamespace(msg.names[0])
		}
		return m, nil
	case dashboardMsg:
		if err := m.dash.receive(msg, m.filters); err != nil {
			return m.fail(err), nil
		}
		m.clearStaleError()
		return m, nil
	case tracesMsg:
		current, err := m.list.receive(msg, m.filters)
		return m.answered(current, err), nil
	case traceMsg:
		current, err := m.tree.receive(msg)
		if current && err != nil {
			if m.tree.trace == nil && m.current() == screenTrace {
				// Nothing to show: go back to where the request came from.
				m.screens = m.screens[:len(m.screens)-1]
			}
			if notFound(err) {
				return m.failf("no trace %s in this namespace", msg.id), nil
			}
		}
		return m.answered(current, err), nil
	case slowMsg:
		if err := m.slow.receive(msg); err != nil {
			return m.fail(err), nil
		}
		m.clearStaleError()
		return m, nil
	case alertsMsg:
		if err := m.alrt.receive(msg); err != nil {
			return m.fail(err), nil
		}
		m.clearStaleError()
		return m, nil
	case errorsMsg:
		if err := m.errs.receive(msg); err != nil {
			return m.fail(err), nil
		}
		m.clearStaleError()
		return m, nil
	case annotatedMsg:
		found := m.errs.answered(msg)
		if msg.err != nil {
			if found {
				m.tree.setVerdict(msg.fingerprint, msg.prev)
			}
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
	m.flash, m.flashErr, m.flashLoad = describe(err), true, true
	return m
}

func (m model) failf(format string, args ...any) model {
	m.flash, m.flashErr, m.flashLoad = fmt.Sprintf(format, args...), true, false
	return m
}

// clearStaleError drops the error of a request to the receiver once the
// receiver answers again (a live refresh, say); a message about what the
// person asked for stays.
func (m *model) clearStaleError() {
	if m.flashErr && m.flashLoad {
		m.flash, m.flashErr, m.flashLoad = "", false, false
	}
}

// answered shows the outcome of an answer to a screen's request: its error,
// or none any more. An answer to a request since replaced changes nothing.
func (m model) answered(current bool, err error) model {
	switch {
	case !current:
	case err != nil:
		return m.fail(err)
	default:
		m.clearStaleError()
	}
	return m
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
	case screenSlow:
		if m.slow.loading && !force {
			return nil
		}
		m.slow.loading = true
		return loadSlow(m.backend, m.cfg.Since)
	case screenAlerts:
		if m.alrt.loading && !force {
			return nil
		}
		m.alrt.loading = true
		return loadAlerts(m.backend)
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
		case keys.Slow.is(key) && m.current() != screenSlow:
			m = m.push(screenSlow)
			return m, m.reload(true)
		case keys.Alerts.is(key) && m.current() != screenAlerts:
			m = m.push(screenAlerts)
			return m, m.reload(true)
		case keys.Traces.is(key):
			m.list = traceList{}
			m = m.push(screenTraces)
			return m, m.loadList()
		}
	}
	return m.screenKey(key)
}

// back is Esc: the current screen may take it (to clear a query or move the
// focus); otherwise the screen is popped.
func (m model) back() (tea.Model, tea.Cmd) {
	m.flash, m.flashErr = "", false
	handled := false
	switch m.current() {
	case screenDashboard:
		m.dash, handled = m.dash.back(m.filters)
	case screenTraces:
		if m.list, handled = m.list.back(m.filters); handled {
			return m, m.loadList() // the search cleared
		}
	case screenTrace:
		m.tree, handled = m.tree.back()
	}
	if handled {
		return m, nil
	}
	if len(m.screens) > 1 {
		m.screens = m.screens[:len(m.screens)-1]
		return m, m.reload(false)
	}
	return m, nil
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
