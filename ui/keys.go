package ui

import "slices"

// binding is one action: the keys that trigger it (as tea.KeyPressMsg.String
// spells them), how help prints them, and what it does.
type binding struct {
	keys  []string
	label string // the keys as help prints them
	short string // the footer's word
	help  string // the help screen's line
}

func (b binding) is(key string) bool { return slices.Contains(b.keys, key) }

func bind(label, short, help string, keys ...string) binding {
	return binding{keys: keys, label: label, short: short, help: help}
}

// keys is the whole key map. The help screen lists every binding of every
// section; footers show a few of the focused pane's.
var keys = struct {
	// Global.
	Quit, Help, Back, Refresh, Find, Errors, Slow, Alerts, Traces, Namespace binding
	// Lists (dashboard, traces, errors, namespaces).
	Up, Down, PageUp, PageDown, Top, Bottom, Open binding
	// Dashboard and trace list.
	Query, Status, Speed, Tags, Sort binding
	// Trace view.
	Prev, Next, Parent, Child, Fold, FoldAll, UnfoldAll, NextFailed, Focus, Level, Triage binding
	// Errors (triage).
	Crash, Silence, OK, Warn, Alert, Note, ByCount binding
}{
	Quit:      bind("q", "quit", "quit (ctrl+c anywhere)", "q", "ctrl+c"),
	Help:      bind("?", "help", "show / hide this help", "?"),
	Back:      bind("esc", "back", "back (close help, cancel input)", "esc"),
	Refresh:   bind("r", "refresh", "refresh now (also every few seconds)", "r"),
	Find:      bind("f", "find id", "find a trace by KSUID or 32 hex", "f"),
	Errors:    bind("e", "errors", "error groups (triage)", "e"),
	Slow:      bind("S", "slow", "slow spans, by impact", "S"),
	Alerts:    bind("A", "alerts", "alerts: firing, pending, resolved", "A"),
	Traces:    bind("T", "traces", "recent traces of all names", "T"),
	Namespace: bind("N", "namespace", "choose the namespace (-db)", "N"),

	Up:       bind("↑/k", "up", "up", "up", "k"),
	Down:     bind("↓/j", "down", "down", "down", "j"),
	PageUp:   bind("pgup", "page up", "page up", "pgup", "ctrl+u"),
	PageDown: bind("pgdn", "page down", "page down", "pgdown", "ctrl+d"),
	Top:      bind("g", "top", "first line", "g", "home"),
	Bottom:   bind("G", "bottom", "last line", "G", "end"),
	Open:     bind("enter", "open", "open", "enter"),

	Query:  bind("/", "filter", "text filter; trace lists: query language", "/"),
	Status: bind("s", "status", "status: all → error → crash → ok", "s"),
	Speed:  bind("d", "duration", "duration: all → slow → fast", "d"),
	Tags:   bind("t", "tags", "tag filter k:v[,k:v] for trace lists; run:N or svc#N: a run number", "t"),
	Sort:   bind("o", "sort", "sort: failures → calls → last seen → p95 → name", "o"),

	Prev:       bind("↑/k", "prev", "previous sibling (or line above)", "up", "k"),
	Next:       bind("↓/j", "next", "next sibling (or line below)", "down", "j"),
	Parent:     bind("←/h", "parent", "parent", "left", "h"),
	Child:      bind("→/l", "child", "first child (unfolds)", "right", "l"),
	Fold:       bind("space", "fold", "fold / unfold the subtree", "space", "enter"),
	FoldAll:    bind("z", "fold all", "fold every subtree below the selection", "z"),
	UnfoldAll:  bind("Z", "unfold all", "unfold everything", "Z"),
	NextFailed: bind("n", "next failed", "next failed span", "n"),
	Focus:      bind("tab", "detail", "switch focus: tree ↔ detail", "tab"),
	Level:      bind("v", "level", "events shown: debug → info → warn → error", "v"),
	Triage:     bind("a", "triage", "triage the selected span's error group", "a"),

	Crash:   bind("c", "crash", "mark as crash", "c"),
	Silence: bind("m", "silence", "mark as silenced (mute)", "m"),
	OK:      bind("o", "OK", "severity OK", "o"),
	Warn:    bind("w", "WARN", "severity WARN", "w"),
	Alert:   bind("a", "ALERT", "severity ALERT", "a"),
	ByCount: bind("#", "by count", "order: last seen ↔ most occurrences", "#"),
	Note:    bind("i", "note", "write a note", "i"),
}

// helpSection is one titled group of bindings on the help screen.
type helpSection struct {
	title    string
	bindings []binding
}

func helpSections() []helpSection {
	k := keys
	return []helpSection{
		{"Everywhere", []binding{k.Help, k.Back, k.Quit, k.Refresh, k.Find, k.Errors, k.Slow, k.Alerts, k.Traces, k.Namespace}},
		{"Lists", []binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Open}},
		{"Dashboard and trace lists", []binding{k.Query, k.Status, k.Speed, k.Tags, k.Sort}},
		{"Trace", []binding{k.Prev, k.Next, k.Parent, k.Child, k.Fold, k.FoldAll, k.UnfoldAll, k.NextFailed, k.Focus, k.Level, k.Triage}},
		{"Error groups", []binding{k.Crash, k.Silence, k.OK, k.Warn, k.Alert, k.Note, k.ByCount, k.Open}},
	}
}
