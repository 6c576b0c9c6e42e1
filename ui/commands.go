package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/spantree/spantree/alert"
	"github.com/spantree/spantree/internal/termtext"
	"github.com/spantree/spantree/store"
)

// Messages: each carries the answer to one command.
type (
	namespacesMsg struct {
		names []string
		err   error
	}
	dashboardMsg struct {
		rows   []store.DashboardRow
		status *store.StatusReport // nil when the receiver gave none
		err    error
	}
	tracesMsg struct {
		key   string // the query the list was loaded for
		items []store.TraceSummary
		err   error
	}
	traceMsg struct {
		id    string
		trace *store.Trace
		err   error
	}
	slowMsg struct {
		spans []store.SlowSpan
		err   error
	}
	alertsMsg struct {
		alerts []alert.Alert
		err    error
	}
	errorsMsg struct {
		groups []store.ErrorGroup
		err    error
	}
	annotatedMsg struct {
		fingerprint string
		prev        *store.Annotation // restored when the receiver refuses
		group       *store.ErrorGroup
		err         error
	}
	tickMsg struct{}
)

// requestTimeout bounds every call to the receiver, so a hung receiver shows
// up as a message instead of a frozen screen.
const requestTimeout = 10 * time.Second

// call runs one request of the receiver with the timeout, and escapes the
// control characters of every string in the answer: span data must not
// reach the terminal as escape sequences (a span name could set the
// window title or clear the screen).
func call[T any](f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	v, err := f(ctx)
	termtext.Sanitize(&v)
	return v, err
}

func loadNamespaces(list func(context.Context) ([]string, error)) tea.Cmd {
	return func() tea.Msg {
		names, err := call(list)
		return namespacesMsg{names: names, err: err}
	}
}

func loadDashboard(b Backend, since time.Duration) tea.Cmd {
	return func() tea.Msg {
		rows, err := call(func(ctx context.Context) ([]store.DashboardRow, error) { return b.Dashboard(ctx, since) })
		// The apps' status line is a bonus: without it (a receiver that
		// does not serve it) the dashboard shows its rows all the same.
		status, _ := call(func(ctx context.Context) (*store.StatusReport, error) { return b.Status(ctx, since) })
		return dashboardMsg{rows: rows, status: status, err: err}
	}
}

func loadTraces(b Backend, key string, q store.TraceQuery) tea.Cmd {
	return func() tea.Msg {
		items, err := call(func(ctx context.Context) ([]store.TraceSummary, error) { return b.Traces(ctx, q) })
		return tracesMsg{key: key, items: items, err: err}
	}
}

func loadTrace(b Backend, id string) tea.Cmd {
	return func() tea.Msg {
		t, err := call(func(ctx context.Context) (*store.Trace, error) { return b.Trace(ctx, id) })
		return traceMsg{id: id, trace: t, err: err}
	}
}

func loadSlow(b Backend, since time.Duration) tea.Cmd {
	return func() tea.Msg {
		spans, err := call(func(ctx context.Context) ([]store.SlowSpan, error) { return b.Slow(ctx, since) })
		return slowMsg{spans: spans, err: err}
	}
}

func loadAlerts(b Backend) tea.Cmd {
	return func() tea.Msg {
		alerts, err := call(func(ctx context.Context) ([]alert.Alert, error) { return b.Alerts(ctx) })
		return alertsMsg{alerts: alerts, err: err}
	}
}

func loadErrors(b Backend, since time.Duration) tea.Cmd {
	return func() tea.Msg {
		gs, err := call(func(ctx context.Context) ([]store.ErrorGroup, error) { return b.Errors(ctx, since) })
		return errorsMsg{groups: gs, err: err}
	}
}

func annotate(b Backend, fp string, a store.Annotation, prev *store.Annotation) tea.Cmd {
	return func() tea.Msg {
		g, err := call(func(ctx context.Context) (*store.ErrorGroup, error) { return b.Annotate(ctx, fp, a) })
		return annotatedMsg{fingerprint: fp, prev: prev, group: g, err: err}
	}
}

func tick(every time.Duration) tea.Cmd {
	if every <= 0 {
		return nil
	}
	return tea.Tick(every, func(time.Time) tea.Msg { return tickMsg{} })
}
