package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/spantree/spantree/alert"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// hook is an httptest webhook that records what it gets; it answers the
// first fail requests with 503.
type hook struct {
	mu    sync.Mutex
	fail  int
	got   []alert.Notification
	sigs  []string
	calls int
	ch    chan alert.Notification
	srv   *httptest.Server
}

func newHook(t *testing.T, fail int) *hook {
	h := &hook{fail: fail, ch: make(chan alert.Notification, 100)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.calls++
		if h.fail > 0 {
			h.fail--
			h.mu.Unlock()
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var n alert.Notification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
		}
		h.got = append(h.got, n)
		h.sigs = append(h.sigs, r.Header.Get("X-Spantree-Signature")+" "+alert.Sign([]byte("s3cret"), body))
		h.mu.Unlock()
		h.ch <- n
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// next waits for the next notification the hook acknowledged.
func (h *hook) next(t *testing.T) alert.Notification {
	t.Helper()
	select {
	case n := <-h.ch:
		return n
	case <-time.After(20 * time.Second):
		t.Fatal("no notification reached the webhook")
		return alert.Notification{}
	}
}

// none checks that nothing more reached the hook once the engine's queues
// are closed.
func (h *hook) none(t *testing.T) {
	t.Helper()
	select {
	case n := <-h.ch:
		t.Errorf("unexpected notification %+v", n)
	default:
	}
}

type env struct {
	st   *sqlite.Store
	path string
	now  time.Time
}

func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "spans.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.CreateKey(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	return &env{st: st, path: filepath.Join(dir, "spans.db"), now: time.Now().UTC().Truncate(time.Second)}
}

// reopen closes the store and opens it again, as a restarted receiver does.
func (e *env) reopen(t *testing.T) {
	t.Helper()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(e.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
}

var spanSeq byte

// ingest stores n spans of name for app at version, failed ones first.
func (e *env) ingest(t *testing.T, version, name string, n, failed int, d time.Duration) {
	t.Helper()
	tr := spantree.NewTraceID(e.now)
	var spans []spantree.SpanData
	for i := range n {
		spanSeq++
		s := spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{spanSeq, byte(i), 1}, Name: name, Location: "shop/charge.go:10",
			Start: e.now.Add(-time.Second), End: e.now.Add(-time.Second + d), Status: spantree.StatusSucceeded}
		if i < failed {
			s.Status, s.Error = spantree.StatusFailed, &spantree.ErrorInfo{Type: "*errors.errorString", Message: "card declined"}
		}
		spans = append(spans, s)
	}
	b := spantree.Batch{Tags: map[string]string{"service": "shop", "version": version}, Spans: spans}
	if _, err := e.st.Ingest(context.Background(), "acme", []spantree.Batch{b}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) engine(t *testing.T, rules []*alert.Rule, targets ...alert.Notifier) *alert.Engine {
	t.Helper()
	en, err := alert.New(alert.Options{Store: e.st, Rules: rules, Targets: targets, BaseURL: "http://127.0.0.1:7070",
		Delivery: alert.Delivery{Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Attempts: 4}})
	if err != nil {
		t.Fatal(err)
	}
	return en
}

func mustRule(t *testing.T, s string) *alert.Rule {
	t.Helper()
	r, err := alert.ParseRule([]byte(s), "", "")
	if err != nil {
		t.Fatalf("ParseRule(%s): %v", s, err)
	}
	return r
}

func (e *env) eval(t *testing.T, en *alert.Engine) {
	t.Helper()
	if err := en.Evaluate(context.Background(), e.now); err != nil {
		t.Fatal(err)
	}
}

// summary is what the tests compare of a notification.
type summary struct{ Rule, State, App, Fingerprint string }

func sum(n alert.Notification) summary {
	return summary{n.Rule, n.State, n.Labels["app"], n.Labels["fingerprint"]}
}

// TestScenario: an error group appears (new_group fires), is silenced (it
// resolves), and comes back in a newer version (regression fires), each
// reaching a webhook that fails before it succeeds, signed.
func TestScenario(t *testing.T) {
	e := newEnv(t)
	h := newHook(t, 2)
	en := e.engine(t, []*alert.Rule{
		mustRule(t, `{"id":"untriaged","kind":"new_group","labels":{"team":"pay"}}`),
		mustRule(t, `{"id":"back","kind":"regression"}`),
	}, &alert.Webhook{URL: h.srv.URL, Secret: []byte("s3cret")})
	defer en.Close()

	e.ingest(t, "1.0", "shop.charge", 1, 1, time.Millisecond)
	e.eval(t, en)
	n := h.next(t)
	groups, err := e.st.ErrorGroups(context.Background(), "acme", time.Time{})
	if err != nil || len(groups) != 1 {
		t.Fatalf("ErrorGroups = %v, %v; want one", groups, err)
	}
	fp := groups[0].Fingerprint
	if diff := cmp.Diff(summary{"untriaged", "firing", "shop", fp}, sum(n)); diff != "" {
		t.Errorf("first notification (-want +got):\n%s", diff)
	}
	if n.Labels["team"] != "pay" || n.Labels["alertname"] != "untriaged" || !strings.Contains(n.URL, "#/errors?fp="+fp) {
		t.Errorf("notification labels %v, url %q; want team=pay, alertname=untriaged, a link to the group", n.Labels, n.URL)
	}

	// Evaluated again, still firing: nothing new.
	e.now = e.now.Add(15 * time.Second)
	e.eval(t, en)

	if _, err := e.st.Annotate(context.Background(), "acme", fp, store.Annotation{Kind: store.KindSilenced, Severity: store.SeverityOK}); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(15 * time.Second)
	e.eval(t, en)
	if diff := cmp.Diff(summary{"untriaged", "resolved", "shop", fp}, sum(h.next(t))); diff != "" {
		t.Errorf("after the verdict (-want +got):\n%s", diff)
	}

	e.now = e.now.Add(time.Minute)
	e.ingest(t, "1.1", "shop.charge", 1, 1, time.Millisecond)
	e.eval(t, en)
	n = h.next(t)
	if diff := cmp.Diff(summary{"back", "firing", "shop", fp}, sum(n)); diff != "" {
		t.Errorf("after the regression (-want +got):\n%s", diff)
	}
	if !strings.Contains(n.Reason, "version 1.1") {
		t.Errorf("regression reason = %q; want it to name version 1.1", n.Reason)
	}
	en.Close()
	h.none(t)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.sigs {
		if got, want, _ := strings.Cut(s, " "); got != want {
			t.Errorf("X-Spantree-Signature = %q; want %q", got, want)
		}
	}
	if h.calls != 5 {
		t.Errorf("webhook calls = %d; want 5 (2 refused with 503, then 3 notifications)", h.calls)
	}
}

// TestRestart: a restarted engine neither notifies an alert again nor
// loses its resolution, and keeps the rules set through the API.
func TestRestart(t *testing.T) {
	e := newEnv(t)
	h := newHook(t, 0)
	wh := &alert.Webhook{URL: h.srv.URL}
	en := e.engine(t, nil, wh)
	if err := en.SetRule("acme", mustRule(t, `{"id":"slow","kind":"p95","name":"shop.charge","threshold":"50ms","window":"5m"}`)); err != nil {
		t.Fatal(err)
	}
	e.ingest(t, "1.0", "shop.charge", 20, 0, 200*time.Millisecond)
	e.eval(t, en)
	if diff := cmp.Diff(summary{"slow", "firing", "shop", ""}, sum(h.next(t))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	en.Close()
	e.reopen(t)

	en = e.engine(t, nil, wh)
	if got := en.Rules("acme"); len(got) != 1 || got[0].ID != "slow" || got[0].Source != alert.SourceAPI {
		t.Errorf("Rules after a restart = %v; want the rule set through the API", got)
	}
	e.now = e.now.Add(15 * time.Second)
	e.eval(t, en)
	// Resolve: the window moves past the slow calls.
	e.now = e.now.Add(10 * time.Minute)
	e.eval(t, en)
	if diff := cmp.Diff(summary{"slow", "resolved", "shop", ""}, sum(h.next(t))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	en.Close()
	h.none(t)
	e.reopen(t)

	en = e.engine(t, nil, wh)
	e.now = e.now.Add(15 * time.Second)
	e.eval(t, en)
	en.Close()
	h.none(t)
}

// TestRestartSendsPending: what a target had not acknowledged before a
// stop is sent by the next engine.
func TestRestartSendsPending(t *testing.T) {
	e := newEnv(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer down.Close()
	h := newHook(t, 0)
	rules := []*alert.Rule{mustRule(t, `{"id":"rate","kind":"failure_rate","name":"shop.charge","threshold":0.25,"min_calls":10}`)}
	// Same name for both, so that the state is the same target's.
	en := e.engine(t, rules, &named{"hook", &alert.Webhook{URL: down.URL}})
	e.ingest(t, "1.0", "shop.charge", 10, 4, time.Millisecond)
	e.eval(t, en)
	en.Close()
	en = e.engine(t, rules, &named{"hook", &alert.Webhook{URL: h.srv.URL}})
	defer en.Close()
	n := h.next(t)
	if diff := cmp.Diff(summary{"rate", "firing", "shop", ""}, sum(n)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(n.Reason, "4 of 10 calls failed") {
		t.Errorf("reason = %q; want 4 of 10 calls failed", n.Reason)
	}
}

// named renames a notifier.
type named struct {
	name string
	alert.Notifier
}

func (n *named) Name() string { return n.name }

// TestFor: an alert waits for its rule's "for" before it fires, and one
// that goes away before then is never sent.
func TestFor(t *testing.T) {
	e := newEnv(t)
	h := newHook(t, 0)
	en := e.engine(t, []*alert.Rule{mustRule(t, `{"id":"st","kind":"status","threshold":"warn","for":"1m"}`)}, &alert.Webhook{URL: h.srv.URL})
	defer en.Close()
	e.ingest(t, "1.0", "shop.charge", 1, 1, time.Millisecond)
	e.eval(t, en)
	if got := en.Alerts("acme"); len(got) != 1 || got[0].State != alert.StatePending {
		t.Fatalf("Alerts = %+v; want one pending", got)
	}
	e.now = e.now.Add(30 * time.Second)
	e.eval(t, en)
	h.none(t)
	e.now = e.now.Add(31 * time.Second)
	e.eval(t, en)
	n := h.next(t)
	if diff := cmp.Diff(summary{"st", "firing", "shop", ""}, sum(n)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(n.Reason, "nobody judged") {
		t.Errorf("reason = %q; want the status report's", n.Reason)
	}
}

// TestDropped: a target that keeps failing gets each notification a bounded
// number of times, and evaluation never waits for it.
func TestDropped(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	calls := 0
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer bad.Close()
	en := e.engine(t, []*alert.Rule{mustRule(t, `{"id":"untriaged","kind":"new_group"}`)}, &alert.Webhook{URL: bad.URL})
	e.ingest(t, "1.0", "shop.charge", 1, 1, time.Millisecond)
	e.eval(t, en)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		c := calls
		mu.Unlock()
		if c >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	en.Close()
	mu.Lock()
	defer mu.Unlock()
	if calls != 4 {
		t.Errorf("calls = %d; want 4 (Delivery.Attempts)", calls)
	}
}

// TestSlowTargetNeverBlocks: a target that does not answer holds up
// neither evaluation nor the other targets, and a notification given up
// after the retry bound is counted by target and reason.
func TestSlowTargetNeverBlocks(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer stuck.Close()
	defer close(release)
	h := newHook(t, 0)
	en, err := alert.New(alert.Options{Store: e.st,
		Rules:    []*alert.Rule{mustRule(t, `{"id":"untriaged","kind":"new_group"}`), mustRule(t, `{"id":"st","kind":"status"}`)},
		Targets:  []alert.Notifier{&named{"stuck", &alert.Webhook{URL: stuck.URL}}, &alert.Webhook{URL: h.srv.URL}},
		Delivery: alert.Delivery{Backoff: time.Millisecond, MaxBackoff: time.Millisecond, Attempts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	e.ingest(t, "1.0", "shop.charge", 1, 1, time.Millisecond)
	// Both evaluations return while the stuck target holds its first
	// request; the other target hears of both alerts.
	e.eval(t, en)
	e.now = e.now.Add(15 * time.Second)
	e.eval(t, en)
	got := map[string]string{}
	for range 2 {
		n := h.next(t)
		got[n.Rule] = n.State
	}
	if diff := cmp.Diff(map[string]string{"untriaged": "firing", "st": "firing"}, got); diff != "" {
		t.Errorf("the other target (-want +got):\n%s", diff)
	}
	release <- struct{}{} // first attempt of the first notification: 500
	release <- struct{}{} // second and last: dropped
	release <- struct{}{} // first attempt of the second notification
	en.Close()
	var dropped *dto.Metric
	for _, c := range en.Collectors() {
		ch := make(chan prometheus.Metric, 16)
		c.Collect(ch)
		close(ch)
		for m := range ch {
			if !strings.Contains(m.Desc().String(), "spantree_alert_notifications_dropped_total") {
				continue
			}
			var pb dto.Metric
			if err := m.Write(&pb); err != nil {
				t.Fatal(err)
			}
			dropped = &pb
		}
	}
	if dropped == nil {
		t.Fatal("no spantree_alert_notifications_dropped_total series")
	}
	labels := map[string]string{}
	for _, l := range dropped.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	if diff := cmp.Diff(map[string]string{"target": "stuck", "reason": "retries"}, labels); diff != "" || dropped.GetCounter().GetValue() != 1 {
		t.Errorf("dropped series %v = %v; want 1 for target stuck, reason retries (-want +got):\n%s", labels, dropped.GetCounter().GetValue(), diff)
	}
}
