package ui

import (
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/internal/golden"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// screenText is what a terminal shows for m: View without colours, trailing
// blanks trimmed.
func screenText(m model) string {
	lines := strings.Split(ansi.Strip(m.View().Content), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name+".golden"), got, *update)
}

// TestViewGolden draws each screen at a fixed size after a sequence of keys
// and compares it with testdata/NAME.golden (go test ./ui -update rewrites).
func TestViewGolden(t *testing.T) {
	tests := []struct {
		name  string
		w, h  int
		setup func(*fake)
		keys  string
	}{
		{name: "dashboard", w: 110, h: 16},
		{name: "dashboard_narrow", w: 72, h: 12},
		{name: "dashboard_errors_only", w: 110, h: 12, keys: "s"},
		{name: "dashboard_crash_slow", w: 110, h: 12, keys: "s s d"},
		{name: "dashboard_query", w: 110, h: 12, keys: "/ 'pay' enter"},
		{name: "dashboard_query_typing", w: 110, h: 12, keys: "/ 'sho'"},
		{name: "dashboard_sorted_by_name", w: 110, h: 12, keys: "o o o o"},
		{name: "dashboard_empty", w: 100, h: 10, setup: func(f *fake) { f.rows = nil }},
		{name: "dashboard_unreachable", w: 100, h: 10, setup: func(f *fake) { f.err = errRefused }},
		{name: "dashboard_wrong_key", w: 100, h: 10, setup: func(f *fake) {
			f.err = &client.Error{Status: 401, Message: "missing or unknown API key"}
		}},
		{name: "traces_of_name", w: 140, h: 10, keys: "j j enter"},
		{name: "traces_recent", w: 110, h: 10, keys: "T"},
		{name: "trace", w: 120, h: 30, keys: "T j enter"},
		{name: "trace_child_detail", w: 120, h: 30, keys: "T j enter l j j"},
		{name: "trace_goroutine", w: 100, h: 24, keys: "T j enter l j"},
		{name: "trace_folded", w: 100, h: 20, keys: "T j enter l space"},
		{name: "trace_fold_all", w: 100, h: 20, keys: "T j enter z"},
		{name: "trace_level_debug_scrolled", w: 100, h: 24, keys: "T j enter v v v tab j j j j j j"},
		{name: "trace_unknown_id", w: 100, h: 10, keys: "f '2JZqQbHJxyBDEqWcFgCkgFXsyq9' enter"},
		{name: "trace_bad_id", w: 100, h: 10, keys: "f 'nope' enter"},
		{name: "errors", w: 120, h: 12, keys: "e"},
		{name: "errors_annotated", w: 120, h: 12, keys: "e w"},
		{name: "errors_from_span", w: 120, h: 12, keys: "T j enter n n a"},
		{name: "help", w: 120, h: 36},
		{name: "help_small", w: 80, h: 20},
		{name: "tags_prompt", w: 100, h: 8, keys: "t 'service:shop'"},
		{name: "traces_of_run", w: 110, h: 10, keys: "t 'shop#142' enter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.setup != nil {
				tt.setup(f)
			}
			m := started(f, tt.w, tt.h)
			keys := tt.keys
			if strings.HasPrefix(tt.name, "help") {
				keys = "?"
			}
			m = drive(m, keysOf(keys), nil)
			checkGolden(t, tt.name, screenText(m))
		})
	}
}

// TestViewResize redraws the same model at a new size.
func TestViewResize(t *testing.T) {
	m := started(newFake(), 120, 30)
	m = drive(m, keysOf("T j enter"), nil)
	m = drive(m, []tea.Msg{tea.WindowSizeMsg{Width: 70, Height: 14}}, nil)
	got := screenText(m)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 14 {
		t.Errorf("after resizing to 70×14 the view has %d lines; want 14", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 70 {
			t.Errorf("line %d is %d cells wide; want ≤ 70: %q", i, w, l)
		}
	}
	checkGolden(t, "trace_resized", got)
}

// TestViewNamespaces shows the picker of -db when the database holds
// several namespaces, and none at all.
func TestViewNamespaces(t *testing.T) {
	for _, tt := range []struct {
		name  string
		names []string
	}{
		{"namespaces", []string{"prod", "staging"}},
		{"namespaces_none", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn := &connector{
				list: func(context.Context) ([]string, error) { return tt.names, nil },
				open: func(string) Backend { return newFake() },
			}
			m := newModel(Config{Since: 3600e9, Slow: 1e8, Source: "spans.db"}, nil, conn, fixedNow)
			m = drive(m, []tea.Msg{tea.WindowSizeMsg{Width: 90, Height: 8}}, nil)
			m = driveCmd(m, m.Init())
			checkGolden(t, tt.name, screenText(m))
		})
	}
}
