package spantree

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// TreeOptions controls how a trace is drawn.
type TreeOptions struct {
	Color bool          // ANSI colours
	Slow  time.Duration // spans at least this long are highlighted (0: none)
	// MaskDurations prints every duration as "…", for golden files.
	MaskDurations bool
}

// Tree is the tree sink: each trace printed once, whole, as an indented tree
// with durations, failures and their errors, handled errors, slow spans
// highlighted and folded calls on one line with their counts.
type Tree struct {
	mu   sync.Mutex
	w    io.Writer
	opts TreeOptions
}

var _ Sink = (*Tree)(nil)

// NewTree returns a tree sink writing to w.
func NewTree(w io.Writer, opts TreeOptions) *Tree { return &Tree{w: w, opts: opts} }

// Export prints t.
func (s *Tree) Export(_ context.Context, t *Trace) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return WriteTree(s.w, t, s.opts)
}

// Flush does nothing: Export writes through.
func (s *Tree) Flush(context.Context) error { return nil }

const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// WriteTree draws t's spans as a tree. Spans whose parent is not among them
// are drawn as roots, so a partial publication still prints.
func WriteTree(w io.Writer, t *Trace, opts TreeOptions) error {
	p := treePrinter{opts: opts}
	byID := make(map[SpanID]int, len(t.Spans))
	for i := range t.Spans {
		byID[t.Spans[i].SpanID] = i
	}
	kids := map[int][]int{}
	var roots []int
	for i := range t.Spans {
		if pi, ok := byID[t.Spans[i].ParentID]; ok && !t.Spans[i].ParentID.IsZero() && pi != i {
			kids[pi] = append(kids[pi], i)
		} else {
			roots = append(roots, i)
		}
	}
	order := func(ix []int) {
		sort.SliceStable(ix, func(a, b int) bool { return t.Spans[ix[a]].Start.Before(t.Spans[ix[b]].Start) })
		if opts.MaskDurations {
			// For golden files: goroutines launched together start in any
			// order, so a run of siblings with one name is ordered by what
			// is printed for them instead.
			for i := 0; i < len(ix); {
				j := i + 1
				for j < len(ix) && t.Spans[ix[j]].Name == t.Spans[ix[i]].Name {
					j++
				}
				run := ix[i:j]
				sort.SliceStable(run, func(a, b int) bool { return stableKey(&t.Spans[run[a]]) < stableKey(&t.Spans[run[b]]) })
				i = j
			}
		}
	}
	order(roots)
	for _, k := range kids {
		order(k)
	}
	var b strings.Builder
	head := "trace " + t.ID.String() + p.dim(" ("+t.ID.Hex()+")")
	if !t.Complete {
		head += p.color(ansiYellow, " running")
	}
	if t.Dropped > 0 {
		head += p.color(ansiYellow, fmt.Sprintf(" %d spans dropped", t.Dropped))
	}
	b.WriteString(head + "\n")
	// A span's service (SpanData.Service, set in the receiver's traces) is
	// printed where it changes: on the roots and where a call crossed into
	// another process; the spans below carry the same one.
	var walk func(i int, prefix string, last bool, service string)
	walk = func(i int, prefix string, last bool, service string) {
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		s := &t.Spans[i]
		p.line(&b, prefix+branch, prefix+next, s, s.Service != service)
		k := kids[i]
		for j, c := range k {
			walk(c, prefix+next, j == len(k)-1, s.Service)
		}
	}
	for j, r := range roots {
		walk(r, "", j == len(roots)-1, "")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type treePrinter struct{ opts TreeOptions }

func (p treePrinter) color(code, s string) string {
	if !p.opts.Color {
		return s
	}
	return code + s + ansiReset
}

func (p treePrinter) dim(s string) string { return p.color(ansiDim, s) }

func (p treePrinter) dur(d time.Duration) string {
	if p.opts.MaskDurations {
		return "…"
	}
	return FormatDuration(d)
}

// FormatDuration prints d with three significant digits: 812ns, 12.3µs, 4.56ms, 1.2s.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return trimUnit(float64(d)/1e3, "µs")
	case d < time.Second:
		return trimUnit(float64(d)/1e6, "ms")
	}
	return trimUnit(d.Seconds(), "s")
}

func trimUnit(v float64, unit string) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f%s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f%s", v, unit)
	}
	return fmt.Sprintf("%.2f%s", v, unit)
}

// line prints one span, naming its service when showService is set.
func (p treePrinter) line(b *strings.Builder, prefix, cont string, s *SpanData, showService bool) {
	b.WriteString(p.dim(prefix))
	name := s.Name
	switch s.Status {
	case StatusFailed:
		b.WriteString(p.color(ansiRed+ansiBold, "✗ "+name))
	case StatusStarted:
		b.WriteString(p.color(ansiYellow, "… "+name))
	default:
		b.WriteString(p.color(ansiGreen, "✓ ") + name)
	}
	if s.Fold != nil && s.Fold.Count > 1 {
		b.WriteString(p.color(ansiCyan, fmt.Sprintf(" ×%d", s.Fold.Count)))
	}
	if s.Goroutine {
		b.WriteString(p.dim(" [go]"))
	}
	if showService && s.Service != "" {
		b.WriteString(" " + p.color(ansiCyan, "["+s.Service+"]"))
	}
	d := s.Duration()
	switch {
	case s.Status == StatusStarted:
		b.WriteString(" " + p.color(ansiYellow, "running"))
	case s.Fold != nil && s.Fold.Count > 1:
		b.WriteString(" " + p.dur(time.Duration(s.Fold.TotalNS)))
		if !p.opts.MaskDurations {
			b.WriteString(p.dim(fmt.Sprintf(" (min %s, max %s)", FormatDuration(time.Duration(s.Fold.MinNS)), FormatDuration(time.Duration(s.Fold.MaxNS)))))
		}
	case p.opts.Slow > 0 && d >= p.opts.Slow:
		b.WriteString(" " + p.color(ansiYellow+ansiBold, p.dur(d)+" SLOW"))
	default:
		b.WriteString(" " + p.dur(d))
	}
	b.WriteString("  " + p.dim(s.Location) + "\n")
	if e := s.Error; e != nil {
		what := "error"
		if e.Panic {
			what = "panic"
		}
		b.WriteString(p.dim(cont+"   ") + p.color(ansiRed, fmt.Sprintf("%s: %s: %s", what, e.Type, oneLine(e.Message))) + "\n")
	}
	for _, h := range s.HandledErrors {
		b.WriteString(p.dim(cont+"   ") + p.color(ansiYellow, fmt.Sprintf("handled: %s: %s", h.Type, oneLine(h.Message))) + "\n")
	}
	for _, ev := range s.Events {
		b.WriteString(p.dim(cont+"   ") + p.dim(fmt.Sprintf("%s %s", strings.ToUpper(string(ev.Level)), oneLine(ev.Msg))) + "\n")
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// stableKey orders same-named siblings in masked output.
func stableKey(s *SpanData) string {
	k := string(s.Status)
	if s.Error != nil {
		k += s.Error.Message
	}
	return k
}
