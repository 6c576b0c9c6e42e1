package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// TestSlowSpans checks the slow spans screen: ranked by impact, the
// figures of each row, and enter opening the slowest trace.
func TestSlowSpans(t *testing.T) {
	slowest := spantree.NewTraceID(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	spans := []store.SlowSpan{
		{Name: "shop.list", Location: "shop/list.go:9", Count: 500, P50: 1e6, P95: 2e6, P99: 3e6, Max: 4e6, Impact: 0.004},
		{Name: "db.Query", Location: "db/db.go:30", Count: 90, P50: 5e6, P95: 80e6, P99: 120e6, Max: 300e6, SlowCount: 2,
			Slowest: []spantree.TraceID{slowest}, Impact: 0.12},
	}
	var s slowSpans
	if err := s.receive(slowMsg{spans: spans}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range s.view(120, 20)[2:] {
		names = append(names, strings.TrimLeft(strings.Fields(ansi.Strip(l))[0], "▌"))
	}
	if diff := cmp.Diff([]string{"db.Query", "shop.list"}, names); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	row := ansi.Strip(s.view(120, 20)[2])
	for _, want := range []string{"db/db.go:30", "90", "5.00ms", "80.0ms", "120ms", "300ms", "2", "12.00%"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}
	_, it := s.update("enter", keyCtx{page: 20})
	if it.kind != intentTrace || it.id != slowest.String() {
		t.Errorf("enter on db.Query: %+v; want to open trace %s", it, slowest)
	}
	s, _ = s.update("j", keyCtx{page: 20})
	if _, it := s.update("enter", keyCtx{page: 20}); it.kind != intentFail {
		t.Errorf("enter on a span without traces: %+v; want a failure message", it)
	}
}
