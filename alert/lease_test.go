package alert_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/alert"
)

// TestEnginesShareAStore: two receivers' engines on one store: one
// evaluates and notifies, the other stands by and shows the same alerts; a
// rule set through the one standing by is evaluated by the other; when the
// evaluating engine dies the other takes over after the lease, without
// sending again what the targets acknowledged, and when it stops cleanly at
// the next evaluation.
func TestEnginesShareAStore(t *testing.T) {
	e := newEnv(t)
	h := newHook(t, 0)
	rules := []*alert.Rule{mustRule(t, `{"id":"rate","kind":"failure_rate","name":"shop.charge","threshold":0.25,"min_calls":10}`)}
	// Both deliver to one webhook (the same target name), as two receivers
	// configured alike do.
	a := e.engine(t, rules, &alert.Webhook{URL: h.srv.URL})
	b := e.engine(t, rules, &alert.Webhook{URL: h.srv.URL})
	e.ingest(t, "1.0", "shop.charge", 10, 4, time.Millisecond)
	e.eval(t, a)
	e.eval(t, b)
	if a.Leading() == b.Leading() {
		t.Fatalf("leading: a %v, b %v; want exactly one", a.Leading(), b.Leading())
	}
	lead, standby := a, b
	if b.Leading() {
		lead, standby = b, a
	}
	if diff := cmp.Diff(summary{"rate", "firing", "shop", ""}, sum(h.next(t))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The standby shows the alert, and once the evaluating engine kept the
	// webhook's acknowledgement (after the webhook answered), that too.
	acked(t, e, standby, "rate")

	// A rule set through the standby reaches the evaluating engine.
	if err := standby.SetRule("acme", mustRule(t, `{"id":"slow","kind":"p95","name":"shop.charge","threshold":"1us","window":"5m"}`)); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(15 * time.Second)
	e.eval(t, lead)
	if got := lead.Rules("acme"); len(got) != 2 {
		t.Errorf("the evaluating engine's rules = %v; want both", got)
	}
	if diff := cmp.Diff(summary{"slow", "firing", "shop", ""}, sum(h.next(t))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	acked(t, e, standby, "slow")

	// The evaluating engine dies (no Close): the standby waits out the
	// lease, then evaluates, and sends nothing the webhook already has.
	e.now = e.now.Add(alert.DefaultLease / 2)
	e.eval(t, standby)
	if standby.Leading() {
		t.Error("the standby evaluates while the other's heartbeat is young")
	}
	e.now = e.now.Add(alert.DefaultLease)
	e.eval(t, standby)
	if !standby.Leading() {
		t.Fatal("the standby does not take over after the lease")
	}
	// Resolve "slow" (the window moves past the calls): the new engine
	// sends it.
	e.now = e.now.Add(10 * time.Minute)
	e.eval(t, standby)
	got := map[summary]int{}
	for range 2 {
		got[sum(h.next(t))]++
	}
	want := map[summary]int{{"slow", "resolved", "shop", ""}: 1, {"rate", "resolved", "shop", ""}: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after the take-over (-want +got):\n%s", diff)
	}
	lead.Close()

	// A clean stop hands over at the next evaluation.
	c := e.engine(t, rules, &alert.Webhook{URL: h.srv.URL})
	e.eval(t, c)
	e.eval(t, standby)
	if c.Leading() == standby.Leading() {
		t.Fatalf("leading: c %v, standby %v; want exactly one", c.Leading(), standby.Leading())
	}
	first, second := c, standby
	if standby.Leading() {
		first, second = standby, c
	}
	first.Close()
	e.eval(t, second)
	if !second.Leading() {
		t.Error("an engine does not take over from one that stopped cleanly")
	}
	second.Close()
	h.none(t)
}

// acked waits until the standby engine sees the webhook's acknowledgement
// of rule's alert firing in the store, which the evaluating engine keeps
// after the webhook answered.
func acked(t *testing.T, e *env, standby *alert.Engine, rule string) {
	t.Helper()
	for i := 0; ; i++ {
		e.eval(t, standby)
		for _, a := range standby.Alerts("acme") {
			if a.Rule == rule && a.State == alert.StateFiring && len(a.Sent) == 1 {
				return
			}
		}
		if i == 500 {
			t.Fatalf("the standby never saw %s acknowledged: %+v", rule, standby.Alerts("acme"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
