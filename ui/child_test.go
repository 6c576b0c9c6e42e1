package ui

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/store"
)

// TestChildIntents drives each screen's child model directly with one key
// and checks what it asks of the root model: the children own their keys
// and reach nothing outside themselves.
func TestChildIntents(t *testing.T) {
	const slow = 100 * time.Millisecond
	f := newFake()
	c := keyCtx{page: 20, filters: filters{slow: slow}}
	var dash dashboard
	dash.receive(dashboardMsg{rows: f.rows}, c.filters)
	var list traceList
	list.receive(tracesMsg{items: f.summaries}, c.filters)
	var errs errorGroups
	errs.receive(errorsMsg{groups: f.groups})
	var tree traceView
	tree.setTrace(checkoutTrace())
	onCart, _ := tree.update("j", c) // shop.loadCart, which succeeded
	ns := namespaces{names: []string{"prod", "staging"}, loaded: true}

	update := map[string]func(key string) intent{
		"namespaces": func(k string) intent { _, it := ns.update(k, c); return it },
		"dashboard":  func(k string) intent { _, it := dash.update(k, c); return it },
		"traces":     func(k string) intent { _, it := list.update(k, c); return it },
		"trace":      func(k string) intent { _, it := tree.update(k, c); return it },
		"errors":     func(k string) intent { _, it := errs.update(k, c); return it },
		"loadCart":   func(k string) intent { _, it := onCart.update(k, c); return it },
	}
	tests := []struct {
		screen, key string
		want        intent
	}{
		{"namespaces", "enter", intent{kind: intentNamespace, name: "prod"}},
		{"namespaces", "j", intent{}},
		{"dashboard", "enter", intent{kind: intentTraces, name: "shop.dialPayments"}},
		{"dashboard", "/", intent{kind: intentPrompt, prompt: prompt{kind: promptQuery, label: "/"}}},
		{"dashboard", "s", intent{kind: intentFilters, filters: filters{status: statusError, slow: slow}}},
		{"dashboard", "o", intent{}},
		{"traces", "enter", intent{kind: intentTrace, id: traceB}},
		{"traces", "d", intent{kind: intentFilters, filters: filters{speed: speedSlow, slow: slow}}},
		{"trace", "a", intent{kind: intentTriage, want: errorWant{fingerprint: "fp-declined", name: "shop.(*Server).Checkout",
			location: "shop/server.go:40", typ: "*errors.errorString", message: "charge card: declined"}}},
		{"trace", "v", intent{}},
		{"loadCart", "a", failIntent("shop.loadCart did not fail: nothing to triage")},
		{"errors", "enter", intent{kind: intentTrace, id: traceA}},
		{"errors", "i", intent{kind: intentPrompt, prompt: prompt{kind: promptNote, label: "note:"}}},
		{"errors", "c", intent{kind: intentVerdict, verdict: verdictSent{fingerprint: "fp-declined",
			a: store.Annotation{Kind: "crash", Severity: "alert"}, status: "saving…"}}},
	}
	for _, tt := range tests {
		t.Run(tt.screen+" "+tt.key, func(t *testing.T) {
			got := update[tt.screen](press(tt.key).String())
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(intent{}, prompt{}, filters{}, errorWant{}, verdictSent{})); diff != "" {
				t.Errorf("%s: key %q (-want +got):\n%s", tt.screen, tt.key, diff)
			}
		})
	}
}
