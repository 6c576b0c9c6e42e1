package ui

import (
	"strings"
	"testing"
)

// hostile is span data that would drive a terminal if printed raw: an OSC
// that sets the window title, a clear screen, a colour and a C1 CSI.
const hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\u009b1m"

// TestViewEscapesSpanData gives the dashboard, the trace list and the trace
// screen span names, errors and tags with escape sequences: each screen
// shows them escaped (testdata/escaped_*.golden), and the raw frame holds
// none of them.
func TestViewEscapesSpanData(t *testing.T) {
	const name = "shop.(*Server).Checkout"
	setup := func(f *fake) {
		for i := range f.rows {
			if f.rows[i].Name == name {
				f.rows[i].Name += hostile
			}
		}
		for i := range f.summaries {
			if f.summaries[i].Name == name {
				f.summaries[i].Name += hostile
				f.summaries[i].App = "shop" + hostile
			}
		}
		for _, tr := range f.traces {
			for i := range tr.Spans {
				sp := &tr.Spans[i]
				if sp.Name != name {
					continue
				}
				sp.Name += hostile
				if sp.Error != nil {
					sp.Error.Message += hostile
				}
			}
			if tr.Tags != nil {
				tr.Tags["service"] += hostile
			}
		}
	}
	tests := []struct {
		name, keys string
	}{
		{"dashboard", ""},
		{"traces", "T"},
		{"trace", "T j enter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			setup(f)
			m := drive(started(f, 150, 24), keysOf(tt.keys), nil)
			raw := m.View().Content
			for _, seq := range []string{"\x1b]0;", "\x1b[2J", "\x1b[31m", "\u009b"} {
				if strings.Contains(raw, seq) {
					t.Errorf("the frame holds %q from span data raw", seq)
				}
			}
			got := screenText(m)
			if !strings.Contains(got, `\x1b]0;pwned\x07`) {
				t.Errorf("the screen does not show the span data escaped:\n%s", got)
			}
			checkGolden(t, "escaped_"+tt.name, got)
		})
	}
}
