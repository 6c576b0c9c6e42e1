package ui

import (
	"net/http"
	"slices"
	"time"

	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// traceView is the trace screen: the waterfall tree and the detail pane.
type traceView struct {
	id      string // as requested
	trace   *store.Trace
	nodes   []node // depth-first order
	folded  []bool // by node index
	visible []int  // node indexes of the drawn lines
	line    int    // index into visible of the selection
	offset  int
	start   time.Time
	total   time.Duration
	failed  int
	running int

	groups map[spantree.SpanID]store.SpanError // failed spans' error groups

	focusDetail  bool
	detailOffset int
	level        spantree.Level // events below it are hidden
	loading      bool
	err          error
}

// setTrace builds the tree of t, keeping the selection (by span id) and the
// folds when t is a refresh of the trace already shown.
func (v *traceView) setTrace(t *store.Trace) {
	var keepSel spantree.SpanID
	keepFolded := map[spantree.SpanID]bool{}
	if cur := v.current(); cur != nil {
		keepSel = cur.span.SpanID
		for i, f := range v.folded {
			if f {
				keepFolded[v.nodes[i].span.SpanID] = true
			}
		}
	}
	v.trace, v.err = t, nil
	v.nodes = buildTree(t)
	v.groups = make(map[spantree.SpanID]store.SpanError, len(t.Errors))
	for _, e := range t.Errors {
		v.groups[e.SpanID] = e
	}
	v.folded = make([]bool, len(v.nodes))
	v.failed, v.running = 0, 0
	v.start, v.total = time.Time{}, 0
	var end time.Time
	for i := range v.nodes {
		s := v.nodes[i].span
		v.folded[i] = keepFolded[s.SpanID]
		if v.start.IsZero() || s.Start.Before(v.start) {
			v.start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
		switch s.Status {
		case spantree.StatusFailed:
			v.failed++
		case spantree.StatusStarted:
			v.running++
		}
	}
	if v.running > 0 {
		// A running span reaches the latest time the trace knows of.
		for i := range v.nodes {
			for _, ev := range v.nodes[i].span.Events {
				if ev.Time.After(end) {
					end = ev.Time
				}
			}
		}
	}
	v.total = end.Sub(v.start)
	v.relayout()
	v.line = 0
	for i, n := range v.visible {
		if v.nodes[n].span.SpanID == keepSel {
			v.line = i
		}
	}
}

// receive takes the answer to a trace request; current reports whether it
// answers the trace shown.
func (v *traceView) receive(msg traceMsg) (current bool, err error) {
	if msg.id != v.id {
		return false, nil
	}
	v.loading = false
	if msg.err != nil {
		return true, msg.err
	}
	v.setTrace(msg.trace)
	return true, nil
}

// notFound reports whether err is the receiver saying the trace is not there.
func notFound(err error) bool { return client.IsStatus(err, http.StatusNotFound) }

// update handles the keys of the trace screen: the tree's, or the detail
// pane's when it has the focus.
func (v traceView) update(key string, c keyCtx) (traceView, intent) {
	if v.trace == nil {
		return v, intent{}
	}
	switch {
	case keys.Focus.is(key):
		v.focusDetail = !v.focusDetail
		return v, intent{}
	case keys.Level.is(key):
		v.level = nextLevel(v.level)
		return v, intent{}
	case keys.Triage.is(key):
		cur := v.current()
		if cur == nil {
			return v, intent{}
		}
		s := cur.span
		if s.Error == nil {
			return v, failIntent("%s did not fail: nothing to triage", s.Name)
		}
		want := errorWant{fingerprint: v.groups[s.SpanID].Fingerprint, name: s.Name, location: s.Location, typ: s.Error.Type, message: s.Error.Message}
		return v, intent{kind: intentTriage, want: want}
	}
	if v.focusDetail {
		switch {
		case keys.Up.is(key):
			v.detailOffset = max(v.detailOffset-1, 0)
		case keys.Down.is(key):
			v.detailOffset++
		case keys.PageUp.is(key):
			v.detailOffset = max(v.detailOffset-c.page/2, 0)
		case keys.PageDown.is(key):
			v.detailOffset += c.page / 2
		}
		return v, intent{}
	}
	// The tree's slices are shared with the previous model value: copy
	// before changing them, so Update stays pure.
	v.folded, v.visible = slices.Clone(v.folded), slices.Clone(v.visible)
	v.navigate(key, v.treeHeight(c.page))
	return v, intent{}
}

// back is Esc: it gives the focus back to the tree first; handled is false
// when the tree had it, and the screen is popped.
func (v traceView) back() (_ traceView, handled bool) {
	if !v.focusDetail {
		return v, false
	}
	v.focusDetail = false
	return v, true
}

func (v *traceView) title() string { return "trace" }

// bindings are the footer's keys, the focused pane's.
func (v *traceView) bindings() []binding {
	k := keys
	if v.focusDetail {
		return []binding{k.Up, k.Down, k.Focus, k.Level, k.Back, k.Help, k.Quit}
	}
	return []binding{k.Prev, k.Next, k.Parent, k.Child, k.Fold, k.NextFailed, k.Focus, k.Level, k.Triage, k.Back, k.Help}
}

// treeHeight is how many tree lines the screen shows in a body of h lines:
// as many as the tree has, up to three fifths of the body; the rest (less
// the header and a rule) is the detail pane's.
func (v *traceView) treeHeight(h int) int {
	return clamp(len(v.visible), 1, max(h*3/5-1, 1))
}

// view draws the header, the tree, a rule and the detail pane in w×h cells.
func (v *traceView) view(w, h int) []string {
	if v.trace == nil {
		return []string{"", styles.dim.Render("loading trace " + v.id + "…")}
	}
	lines := []string{fit(v.header(), w)}
	th := v.treeHeight(h)
	lines = append(lines, v.treeLines(w, th)...)
	for len(lines) < th+1 {
		lines = append(lines, "")
	}
	focus := "tab: focus the detail"
	if v.focusDetail {
		focus = "detail focused: j/k scroll, tab back to the tree"
	}
	lines = append(lines, styles.dim.Render(fit("── detail · events ≥ "+string(v.level)+" (v) · "+focus+" ", w)))
	return append(lines, v.detailPane(w, h-len(lines))...)
}
