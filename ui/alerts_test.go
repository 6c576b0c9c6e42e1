package ui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantree/spantree/alert"
	"github.com/spantree/spantree/client"
)

// TestAlertsScreen checks the alerts screen: A opens it from anywhere, a
// line per alert in the receiver's order with its state, rule, what it is
// about, since when and why; a receiver without an engine says so.
func TestAlertsScreen(t *testing.T) {
	f := newFake()
	f.alerts = []alert.Alert{
		{Namespace: "acme", Rule: "charge-failing", Kind: "failure_rate", State: alert.StateFiring,
			Labels:   map[string]string{"alertname": "charge-failing", "namespace": "acme", "kind": "failure_rate", "app": "shop", "name": "shop.charge"},
			Reason:   "shop.charge: 4 of 10 calls failed in 5m0s (40.0%, over 25.0%)",
			StartsAt: testNow.Add(-5 * time.Minute), ActiveSince: testNow.Add(-6 * time.Minute)},
		{Namespace: "acme", Rule: "new-errors", Kind: "new_group", State: alert.StatePending,
			Labels:      map[string]string{"alertname": "new-errors", "app": "shop", "fingerprint": "3fa9"},
			Reason:      "an error group nobody judged: *net.OpError",
			ActiveSince: testNow.Add(-30 * time.Second)},
	}
	m := started(f, 140, 20)
	m = drive(m, keysOf("A"), nil)
	if m.current() != screenAlerts {
		t.Fatalf("after A the screen is %v; want the alerts", m.current())
	}
	lines := m.alrt.view(140, 20, testNow)
	if got := ansi.Strip(lines[0]); got != "1 firing, 1 pending, 0 resolved in the last hour" {
		t.Errorf("count line %q", got)
	}
	tests := []struct {
		line int
		want []string
	}{
		{2, []string{"firing", "charge-failing", "app=shop name=shop.charge", "5m", "4 of 10 calls failed"}},
		{3, []string{"pending", "new-errors", "app=shop fingerprint=3fa9", "30s", "nobody judged"}},
	}
	for _, tt := range tests {
		row := ansi.Strip(lines[tt.line])
		for _, w := range tt.want {
			if !strings.Contains(row, w) {
				t.Errorf("row %d %q lacks %q", tt.line, row, w)
			}
		}
	}
	if !strings.Contains(ansi.Strip(m.View().Content), "alerts") {
		t.Errorf("the title does not name the alerts screen:\n%s", ansi.Strip(m.View().Content))
	}

	// A receiver without an engine answers 404: the screen says so.
	f.err = &client.Error{Status: http.StatusNotFound, Message: "alerts: this receiver runs no alert engine"}
	var empty alertList
	if err := empty.receive(alertsMsg{err: f.err}); err == nil {
		t.Fatal("receive of a 404 returned no error")
	}
	if got := ansi.Strip(strings.Join(empty.view(140, 20, testNow), "\n")); !strings.Contains(got, "runs no alert engine") {
		t.Errorf("a 404 shows %q; want the receiver's reason", got)
	}
}
