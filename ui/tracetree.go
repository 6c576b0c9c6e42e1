package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// node is one span of the open trace, linked into the tree.
type node struct {
	span     *spantree.SpanData
	parent   int // -1 for a root
	children []int
	depth    int
	size     int // spans in the subtree, this one included
	slow     bool
}

// buildTree links t's spans into a depth-first ordered tree. Spans whose
// parent is missing become roots, so partial traces still show.
func buildTree(t *store.Trace) []node {
	spans := t.Spans
	byID := make(map[spantree.SpanID]int, len(spans))
	for i := range spans {
		byID[spans[i].SpanID] = i
	}
	kids := make([][]int, len(spans))
	var roots []int
	for i := range spans {
		p, ok := byID[spans[i].ParentID]
		if ok && !spans[i].ParentID.IsZero() && p != i {
			kids[p] = append(kids[p], i)
		} else {
			roots = append(roots, i)
		}
	}
	byStart := func(a, b int) int { return spans[a].Start.Compare(spans[b].Start) }
	slices.SortStableFunc(roots, byStart)
	slow := make(map[spantree.SpanID]bool, len(t.SlowSpans))
	for _, id := range t.SlowSpans {
		slow[id] = true
	}
	nodes := make([]node, 0, len(spans))
	seen := make([]bool, len(spans))
	// Iterative depth-first walk: traces can be deep, and a cycle in bad
	// data must not loop forever.
	type frame struct{ span, parent, depth int }
	stack := make([]frame, 0, len(roots))
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, frame{roots[i], -1, 0})
	}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[f.span] {
			continue
		}
		seen[f.span] = true
		ix := len(nodes)
		s := &spans[f.span]
		nodes = append(nodes, node{span: s, parent: f.parent, depth: f.depth, slow: len(slow) > 0 && slow[s.SpanID]})
		if f.parent >= 0 {
			nodes[f.parent].children = append(nodes[f.parent].children, ix)
		}
		k := kids[f.span]
		slices.SortStableFunc(k, byStart)
		for i := len(k) - 1; i >= 0; i-- {
			stack = append(stack, frame{k[i], ix, f.depth + 1})
		}
	}
	for i := len(nodes) - 1; i >= 0; i-- {
		nodes[i].size++
		if p := nodes[i].parent; p >= 0 {
			nodes[p].size += nodes[i].size
		}
	}
	return nodes
}

// relayout recomputes the visible lines after a fold changed.
func (v *traceView) relayout() {
	cur := -1
	if v.line < len(v.visible) {
		cur = v.visible[v.line]
	}
	v.visible = make([]int, 0, len(v.visible))
	for i := 0; i < len(v.nodes); {
		v.visible = append(v.visible, i)
		if v.folded[i] {
			i += v.nodes[i].size
		} else {
			i++
		}
	}
	v.selectNode(cur)
}

// selectNode moves the selection to node n, unfolding its ancestors.
func (v *traceView) selectNode(n int) {
	if n < 0 || n >= len(v.nodes) {
		v.line = clamp(v.line, 0, len(v.visible)-1)
		return
	}
	hidden := false
	for p := v.nodes[n].parent; p >= 0; p = v.nodes[p].parent {
		if v.folded[p] {
			v.folded[p], hidden = false, true
		}
	}
	if hidden {
		v.relayout()
	}
	if i, ok := slices.BinarySearch(v.visible, n); ok {
		v.line = i
	}
	v.detailOffset = 0
}

func (v *traceView) current() *node {
	if v.line < 0 || v.line >= len(v.visible) {
		return nil
	}
	return &v.nodes[v.visible[v.line]]
}

// navigate handles the tree keys; it reports whether key was one of them.
func (v *traceView) navigate(key string, page int) bool {
	if len(v.visible) == 0 {
		return false
	}
	n := v.visible[v.line]
	nd := &v.nodes[n]
	sibling := func(delta int) {
		var sibs []int
		if nd.parent >= 0 {
			sibs = v.nodes[nd.parent].children
		} else {
			for i := range v.nodes {
				if v.nodes[i].parent < 0 {
					sibs = append(sibs, i)
				}
			}
		}
		i := slices.Index(sibs, n) + delta
		if i >= 0 && i < len(sibs) {
			v.selectNode(sibs[i])
			return
		}
		// No sibling that way: step to the neighbouring line.
		if l := v.line + delta; l >= 0 && l < len(v.visible) {
			v.line, v.detailOffset = l, 0
		}
	}
	switch {
	case keys.Prev.is(key):
		sibling(-1)
	case keys.Next.is(key):
		sibling(+1)
	case keys.Parent.is(key):
		if nd.parent >= 0 {
			v.selectNode(nd.parent)
		}
	case keys.Child.is(key):
		if len(nd.children) > 0 {
			v.folded[n] = false
			v.relayout()
			v.selectNode(nd.children[0])
		}
	case keys.Fold.is(key):
		if len(nd.children) > 0 {
			v.folded[n] = !v.folded[n]
			v.relayout()
		}
	case keys.FoldAll.is(key):
		for _, c := range nd.children {
			v.foldSubtree(c)
		}
		v.folded[n] = false
		v.relayout()
	case keys.UnfoldAll.is(key):
		clear(v.folded)
		v.relayout()
	case keys.NextFailed.is(key):
		for i := 1; i <= len(v.nodes); i++ {
			c := (n + i) % len(v.nodes)
			if v.nodes[c].span.Status == spantree.StatusFailed {
				v.selectNode(c)
				break
			}
		}
	case keys.PageUp.is(key), keys.PageDown.is(key), keys.Top.is(key), keys.Bottom.is(key):
		v.line, _ = moveCursor(key, v.line, len(v.visible), page)
		v.detailOffset = 0
	default:
		return false
	}
	return true
}

// setVerdict shows a new verdict on every span of the group fingerprint.
func (v *traceView) setVerdict(fingerprint string, a *store.Annotation) {
	groups := make(map[spantree.SpanID]store.SpanError, len(v.groups))
	for id, g := range v.groups {
		if g.Fingerprint == fingerprint {
			g.Annotation = a
		}
		groups[id] = g
	}
	v.groups = groups
}

// foldSubtree folds every node with children in the subtree of n.
func (v *traceView) foldSubtree(n int) {
	for i := n; i < n+v.nodes[n].size; i++ {
		if len(v.nodes[i].children) > 0 {
			v.folded[i] = true
		}
	}
}

// header is the line above the tree.
func (v *traceView) header() string {
	t := v.trace
	parts := []string{styles.title.Render("trace " + t.TraceID.String())}
	if t.Run > 0 {
		service := t.Tags["service"]
		if len(t.Services) > 0 {
			service = t.Services[0]
		}
		parts = append(parts, styles.title.Render(store.RunLabel(service, t.Run)))
	}
	parts = append(parts, styles.dim.Render(t.Hex), fmt.Sprintf("%d spans", len(v.nodes)), fmtDuration(v.total))
	if v.failed > 0 {
		parts = append(parts, styles.bad.Render(fmt.Sprintf("%d failed", v.failed)))
	}
	switch {
	case v.running > 0 && t.Abandoned:
		parts = append(parts, styles.dim.Render(fmt.Sprintf("abandoned: %d never ended (the process stopped publishing)", v.running)))
	case v.running > 0:
		parts = append(parts, styles.running.Render(fmt.Sprintf("%d running", v.running)))
	}
	if len(t.Services) > 1 {
		parts = append(parts, styles.service.Render("services "+strings.Join(t.Services, ", ")))
	}
	if len(t.Tags) > 0 {
		parts = append(parts, styles.dim.Render(tagString(t.Tags)))
	}
	return strings.Join(parts, " · ")
}

// treeLines draws h lines of the waterfall in w cells.
func (v *traceView) treeLines(w, h int) []string {
	barW := clamp(w/4, 8, 60)
	const durW = 8
	nameW := w - barW - durW - 3
	v.offset = window(v.line, v.offset, h, len(v.visible))
	var lines []string
	for i := v.offset; i < len(v.visible) && i < v.offset+h; i++ {
		n := v.visible[i]
		nd := &v.nodes[n]
		s := nd.span
		var b strings.Builder
		b.WriteString(strings.Repeat("  ", nd.depth))
		switch {
		case len(nd.children) == 0:
			b.WriteString("  ")
		case v.folded[n]:
			b.WriteString("▸ ")
		default:
			b.WriteString("▾ ")
		}
		switch s.Status {
		case spantree.StatusFailed:
			b.WriteString(styles.bad.Render("✗ "))
		case spantree.StatusStarted:
			b.WriteString(styles.running.Render("… "))
		}
		if s.Goroutine {
			b.WriteString(styles.goroutine.Render("go "))
		}
		name := s.Name
		if s.Status == spantree.StatusFailed {
			name = styles.bad.Render(name)
		}
		b.WriteString(name)
		// The service where it changes: on the roots and where a call
		// crossed into another process.
		if s.Service != "" && (nd.parent < 0 || v.nodes[nd.parent].span.Service != s.Service) {
			b.WriteString(" " + styles.service.Render("["+s.Service+"]"))
		}
		if f := s.Fold; f != nil {
			b.WriteString(styles.dim.Render(fmt.Sprintf(" ×%d (%s–%s)", f.Count,
				fmtDuration(time.Duration(f.MinNS)), fmtDuration(time.Duration(f.MaxNS)))))
		}
		if v.folded[n] {
			b.WriteString(styles.dim.Render(fmt.Sprintf(" [+%d]", nd.size-1)))
		}
		if nd.slow {
			b.WriteString(styles.slow.Render(" slow"))
		}
		if g, ok := v.groups[s.SpanID]; ok {
			vd := verdict(g.Annotation)
			b.WriteString(" " + verdictStyle(severityOf(g.Annotation)).Render("["+vd+"]"))
		}
		d := s.Duration()
		if f := s.Fold; f != nil {
			d = time.Duration(f.TotalNS)
		}
		dur := fmtDuration(d)
		if s.Status == spantree.StatusStarted {
			dur = "running"
		}
		line := fit(b.String(), nameW) + " " + fitLeft(dur, durW) + " " + v.bar(s, barW)
		lines = append(lines, cursorLine(line, i == v.line, w))
	}
	return lines
}

// bar draws where s falls within the trace, in w cells.
func (v *traceView) bar(s *spantree.SpanData, w int) string {
	if v.total <= 0 {
		return strings.Repeat(" ", w)
	}
	end := s.End
	if end.IsZero() {
		end = v.start.Add(v.total)
	}
	from := int(int64(w) * int64(s.Start.Sub(v.start)) / int64(v.total))
	to := int((int64(w)*int64(end.Sub(v.start)) + int64(v.total) - 1) / int64(v.total))
	from = clamp(from, 0, w-1)
	to = clamp(to, from+1, w)
	style := styles.bar
	if s.Status == spantree.StatusFailed {
		style = styles.barBad
	}
	return strings.Repeat(" ", from) + style.Render(strings.Repeat("█", to-from)) + strings.Repeat(" ", w-to)
}
