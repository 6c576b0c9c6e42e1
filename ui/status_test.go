package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/spantree/spantree/store"
)

// TestDashboardStatus checks the apps' status lines above the dashboard's
// rows: the apps not OK, ALERT first, with their reasons, at most
// maxStatusLines and a count of the others; one OK line when all are.
func TestDashboardStatus(t *testing.T) {
	app := func(name, status, reason string) store.AppStatus {
		return store.AppStatus{App: name, Status: status, Reason: status + ": " + reason}
	}
	for _, tc := range []struct {
		name string
		apps []store.AppStatus
		want []string
	}{
		{"all ok", []store.AppStatus{app("a", "OK", "1 trace, 0 failed"), app("b", "OK", "2 traces, 0 failed")}, []string{"OK all 2 apps"}},
		{"worst first", []store.AppStatus{
			app("calm", "OK", "fine"),
			app("shop", "WARN", "1 error group nobody judged"),
			app("pay", "ALERT", "1 error group at alert (fp1)"),
		}, []string{"ALERT pay 1 error group at alert (fp1)", "WARN shop 1 error group nobody judged"}},
		{"bounded", []store.AppStatus{
			app("a", "WARN", "x"), app("b", "WARN", "x"), app("c", "WARN", "x"), app("d", "WARN", "x"), app("e", "ALERT", "multi\nline"),
		}, []string{"ALERT e multi ⏎ line", "WARN a x", "WARN b x", "and 2 more apps not OK"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d dashboard
			d.receive(dashboardMsg{rows: newFake().rows, status: &store.StatusReport{Apps: tc.apps}}, filters{})
			var got []string
			for _, l := range d.statusLines(120) {
				got = append(got, strings.TrimSpace(ansi.Strip(l)))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("status lines (-want +got):\n%s", diff)
			}
			// And in the screen, right under the filter line.
			view := d.view(120, 30, filters{}, time.Now())
			if len(view) < 2 || strings.TrimSpace(ansi.Strip(view[1])) != tc.want[0] {
				t.Errorf("dashboard line 2 = %q; want %q", ansi.Strip(view[1]), tc.want[0])
			}
		})
	}
}
