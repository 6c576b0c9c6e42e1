package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/query"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// selectedSpan names the span under the cursor of the trace screen.
func selectedSpan(m model) string {
	if n := m.tree.current(); n != nil {
		return n.span.Name
	}
	return ""
}

// TestUpdateTraceNavigation walks the checkout trace with the tree keys.
func TestUpdateTraceNavigation(t *testing.T) {
	tests := []struct {
		keys string
		want string // the selected span
		vis  int    // visible lines
	}{
		{"", "shop.(*Server).Checkout", 7},
		{"j", "shop.loadCart", 7}, // a root without siblings: the line below
		{"l", "shop.loadCart", 7},
		{"right", "shop.loadCart", 7},
		{"l j", "shop.(*Server).Checkout.Go#1", 7},     // next sibling skips loadCart's child
		{"l j j k", "shop.(*Server).Checkout.Go#1", 7}, // back up a sibling
		{"l down down up", "shop.(*Server).Checkout.Go#1", 7},
		{"l l", "shop.price", 7},
		{"l l h", "shop.loadCart", 7},
		{"l l left h", "shop.(*Server).Checkout", 7},
		{"l l j", "shop.(*Server).Checkout.Go#1", 7}, // last child: the line below
		{"l space", "shop.loadCart", 6},              // fold
		{"l space space", "shop.loadCart", 7},        // unfold
		{"l space l", "shop.price", 7},               // into a folded subtree unfolds it
		{"z", "shop.(*Server).Checkout", 5},
		{"z Z", "shop.(*Server).Checkout", 7},
		{"z n", "shop.dialPayments", 5}, // next failed
		{"n n", "shop.charge", 7},
		{"n n n", "shop.(*Server).Checkout", 7}, // wraps around
		{"G", "shop.charge", 7},
		{"G g", "shop.(*Server).Checkout", 7},
		{"l space G l l", "shop.charge", 6},       // a leaf has no child
		{"tab j j", "shop.(*Server).Checkout", 7}, // j scrolls the focused detail
		{"tab tab j", "shop.loadCart", 7},
	}
	base := drive(started(newFake(), 100, 30), keysOf("T j enter"), nil)
	for _, tt := range tests {
		t.Run(tt.keys, func(t *testing.T) {
			m := drive(base, keysOf(tt.keys), nil)
			if got := selectedSpan(m); got != tt.want {
				t.Errorf("after %q the selection is %q; want %q", tt.keys, got, tt.want)
			}
			if got := len(m.tree.visible); got != tt.vis {
				t.Errorf("after %q %d lines are visible; want %d", tt.keys, got, tt.vis)
			}
		})
	}
	if got := selectedSpan(base); got != "shop.(*Server).Checkout" {
		t.Errorf("the base model changed under the subtests: selection %q", got)
	}
}

// TestUpdateIsPure checks that Update leaves the model it was given alone,
// even for keys that change slices (folds, annotations, filters).
func TestUpdateIsPure(t *testing.T) {
	for _, tc := range []struct{ setup, keys string }{
		{"T j enter", "l space"},
		{"T j enter", "z"},
		{"e", "c"},
		{"e", "m"},
		{"", "s"},
		{"", "o"},
		{"", "/ 'pay'"},
	} {
		before := drive(started(newFake(), 100, 30), keysOf(tc.setup), nil)
		want := screenText(before)
		_ = drive(before, keysOf(tc.keys), nil)
		if got := screenText(before); got != want {
			t.Errorf("after %q then %q the earlier model draws differently (-want +got):\n%s", tc.setup, tc.keys, cmp.Diff(want, got))
		}
	}
}

// TestUpdateScreens checks where keys lead and what status line they leave.
func TestUpdateScreens(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(*fake)
		keys     string
		screens  []screen
		flash    string
		flashErr bool
		wantQuit bool
	}{
		{name: "start", screens: []screen{screenDashboard}},
		{name: "open name", keys: "enter", screens: []screen{screenDashboard, screenTraces}},
		{name: "open trace", keys: "T enter", screens: []screen{screenDashboard, screenTraces, screenTrace}},
		{name: "esc back twice", keys: "T enter esc esc", screens: []screen{screenDashboard}},
		{name: "esc on dashboard stays", keys: "esc esc", screens: []screen{screenDashboard}},
		{name: "esc leaves the detail first", keys: "T enter tab esc", screens: []screen{screenDashboard, screenTraces, screenTrace}},
		{name: "find by ksuid", keys: "f '" + traceA + "' enter", screens: []screen{screenDashboard, screenTrace}},
		{name: "find by hex", keys: "f '5995860cd1be4cda9a575caa146c8d8f' enter", screens: []screen{screenDashboard, screenTrace}},
		{name: "find unknown", keys: "f '2JZqQbHJxyBDEqWcFgCkgFXsyq9' enter", screens: []screen{screenDashboard},
			flash: "no trace 2JZqQbHJxyBDEqWcFgCkgFXsyq9 in this namespace", flashErr: true},
		{name: "find malformed", keys: "f 'xyz' enter", screens: []screen{screenDashboard},
			flash: `trace id "xyz": want a 27-character KSUID or 32 hex characters, got 3 characters`, flashErr: true},
		{name: "find cancelled", keys: "f 'abc' esc", screens: []screen{screenDashboard}},
		{name: "errors", keys: "e", screens: []screen{screenDashboard, screenErrors}},
		{name: "errors twice", keys: "e e", screens: []screen{screenDashboard, screenErrors}},
		{name: "error group to its trace", keys: "e enter", screens: []screen{screenDashboard, screenErrors, screenTrace}},
		{name: "triage a span that did not fail", keys: "T j enter l a",
			screens: []screen{screenDashboard, screenTraces, screenTrace},
			flash:   "shop.loadCart did not fail: nothing to triage", flashErr: true},
		{name: "triage a failed span", keys: "T j enter a", screens: []screen{screenDashboard, screenTraces, screenTrace, screenErrors}},
		{name: "tags open a trace list", keys: "t 'service:shop' enter", screens: []screen{screenDashboard, screenTraces}},
		{name: "bad tag", keys: "t 'service' enter", screens: []screen{screenDashboard},
			flash: `tag filter "service": want key:value`, flashErr: true},
		{name: "q quits", keys: "q", screens: []screen{screenDashboard}, wantQuit: true},
		{name: "q quits from help", keys: "? q", screens: []screen{screenDashboard}, wantQuit: true},
		{name: "q is text in a prompt", keys: "/ 'q'", screens: []screen{screenDashboard}},
		{name: "ctrl+c quits from a prompt", keys: "/ 'a' ctrl+c", screens: []screen{screenDashboard}, wantQuit: true},
		{name: "unreachable", setup: func(f *fake) { f.err = errRefused }, screens: []screen{screenDashboard},
			flash: errRefused.Error(), flashErr: true},
		{name: "unreachable then back", setup: func(f *fake) { f.err = errRefused }, keys: "T esc", screens: []screen{screenDashboard},
			flash: errRefused.Error(), flashErr: true},
		{name: "annotate", keys: "e a", screens: []screen{screenDashboard, screenErrors}, flash: "saved: crash/alert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.setup != nil {
				tt.setup(f)
			}
			quit := false
			m := drive(started(f, 100, 30), keysOf(tt.keys), &quit)
			if diff := cmp.Diff(tt.screens, m.screens); diff != "" {
				t.Errorf("screens after %q (-want +got):\n%s", tt.keys, diff)
			}
			if m.flash != tt.flash || m.flashErr != tt.flashErr {
				t.Errorf("status line after %q = %q (error %v); want %q (error %v)", tt.keys, m.flash, m.flashErr, tt.flash, tt.flashErr)
			}
			if quit != tt.wantQuit {
				t.Errorf("after %q quit = %v; want %v", tt.keys, quit, tt.wantQuit)
			}
		})
	}
}

// TestUpdateFilters checks the toggles and the query against the dashboard rows.
func TestUpdateFilters(t *testing.T) {
	names := func(m model) []string {
		var out []string
		for _, i := range m.dash.shown {
			out = append(out, m.dash.rows[i].Name)
		}
		return out
	}
	tests := []struct {
		keys string
		want []string
	}{
		{"", []string{"shop.dialPayments", "shop.(*Server).Checkout", "shop.charge", "shop.(*Server).Health", "audit.Write"}},
		{"s", []string{"shop.dialPayments", "shop.(*Server).Checkout", "shop.charge"}},
		{"s s", []string{"shop.(*Server).Checkout", "shop.charge"}}, // crash: failures not silenced
		{"s s s", []string{"shop.(*Server).Health", "audit.Write"}},
		{"s s s s", []string{"shop.dialPayments", "shop.(*Server).Checkout", "shop.charge", "shop.(*Server).Health", "audit.Write"}},
		{"d", []string{"shop.(*Server).Checkout", "audit.Write"}},
		{"d d", []string{"shop.dialPayments", "shop.charge", "shop.(*Server).Health"}},
		{"s d", []string{"shop.(*Server).Checkout"}},
		{"/ 'pay' enter", []string{"shop.dialPayments", "shop.charge"}},
		{"/ 'SHOP PAY.GO:44' enter", []string{"shop.charge"}},
		{"/ 'pay' esc", []string{"shop.dialPayments", "shop.(*Server).Checkout", "shop.charge", "shop.(*Server).Health", "audit.Write"}},
		{"/ 'pay' enter esc", []string{"shop.dialPayments", "shop.(*Server).Checkout", "shop.charge", "shop.(*Server).Health", "audit.Write"}},
		{"/ 'payx' backspace enter", []string{"shop.dialPayments", "shop.charge"}},
		{"/ 'silenced' enter", []string{"shop.dialPayments"}}, // the verdict is searchable
		{"o", []string{"shop.(*Server).Health", "audit.Write", "shop.(*Server).Checkout", "shop.charge", "shop.dialPayments"}},
		{"o o", []string{"shop.(*Server).Health", "shop.(*Server).Checkout", "shop.charge", "shop.dialPayments", "audit.Write"}},
		{"o o o", []string{"shop.(*Server).Checkout", "audit.Write", "shop.charge", "shop.dialPayments", "shop.(*Server).Health"}},
		{"o o o o", []string{"audit.Write", "shop.(*Server).Checkout", "shop.(*Server).Health", "shop.charge", "shop.dialPayments"}},
	}
	for _, tt := range tests {
		t.Run(tt.keys, func(t *testing.T) {
			m := drive(started(newFake(), 100, 30), keysOf(tt.keys), nil)
			if diff := cmp.Diff(tt.want, names(m)); diff != "" {
				t.Errorf("rows after %q (-want +got):\n%s", tt.keys, diff)
			}
		})
	}
}

// TestUpdateTraceQueries checks what the trace lists ask the receiver.
func TestUpdateTraceQueries(t *testing.T) {
	tests := []struct {
		keys string
		want store.TraceQuery
	}{
		{"enter", store.TraceQuery{Name: "shop.dialPayments", Limit: 100}},
		{"T", store.TraceQuery{Limit: 100}},
		{"s T", store.TraceQuery{Status: "failed", Limit: 100}},
		{"s s s T", store.TraceQuery{Status: "succeeded", Limit: 100}},
		{"d T", store.TraceQuery{MinDuration: 100 * time.Millisecond, Limit: 100}},
		{"t 'service:shop,version=1.4.2' enter", store.TraceQuery{Tags: map[string]string{"service": "shop", "version": "1.4.2"}, Limit: 100}},
		{"T s", store.TraceQuery{Status: "failed", Limit: 100}}, // toggles reload the list
		{"T / 'service:shop status:failed' enter", store.TraceQuery{Limit: 100, Where: mustParse(t, "service:shop status:failed")}},
		{"enter / '-status:failed' enter", store.TraceQuery{Name: "shop.dialPayments", Limit: 100, Where: mustParse(t, "-status:failed")}},
		{"T / 'name:~x' enter esc", store.TraceQuery{Limit: 100}}, // esc clears the search and reloads
		{"T / 'name:~x' enter s", store.TraceQuery{Status: "failed", Limit: 100, Where: mustParse(t, "name:~x")}},
		{"t 'run:7' enter", store.TraceQuery{Run: 7, Limit: 100}},
		{"t 'shop#7,version:1.4.2' enter", store.TraceQuery{Run: 7, Tags: map[string]string{"service": "shop", "version": "1.4.2"}, Limit: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.keys, func(t *testing.T) {
			f := newFake()
			drive(started(f, 100, 30), keysOf(tt.keys), nil)
			if len(f.queries) == 0 {
				t.Fatalf("after %q no trace list was asked for", tt.keys)
			}
			if diff := cmp.Diff(tt.want, f.queries[len(f.queries)-1]); diff != "" {
				t.Errorf("query after %q (-want +got):\n%s", tt.keys, diff)
			}
		})
	}
}

// TestUpdateTriage checks that a verdict shows at once, is sent, and is
// taken back when the receiver refuses it.
func TestUpdateTriage(t *testing.T) {
	tests := []struct {
		keys    string
		want    store.Annotation // sent and shown on the first group
		refused bool
	}{
		{keys: "c", want: store.Annotation{Kind: "crash", Severity: "alert"}},
		{keys: "m", want: store.Annotation{Kind: "silenced", Severity: "ok"}},
		{keys: "o", want: store.Annotation{Kind: "crash", Severity: "ok"}},
		{keys: "w", want: store.Annotation{Kind: "crash", Severity: "warn"}},
		{keys: "i 'flaky card gateway' enter", want: store.Annotation{Kind: "crash", Severity: "warn", Note: "flaky card gateway"}},
		{keys: "j m", want: store.Annotation{Kind: "silenced", Severity: "ok", Note: "card processor bug, ticket PAY-12"}},
		{keys: "j m c", want: store.Annotation{Kind: "crash", Severity: "alert", Note: "card processor bug, ticket PAY-12"}},
		{keys: "w", want: store.Annotation{Kind: "crash", Severity: "warn"}, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.keys, func(t *testing.T) {
			f := newFake()
			m := drive(started(f, 100, 30), keysOf("e"), nil)
			if tt.refused {
				f.err = &client.Error{Status: 400, Message: "severity: bad"}
			}
			// Press the keys without running the PUT: the verdict is on screen already.
			var cmd tea.Cmd
			for _, k := range keysOf(tt.keys) {
				var next tea.Model
				next, cmd = m.Update(k)
				m = next.(model)
			}
			g := m.errs.selected()
			if g.Annotation == nil || *g.Annotation != tt.want {
				t.Fatalf("shown before the answer: %+v; want %+v", g.Annotation, tt.want)
			}
			m = driveCmd(m, cmd)
			g = m.errs.selected()
			if tt.refused {
				if g.Annotation != nil {
					t.Errorf("after a refusal the verdict is %+v; want it taken back", g.Annotation)
				}
				if !m.flashErr {
					t.Errorf("after a refusal the status line is %q; want an error", m.flash)
				}
				return
			}
			if diff := cmp.Diff(tt.want, f.annotated[len(f.annotated)-1]); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if *g.Annotation != tt.want {
				t.Errorf("after the answer: %+v; want %+v", g.Annotation, tt.want)
			}
		})
	}
}

// TestUpdateVerdictInTrace checks that triage from a trace shows the new
// verdict on the span when going back.
func TestUpdateVerdictInTrace(t *testing.T) {
	m := drive(started(newFake(), 100, 30), keysOf("T j enter a"), nil)
	if g := m.errs.selected(); g == nil || g.Fingerprint != "fp-declined" {
		t.Fatalf("triage from the root span selected %+v; want group fp-declined", g)
	}
	m = drive(m, keysOf("w esc"), nil)
	got := m.tree.groups[sid(1)].Annotation
	if want := (&store.Annotation{Kind: "crash", Severity: "warn"}); got == nil || *got != *want {
		t.Errorf("the root span's verdict is %+v; want %+v", got, want)
	}
}

// TestUpdateNamespaces checks -db's namespace choice.
func TestUpdateNamespaces(t *testing.T) {
	tests := []struct {
		names   []string
		err     error
		keys    string
		want    string // namespace in use
		screens []screen
	}{
		{names: []string{"only"}, want: "only", screens: []screen{screenDashboard}},
		{names: []string{"prod", "staging"}, screens: []screen{screenNamespaces}},
		{names: []string{"prod", "staging"}, keys: "j enter", want: "staging", screens: []screen{screenDashboard}},
		{names: []string{"prod", "staging"}, keys: "enter N", want: "prod", screens: []screen{screenNamespaces}},
		{names: nil, keys: "enter", screens: []screen{screenNamespaces}},
		{err: errors.New("open database: disk I/O error"), keys: "enter e f T", screens: []screen{screenNamespaces}},
	}
	for _, tt := range tests {
		t.Run(tt.keys, func(t *testing.T) {
			var opened []string
			conn := &connector{
				list: func(context.Context) ([]string, error) { return tt.names, tt.err },
				open: func(ns string) Backend { opened = append(opened, ns); return newFake() },
			}
			m := newModel(Config{Since: time.Hour, Slow: 100 * time.Millisecond}, nil, conn, fixedNow)
			m = driveCmd(m, m.Init())
			m = drive(m, keysOf(tt.keys), nil)
			if m.namespace != tt.want {
				t.Errorf("namespace = %q; want %q (opened %q)", m.namespace, tt.want, opened)
			}
			if diff := cmp.Diff(tt.screens, m.screens); diff != "" {
				t.Errorf("screens (-want +got):\n%s", diff)
			}
			if tt.want != "" && !m.dash.loaded {
				t.Errorf("namespace %q chosen but the dashboard is not loaded", tt.want)
			}
		})
	}
}

// TestUpdateRefresh checks the live refresh: a tick reloads the current
// screen, answers to replaced queries are dropped, a finished trace is not
// fetched again but a running one is.
func TestUpdateRefresh(t *testing.T) {
	f := newFake()
	m := started(f, 100, 30)
	f.rows = append(f.rows, store.DashboardRow{Name: "shop.newThing", Count: 1, LastSeen: testNow})
	m = drive(m, []tea.Msg{tickMsg{}}, nil)
	if got := len(m.dash.rows); got != 6 {
		t.Errorf("after a tick the dashboard has %d rows; want 6", got)
	}

	m = drive(m, keysOf("T"), nil)
	stale := tracesMsg{key: "an older query", items: nil}
	m = drive(m, []tea.Msg{stale}, nil)
	if got := len(m.list.items); got != 2 {
		t.Errorf("a stale answer replaced the list: %d items; want 2", got)
	}

	// The tests run with Refresh 0, so a tick returns only the reload.
	m = drive(m, keysOf("j enter"), nil)
	_, cmd := m.Update(tickMsg{})
	if msg := runOne(cmd); msg != nil {
		t.Errorf("a tick on a finished trace fetched %T; want nothing", msg)
	}

	// The same trace, still running: the tick fetches it again.
	f.traces[mustTraceID(traceA)].Spans[0].Status = spantree.StatusStarted
	f.traces[mustTraceID(traceA)].Spans[0].End = time.Time{}
	m = drive(m, keysOf("r"), nil)
	if m.tree.running != 1 {
		t.Fatalf("after r the trace has %d running spans; want 1", m.tree.running)
	}
	_, cmd = m.Update(tickMsg{})
	if _, ok := runOne(cmd).(traceMsg); !ok {
		t.Errorf("a tick on a running trace did not fetch it")
	}
}

// runOne runs cmd (tick interval 0 means no tick) and returns its message.
func runOne(cmd tea.Cmd) tea.Msg {
	if cmd == nil {
		return nil
	}
	return cmd()
}

func mustParse(t *testing.T, q string) query.Expr {
	t.Helper()
	e, err := query.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestUpdateSearchError: a search that does not parse is not sent; the
// prompt stays open on it, marking the position, until the next edit.
func TestUpdateSearchError(t *testing.T) {
	f := newFake()
	m := drive(started(f, 100, 30), keysOf("T / 'service:shop duration>' enter"), nil)
	if m.prompt.kind != promptSearch || m.prompt.err == nil {
		t.Fatalf("after a bad search, prompt = %+v; want the search prompt with its error", m.prompt)
	}
	if got, want := m.prompt.err.Error(), "at 23: want a value after 'duration>'"; got != want {
		t.Errorf("search error = %q; want %q", got, want)
	}
	for _, q := range f.queries {
		if q.Where != nil {
			t.Errorf("a search that does not parse was sent: %v", q.Where)
		}
	}
	if v := ansi.Strip(m.View().Content); !strings.Contains(v, "search: service:shop duration>   at 23: want a value after 'duration>'") {
		t.Errorf("the view does not show the error after the query:\n%s", v)
	}
	m = drive(m, keysOf("backspace"), nil)
	if m.prompt.err != nil || m.prompt.text != "service:shop duration" {
		t.Errorf("after an edit, prompt = %+v; want the error gone", m.prompt)
	}
}
