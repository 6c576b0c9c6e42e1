package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spantree/spantree/alert"
	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// testNow is the wall clock of every test: "Last" columns read relative to it.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// fake is an in-memory [Backend] with the fixtures below; err, when set, is
// returned by every call instead.
type fake struct {
	mu        sync.Mutex
	rows      []store.DashboardRow
	status    *store.StatusReport
	slow      []store.SlowSpan
	alerts    []alert.Alert
	traces    map[spantree.TraceID]*store.Trace
	summaries []store.TraceSummary
	groups    []store.ErrorGroup
	err       error
	queries   []store.TraceQuery
	annotated []store.Annotation
}

var _ Backend = (*fake)(nil)

func (f *fake) Dashboard(ctx context.Context, since time.Duration) ([]store.DashboardRow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.rows), f.err
}

func (f *fake) Slow(ctx context.Context, since time.Duration) ([]store.SlowSpan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.slow), f.err
}

func (f *fake) Alerts(ctx context.Context) ([]alert.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.alerts), f.err
}

func (f *fake) Status(ctx context.Context, since time.Duration) (*store.StatusReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status, nil
}

func (f *fake) Traces(ctx context.Context, q store.TraceQuery) ([]store.TraceSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	if f.err != nil {
		return nil, f.err
	}
	var out []store.TraceSummary
	for _, s := range f.summaries {
		if q.Status != "" && s.Status != q.Status {
			continue
		}
		if q.Name != "" && !f.hasSpan(s.TraceID, q.Name) {
			continue
		}
		if q.MinDuration > 0 && time.Duration(s.Duration) < q.MinDuration {
			continue
		}
		if q.Run > 0 && s.Run != q.Run {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// hasSpan reports whether trace id has a span called name, as the receiver's
// name filter does.
func (f *fake) hasSpan(id spantree.TraceID, name string) bool {
	for _, s := range f.traces[id].Spans {
		if s.Name == name {
			return true
		}
	}
	return false
}

func (f *fake) Trace(ctx context.Context, id string) (*store.Trace, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for k, t := range f.traces {
		if k.String() == id || t.Hex == id {
			return t, nil
		}
	}
	return nil, &client.Error{Status: 404, Message: "trace " + id + " not found"}
}

func (f *fake) Errors(ctx context.Context, since time.Duration) ([]store.ErrorGroup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.groups), f.err
}

func (f *fake) Annotate(ctx context.Context, fp string, a store.Annotation) (*store.ErrorGroup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.annotated = append(f.annotated, a)
	for i := range f.groups {
		if f.groups[i].Fingerprint == fp {
			f.groups[i].Annotation = &a
			g := f.groups[i]
			return &g, nil
		}
	}
	return nil, &client.Error{Status: 404, Message: "no error group " + fp}
}

// Fixture ids.
const (
	traceA = "2JZqQbHJxyBDEqWcFgCkgFXsyq7" // the failed checkout trace
	traceB = "2JZqQbHJxyBDEqWcFgCkgFXsyq8"
)

func sid(n byte) spantree.SpanID { return spantree.SpanID{0, 0, 0, 0, 0, 0, 0, n} }

func mustTraceID(s string) spantree.TraceID {
	id, err := spantree.ParseTraceID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// checkoutTrace is a request that fails: a goroutine, a folded loop, a handled
// error, a panic with a stack, attrs and events at every level.
func checkoutTrace() *store.Trace {
	t0 := testNow.Add(-90 * time.Second)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	tid := mustTraceID(traceA)
	span := func(id, parent byte, name, loc string, from, to float64, st spantree.Status) spantree.SpanData {
		return spantree.SpanData{TraceID: tid, SpanID: sid(id), ParentID: sid(parent), Name: name, Location: loc,
			Start: at(from), End: at(to), Status: st}
	}
	root := span(1, 0, "shop.(*Server).Checkout", "shop/server.go:40", 0, 120, spantree.StatusFailed)
	root.ParentID = spantree.SpanID{}
	root.Error = &spantree.ErrorInfo{Type: "*errors.errorString", Message: "charge card: declined"}
	root.HandledErrors = []spantree.ErrorInfo{{Type: "*net.OpError", Message: "dial tcp: timeout", SpanID: sid(4)}}
	root.Attrs = map[string]any{"http.method": "POST", "http.route": "/checkout", "items": 3}
	root.Events = []spantree.Event{
		{Time: at(1), Level: spantree.LevelDebug, Msg: "parsed body", Attrs: map[string]any{"bytes": 512}},
		{Time: at(2), Level: spantree.LevelInfo, Msg: "cart loaded"},
		{Time: at(80), Level: spantree.LevelWarn, Msg: "retrying payment"},
		{Time: at(119), Level: spantree.LevelError, Msg: "payment failed"},
	}
	cart := span(2, 1, "shop.loadCart", "shop/cart.go:12", 1, 20, spantree.StatusSucceeded)
	price := span(3, 2, "shop.price", "shop/cart.go:30", 2, 18, spantree.StatusSucceeded)
	price.Fold = &spantree.Fold{Count: 250, TotalNS: 12e6, MinNS: 30e3, MaxNS: 200e3}
	dial := span(4, 1, "shop.dialPayments", "shop/pay.go:20", 20, 60, spantree.StatusFailed)
	dial.Error = &spantree.ErrorInfo{Type: "*net.OpError", Message: "dial tcp: timeout"}
	charge := span(5, 1, "shop.charge", "shop/pay.go:44", 60, 119, spantree.StatusFailed)
	charge.Error = &spantree.ErrorInfo{Type: "*errors.errorString", Message: "declined", Panic: true,
		Stack: "goroutine 7 [running]:\nshop.charge()\n\tshop/pay.go:51 +0x1d"}
	audit := span(6, 1, "shop.(*Server).Checkout.Go#1", "shop/server.go:52", 3, 110, spantree.StatusSucceeded)
	audit.Goroutine = true
	write := span(7, 6, "audit.Write", "audit/log.go:9", 4, 100, spantree.StatusSucceeded)
	spans := []spantree.SpanData{root, cart, price, dial, charge, audit, write}
	for i := range spans {
		spans[i].Service = "shop"
	}
	spans[6].Service = "auditd" // audit.Write is answered by another process
	return &store.Trace{
		TraceID: tid, Hex: tid.Hex(), Tags: map[string]string{"service": "shop", "version": "1.4.2"},
		Services: []string{"shop", "auditd"}, Run: 142,
		Spans:     spans,
		SlowSpans: []spantree.SpanID{sid(7)},
		Errors: []store.SpanError{
			{SpanID: sid(1), Fingerprint: "fp-declined"},
			{SpanID: sid(4), Fingerprint: "fp-dial", Annotation: &store.Annotation{Kind: "silenced", Severity: "ok"}},
			{SpanID: sid(5), Fingerprint: "fp-panic", Annotation: &store.Annotation{Kind: "crash", Severity: "alert"}},
		},
	}
}

func newFake() *fake {
	a := checkoutTrace()
	b := &store.Trace{TraceID: mustTraceID(traceB), Hex: mustTraceID(traceB).Hex(), Spans: []spantree.SpanData{{
		TraceID: mustTraceID(traceB), SpanID: sid(9), Name: "shop.(*Server).Health", Location: "shop/server.go:90",
		Start: testNow.Add(-10 * time.Second), End: testNow.Add(-10*time.Second + 300*time.Microsecond), Status: spantree.StatusSucceeded}}}
	return &fake{
		rows: []store.DashboardRow{
			{Name: "shop.(*Server).Checkout", Location: "shop/server.go:40", App: "shop", Count: 1200, Failed: 31,
				LastSeen: testNow.Add(-90 * time.Second), P50: 40e6, P95: 210e6, Max: 900e6, LastTraceID: mustTraceID(traceA),
				Fingerprints: []string{"fp-declined"}, Verdict: "unannotated"},
			{Name: "shop.charge", Location: "shop/pay.go:44", App: "shop", Count: 1100, Failed: 12,
				LastSeen: testNow.Add(-91 * time.Second), P50: 30e6, P95: 95e6, Max: 300e6, Verdict: "alert"},
			{Name: "shop.dialPayments", Location: "shop/pay.go:20", App: "shop", Count: 1100, Failed: 400,
				LastSeen: testNow.Add(-2 * time.Minute), P50: 20e6, P95: 41e6, Max: 80e6, Verdict: "silenced"},
			{Name: "shop.(*Server).Health", Location: "shop/server.go:90", App: "shop", Count: 8640,
				LastSeen: testNow.Add(-10 * time.Second), P50: 250e3, P95: 300e3, Max: 2e6},
			{Name: "audit.Write", Location: "audit/log.go:9", App: "shop", Count: 1200,
				LastSeen: testNow.Add(-3 * time.Hour), P50: 80e6, P95: 130e6, Max: 400e6},
		},
		traces: map[spantree.TraceID]*store.Trace{a.TraceID: a, b.TraceID: b},
		summaries: []store.TraceSummary{
			{TraceID: b.TraceID, Hex: b.Hex, Name: "shop.(*Server).Health", App: "shop", Start: testNow.Add(-10 * time.Second),
				Duration: 300e3, Status: spantree.StatusSucceeded, Spans: 1, Tags: map[string]string{"service": "shop"}, Run: 1043},
			{TraceID: a.TraceID, Hex: a.Hex, Name: "shop.(*Server).Checkout", App: "shop", Start: testNow.Add(-90 * time.Second),
				Duration: 120e6, Status: spantree.StatusFailed, Spans: 7, Errors: 3, Tags: map[string]string{"service": "shop", "version": "1.4.2"}, Run: 142},
		},
		groups: []store.ErrorGroup{
			{Fingerprint: "fp-declined", Type: "*errors.errorString", Message: "charge card: declined", Name: "shop.(*Server).Checkout",
				Location: "shop/server.go:40", App: "shop", FirstSeen: testNow.Add(-48 * time.Hour), LastSeen: testNow.Add(-90 * time.Second),
				Count: 31, LastTraceID: mustTraceID(traceA)},
			{Fingerprint: "fp-panic", Type: "*errors.errorString", Message: "declined", Name: "shop.charge", Location: "shop/pay.go:44",
				App: "shop", FirstSeen: testNow.Add(-5 * time.Hour), LastSeen: testNow.Add(-91 * time.Second), Count: 12, LastTraceID: mustTraceID(traceA),
				Annotation: &store.Annotation{Kind: "crash", Severity: "alert", Note: "card processor bug, ticket PAY-12"}},
			{Fingerprint: "fp-dial", Type: "*net.OpError", Message: "dial tcp: timeout", Name: "shop.dialPayments", Location: "shop/pay.go:20",
				App: "shop", FirstSeen: testNow.Add(-72 * time.Hour), LastSeen: testNow.Add(-2 * time.Minute), Count: 400, LastTraceID: mustTraceID(traceA),
				Annotation: &store.Annotation{Kind: "silenced", Severity: "ok"}, Regressed: true},
		},
	}
}

var errRefused = errors.New("cannot reach the receiver at http://127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused")

// press makes the key message a terminal sends for s ("j", "enter", "ctrl+c").
func press(s string) tea.KeyPressMsg {
	special := map[string]rune{"enter": tea.KeyEnter, "esc": tea.KeyEscape, "up": tea.KeyUp, "down": tea.KeyDown,
		"left": tea.KeyLeft, "right": tea.KeyRight, "tab": tea.KeyTab, "space": tea.KeySpace,
		"backspace": tea.KeyBackspace, "pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp}
	if c, ok := special[s]; ok {
		return tea.KeyPressMsg{Code: c}
	}
	if r, ok := strings.CutPrefix(s, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(r[0]), Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// keysOf turns "j j enter" into key messages; 'quoted text' is typed, spaces
// included.
func keysOf(s string) []tea.Msg {
	var out []tea.Msg
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if rest, ok := strings.CutPrefix(s, "'"); ok {
			text, after, _ := strings.Cut(rest, "'")
			for _, r := range text {
				if r == ' ' {
					out = append(out, press("space"))
				} else {
					out = append(out, press(string(r)))
				}
			}
			s = after
			continue
		}
		word, after, _ := strings.Cut(s, " ")
		out = append(out, press(word))
		s = after
	}
	return out
}

// drive feeds msgs to m one by one, running every command it returns (and
// the commands those messages return) to completion before the next input,
// as the Bubble Tea runtime would with an instant backend. Ticks and quits
// are not run; quit sets *quit when given.
func drive(m model, msgs []tea.Msg, quit *bool) model {
	var step func(msg tea.Msg)
	step = func(msg tea.Msg) {
		next, cmd := m.Update(msg)
		m = next.(model)
		runCmd(cmd, step, quit)
	}
	for _, msg := range msgs {
		step(msg)
	}
	return m
}

func runCmd(cmd tea.Cmd, step func(tea.Msg), quit *bool) {
	if cmd == nil {
		return
	}
	msg := cmd()
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			runCmd(c, step, quit)
		}
	case tea.QuitMsg:
		if quit != nil {
			*quit = true
		}
	case tickMsg, nil:
	default:
		step(msg)
	}
}

// started returns a model on the fake at w×h with its first screen loaded.
func started(f *fake, w, h int) model {
	m := newModel(Config{Since: time.Hour, Slow: 100 * time.Millisecond, Limit: 100, Source: "http://127.0.0.1:7070"}, f, nil, fixedNow)
	m = drive(m, []tea.Msg{tea.WindowSizeMsg{Width: w, Height: h}}, nil)
	return driveCmd(m, m.Init())
}

// driveCmd runs cmd as drive runs the commands of Update.
func driveCmd(m model, cmd tea.Cmd) model {
	runCmd(cmd, func(msg tea.Msg) { m = drive(m, []tea.Msg{msg}, nil) }, nil)
	return m
}
