package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/alert"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
)

// alertEnv is a server with an alert engine whose rules file holds one
// rule, "file-status"; other is the key of a second namespace.
func alertEnv(t *testing.T) (e *env, en *alert.Engine, other string) {
	t.Helper()
	rules, err := alert.ParseFile([]byte(`{"rules":[{"id":"file-status","kind":"status","threshold":"alert"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e = newEnvOf(t, func(st *sqlite.Store) server.Options {
		en, err = alert.New(alert.Options{Store: st, Rules: rules})
		if err != nil {
			t.Fatal(err)
		}
		return server.Options{P99Refresh: -1, Alerts: en}
	})
	t.Cleanup(func() { en.Close() }) // before the server and the store close
	other, err = e.st.CreateKey(context.Background(), "beta")
	if err != nil {
		t.Fatal(err)
	}
	return e, en, other
}

// ruleIDs lists the ids and sources of GET /v1/alerts/rules.
func ruleIDs(t *testing.T, e *env, key string) []string {
	t.Helper()
	status, body := e.do("GET", "/v1/alerts/rules", key, nil)
	if status != 200 {
		t.Fatalf("GET /v1/alerts/rules = %d %s", status, body)
	}
	var got struct{ Rules []alert.Rule }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, r := range got.Rules {
		ids = append(ids, r.ID+" "+r.Source)
	}
	return ids
}

// TestAlertRulesBadInput: a bad rule is refused with 400 naming the field.
func TestAlertRulesBadInput(t *testing.T) {
	e, _, _ := alertEnv(t)
	for _, tt := range []struct{ body, field string }{
		{`{"id":"a","kind":"status","colour":"red"}`, "colour"},
		{`{"id":"a","kind":"failure_rate","name":"shop.charge","threshold":1.5}`, "threshold"},
		{`{"id":"a","kind":"failure_rate","name":"shop.charge","threshold":"lots"}`, "threshold"},
		{`{"id":"a","kind":"p95","name":"shop.charge","threshold":"-3ms"}`, "threshold"},
		{`{"id":"a","kind":"p95","threshold":"30ms"}`, "name"},
		{`{"id":"a","kind":"loud"}`, "kind"},
		{`{"id":"a"}`, "kind"},
		{`{"id":"a b","kind":"status"}`, "id"},
		{`{"kind":"status"}`, "id"},
		{`{"id":"a","kind":"status","window":"5 minutes"}`, "window"},
		{`{"id":"a","kind":"status","window":"10s"}`, "window"},
		{`{"id":"a","kind":"new_group","min_calls":-1}`, "min_calls"},
		{`{"id":"a","kind":"status","labels":{"alertname":"x"}}`, "labels"},
		{`{"id":"a","kind":"status","namespace":"beta"}`, "namespace"},
		{`[1,2]`, "body"},
	} {
		status, body := e.do("POST", "/v1/alerts/rules", e.key, []byte(tt.body), "Content-Type", "application/json")
		var msg struct{ Error string }
		json.Unmarshal([]byte(body), &msg)
		if status != 400 || !strings.HasPrefix(msg.Error, tt.field) {
			t.Errorf("POST /v1/alerts/rules %s = %d %s; want 400 naming %s", tt.body, status, body, tt.field)
		}
	}
	if got := ruleIDs(t, e, e.key); !cmp.Equal(got, []string{"file-status file"}) {
		t.Errorf("rules after bad input = %v; want only the file's", got)
	}
}

// TestAlertRules: rules set, listed and deleted through the API, in the
// namespace of the key; the file's rules cannot be changed there.
func TestAlertRules(t *testing.T) {
	e, _, other := alertEnv(t)
	ct := []string{"Content-Type", "application/json"}
	if status, body := e.do("GET", "/v1/alerts/rules", "", nil); status != 401 {
		t.Errorf("GET /v1/alerts/rules without a key = %d %s; want 401", status, body)
	}
	status, body := e.do("POST", "/v1/alerts/rules", e.key, []byte(`{"id":"slow","kind":"p95","name":"shop.charge","threshold":"250ms","labels":{"team":"pay"}}`), ct...)
	if status != 200 {
		t.Fatalf("POST /v1/alerts/rules = %d %s; want 200", status, body)
	}
	var kept alert.Rule
	if err := json.Unmarshal([]byte(body), &kept); err != nil {
		t.Fatal(err)
	}
	if kept.ID != "slow" || kept.Source != alert.SourceAPI || kept.Window != alert.Duration(5*time.Minute) || kept.MinCalls != 1 {
		t.Errorf("rule as kept = %+v; want slow from the API with the default window and min_calls", kept)
	}
	if status, body := e.do("POST", "/v1/alerts/rules", e.key, []byte(`{"id":"file-status","kind":"status"}`), ct...); status != 409 || !strings.Contains(body, "rules file") {
		t.Errorf("POST of the file's rule = %d %s; want 409 naming the rules file", status, body)
	}
	if diff := cmp.Diff([]string{"file-status file", "slow api"}, ruleIDs(t, e, e.key)); diff != "" {
		t.Errorf("rules of acme (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"file-status file"}, ruleIDs(t, e, other)); diff != "" {
		t.Errorf("rules of beta (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		key, id string
		want    int
	}{
		{other, "slow", 404}, // another namespace's
		{e.key, "file-status", 409},
		{e.key, "slow", 204},
		{e.key, "slow", 404},
	} {
		if status, body := e.do("DELETE", "/v1/alerts/rules/"+tt.id, tt.key, nil); status != tt.want {
			t.Errorf("DELETE /v1/alerts/rules/%s = %d %s; want %d", tt.id, status, body, tt.want)
		}
	}
	if diff := cmp.Diff([]string{"file-status file"}, ruleIDs(t, e, e.key)); diff != "" {
		t.Errorf("rules after the delete (-want +got):\n%s", diff)
	}
}

// TestAlertList: GET /v1/alerts lists what the engine found, per namespace.
func TestAlertList(t *testing.T) {
	e, en, other := alertEnv(t)
	if status, body := e.do("POST", "/v1/alerts/rules", e.key, []byte(`{"id":"untriaged","kind":"new_group"}`), "Content-Type", "application/json"); status != 200 {
		t.Fatalf("POST /v1/alerts/rules = %d %s", status, body)
	}
	now := time.Now()
	tr := spantree.NewTraceID(now)
	b := spantree.Batch{Tags: map[string]string{"service": "shop"}, Spans: []spantree.SpanData{{TraceID: tr, SpanID: spantree.SpanID{1}, Name: "shop.charge",
		Location: "shop/charge.go:10", Start: now.Add(-time.Second), End: now, Status: spantree.StatusFailed,
		Error: &spantree.ErrorInfo{Type: "*errors.errorString", Message: "card declined"}}}}
	if _, err := e.st.Ingest(context.Background(), "acme", []spantree.Batch{b}); err != nil {
		t.Fatal(err)
	}
	if err := en.Evaluate(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	list := func(key string) []string {
		status, body := e.do("GET", "/v1/alerts", key, nil)
		if status != 200 {
			t.Fatalf("GET /v1/alerts = %d %s", status, body)
		}
		var got struct{ Alerts []alert.Alert }
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, a := range got.Alerts {
			out = append(out, a.Rule+" "+a.State+" "+a.Labels["app"])
		}
		return out
	}
	if diff := cmp.Diff([]string{"untriaged firing shop"}, list(e.key)); diff != "" {
		t.Errorf("alerts of acme (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{}, list(other)); diff != "" {
		t.Errorf("alerts of beta (-want +got):\n%s", diff)
	}
	// The receiver's own /metrics (no key) counts what fires.
	if status, body := e.do("GET", "/metrics", "", nil); status != 200 || !strings.Contains(body, "\nspantree_alerts_firing 1\n") {
		t.Errorf("GET /metrics = %d, want spantree_alerts_firing 1 in:\n%s", status, body)
	}
}

// TestAlertsWithoutEngine: a receiver without an engine says so.
func TestAlertsWithoutEngine(t *testing.T) {
	e := newEnv(t, server.Options{P99Refresh: -1})
	if status, body := e.do("GET", "/v1/alerts", e.key, nil); status != 404 || !strings.Contains(body, "no alert engine") {
		t.Errorf("GET /v1/alerts = %d %s; want 404 saying there is no alert engine", status, body)
	}
}
