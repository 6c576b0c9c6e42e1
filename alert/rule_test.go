package alert_test

import (
	"testing"

	"github.com/spantree/spantree/alert"
)

// TestParseRuleErrors: each bad rule is refused naming its field.
func TestParseRuleErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"id":"a","kind":"p95","name":"x","threshold":"50ms","treshold":"1"}`, `treshold: unknown field`},
		{`{"id":"a","kind":"loud"}`, `kind: "loud": want status`},
		{`{"id":"a"}`, `kind: missing`},
		{`{"id":"","kind":"new_group"}`, `id: want 1 to 64`},
		{`{"id":"a","kind":"failure_rate","name":"x","threshold":1.5}`, `threshold: want a fraction`},
		{`{"id":"a","kind":"failure_rate","name":"x","threshold":"lots"}`, `threshold: want a fraction`},
		{`{"id":"a","kind":"failure_rate","threshold":0.1}`, `name: a failure_rate rule needs the span name`},
		{`{"id":"a","kind":"p95","name":"x","threshold":"-1s"}`, `threshold: want a positive duration`},
		{`{"id":"a","kind":"p95","name":"x"}`, `threshold: a p95 rule needs one`},
		{`{"id":"a","kind":"status","threshold":"panic"}`, `threshold: want "warn" or "alert"`},
		{`{"id":"a","kind":"new_group","threshold":"1"}`, `threshold: a new_group rule takes none`},
		{`{"id":"a","kind":"new_group","window":"10s"}`, `window: want 1m to`},
		{`{"id":"a","kind":"new_group","window":"soon"}`, `window: want a duration`},
		{`{"id":"a","kind":"new_group","for":"-1m"}`, `for: want 0 to`},
		{`{"id":"a","kind":"new_group","labels":{"app":"x"}}`, `labels: "app" is set by the receiver`},
		{`{"id":"a","kind":"new_group","labels":{"bad-name":"x"}}`, `labels: "bad-name": want a Prometheus label name`},
		{`{"id":"a","kind":"p95","name":"x","threshold":"1s","min_calls":-1}`, `min_calls: negative`},
		{`{"id":"a","kind":"p95","name":"x","threshold":"1s","min_calls":"2"}`, `min_calls: want int`},
		{`[1]`, `body: want a JSON object`},
	}
	for _, tt := range tests {
		_, err := alert.ParseRule([]byte(tt.body), "", "")
		if err == nil || len(err.Error()) < len(tt.want) || err.Error()[:len(tt.want)] != tt.want {
			t.Errorf("ParseRule(%s) = %v; want an error starting %q", tt.body, err, tt.want)
		}
	}
	if _, err := alert.ParseRule([]byte(`{"id":"b","kind":"new_group"}`), "", "a"); err == nil || err.Error()[:3] != "id:" {
		t.Errorf("ParseRule with another id than the URL's = %v; want an id error", err)
	}
}

// TestParseFile: a rules file's errors name the rule's index.
func TestParseFile(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"rules":[{"id":"a","kind":"new_group"},{"id":"a","kind":"regression"}]}`, `rules[1].id: "a" used twice`},
		{`{"rules":[{"id":"a","kind":"new_group"},{"id":"b","kind":"p95"}]}`, `rules[1].name: a p95 rule needs`},
		{`{"rule":[]}`, `rule: unknown field`},
	}
	for _, tt := range tests {
		_, err := alert.ParseFile([]byte(tt.body))
		if err == nil || len(err.Error()) < len(tt.want) || err.Error()[:len(tt.want)] != tt.want {
			t.Errorf("ParseFile(%s) = %v; want an error starting %q", tt.body, err, tt.want)
		}
	}
	rules, err := alert.ParseFile([]byte(`{"rules":[{"id":"a","kind":"failure_rate","name":"shop.charge","threshold":0.05,"namespace":"acme"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := rules[0]; r.Source != alert.SourceFile || r.Namespace != "acme" || string(r.Threshold) != "0.05" || r.MinCalls != 1 || r.Window.String() != "5m0s" {
		t.Errorf("ParseFile rule = %+v; want source file, namespace acme, threshold 0.05, min_calls 1, window 5m", r)
	}
}
