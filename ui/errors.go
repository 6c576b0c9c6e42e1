package ui

import (
	"fmt"
	"slices"
	"time"

	"github.com/spantree/spantree/internal/termtext"
	"github.com/spantree/spantree/store"
)

// errorGroups is the triage screen: error groups, newest first, each with its
// verdict, annotated in place.
type errorGroups struct {
	groups  []store.ErrorGroup
	cursor  int
	offset  int
	want    errorWant // selected once the list arrives (from a failed span)
	loaded  bool
	loading bool
	err     error
	byCount bool // most occurrences first, else (as the receiver sends them) last seen first
}

// errorWant names the group of a failed span: the receiver fingerprints by
// span name, location and error type.
type errorWant struct{ fingerprint, name, location, typ, message string }

func (e *errorGroups) setGroups(gs []store.ErrorGroup) {
	keep := ""
	if g := e.selected(); g != nil {
		keep = g.Fingerprint
	}
	e.groups, e.loaded, e.err = gs, true, nil
	e.order()
	gs = e.groups
	e.cursor = 0
	best := 0
	for i := range gs {
		g := &gs[i]
		if g.Fingerprint == keep && e.want == (errorWant{}) {
			e.cursor = i
		}
		if e.want != (errorWant{}) {
			score := 0
			if g.Fingerprint == e.want.fingerprint {
				score = 10
			}
			if score == 0 && g.Name == e.want.name && g.Type == e.want.typ {
				score = 2
				if g.Location == e.want.location {
					score++
				}
				if g.Message == e.want.message {
					score++
				}
			}
			if score > best {
				best, e.cursor = score, i
			}
		}
	}
	e.want = errorWant{}
}

// order sorts the groups by the chosen order: last seen first, or most
// occurrences first (then last seen).
func (e *errorGroups) order() {
	e.groups = slices.Clone(e.groups)
	slices.SortStableFunc(e.groups, func(a, b store.ErrorGroup) int {
		if e.byCount && a.Count != b.Count {
			return b.Count - a.Count
		}
		return b.LastSeen.Compare(a.LastSeen)
	})
}

func (e *errorGroups) selected() *store.ErrorGroup {
	if e.cursor < 0 || e.cursor >= len(e.groups) {
		return nil
	}
	return &e.groups[e.cursor]
}

// receive takes the answer to an error groups request.
func (e *errorGroups) receive(msg errorsMsg) error {
	e.loading = false
	if msg.err != nil {
		e.err = msg.err
		return msg.err
	}
	e.setGroups(msg.groups)
	return nil
}

// answered takes the receiver's answer to a verdict: the group as stored,
// or, when refused, the verdict it had before. It reports whether the list
// holds the group.
func (e *errorGroups) answered(msg annotatedMsg) (found bool) {
	e.groups = slices.Clone(e.groups)
	for i := range e.groups {
		g := &e.groups[i]
		if g.Fingerprint != msg.fingerprint {
			continue
		}
		found = true
		if msg.err != nil {
			g.Annotation = msg.prev
		} else if msg.group != nil {
			*g = *msg.group
		}
	}
	return found
}

// update handles the keys of the triage screen.
func (e errorGroups) update(key string, c keyCtx) (errorGroups, intent) {
	if cur, ok := moveCursor(key, e.cursor, len(e.groups), c.page-4); ok {
		e.cursor = cur
		return e, intent{}
	}
	g := e.selected()
	if g == nil {
		return e, intent{}
	}
	if keys.ByCount.is(key) {
		keep := g.Fingerprint
		e.byCount = !e.byCount
		e.order()
		for i := range e.groups {
			if e.groups[i].Fingerprint == keep {
				e.cursor = i
			}
		}
		return e, intent{}
	}
	switch {
	case keys.Open.is(key):
		if g.LastTraceID.IsZero() {
			return e, failIntent("no trace recorded for this group")
		}
		return e, intent{kind: intentTrace, id: g.LastTraceID.String()}
	case keys.Note.is(key):
		note := ""
		if g.Annotation != nil {
			note = g.Annotation.Note
		}
		return e, promptIntent(promptNote, "note:", note)
	}
	a, ok := amend(g.Annotation, key)
	if !ok {
		return e, intent{}
	}
	return e.send(a, "saving…")
}

// withNote sets the note of the selected group's verdict (a new verdict is
// a crash at WARN).
func (e errorGroups) withNote(text string) (errorGroups, intent) {
	g := e.selected()
	if g == nil {
		return e, intent{}
	}
	a := store.Annotation{Kind: store.KindCrash, Severity: store.SeverityWarn}
	if g.Annotation != nil {
		a = *g.Annotation
	}
	a.Note = text
	return e.send(a, "")
}

// send shows verdict a on the selected group at once and asks the root to
// send it; the answer (see answered) keeps it or puts the old one back.
func (e errorGroups) send(a store.Annotation, status string) (errorGroups, intent) {
	e.groups = slices.Clone(e.groups)
	g := &e.groups[e.cursor]
	prev := g.Annotation
	g.Annotation = &a
	return e, intent{kind: intentVerdict, verdict: verdictSent{fingerprint: g.Fingerprint, a: a, prev: prev, status: status}}
}

func (e *errorGroups) title() string { return "error groups" }

// bindings are the footer's keys.
func (e *errorGroups) bindings() []binding {
	k := keys
	return []binding{k.Crash, k.Silence, k.OK, k.Warn, k.Alert, k.Note, k.ByCount, k.Open, k.Back, k.Help}
}

// severityOf is the word that picks a verdict's colour.
func severityOf(a *store.Annotation) string {
	switch {
	case a == nil:
		return "unannotated"
	case a.Kind == "silenced":
		return "silenced"
	}
	return a.Severity
}

// verdict is how a group reads in the list: kind/severity or unannotated.
func verdict(a *store.Annotation) string {
	if a == nil {
		return "unannotated"
	}
	if a.Kind == "silenced" {
		return "silenced"
	}
	return a.Kind + "/" + a.Severity
}

// amend applies one triage key to the annotation prev (nil: none yet).
// Marking a crash without a severity makes it an alert; silencing makes it OK.
func amend(prev *store.Annotation, key string) (store.Annotation, bool) {
	a := store.Annotation{}
	if prev != nil {
		a = *prev
	}
	switch {
	case keys.Crash.is(key):
		a.Kind = "crash"
		if a.Severity == "" || (prev != nil && prev.Kind == "silenced") {
			a.Severity = "alert"
		}
	case keys.Silence.is(key):
		a.Kind, a.Severity = "silenced", "ok"
	case keys.OK.is(key):
		a.Severity = "ok"
	case keys.Warn.is(key):
		a.Severity = "warn"
	case keys.Alert.is(key):
		a.Severity = "alert"
	default:
		return a, false
	}
	if a.Kind == "" {
		a.Kind = "crash"
	}
	return a, true
}

func (e *errorGroups) view(w, h int, now time.Time) []string {
	order := "last seen first"
	if e.byCount {
		order = "most occurrences first"
	}
	lines := []string{styles.dim.Render(fmt.Sprintf("%d error groups, %s · c crash · m silence · o/w/a OK/WARN/ALERT · i note · # order · enter last trace", len(e.groups), order))}
	switch {
	case e.err != nil && !e.loaded:
		return append(lines, "", styles.bad.Render(describe(e.err)))
	case !e.loaded:
		return append(lines, "", styles.dim.Render("loading…"))
	case len(e.groups) == 0:
		return append(lines, "", "No errors recorded. Nothing to triage.")
	}
	const verdictW, countW, lastW = 14, 7, 9
	nameW := clamp(w/4, 12, 40)
	msgW := w - (verdictW + countW + lastW + nameW + 5)
	lines = append(lines, styles.header.Render(fit(fit("Verdict", verdictW)+" "+fitLeft("Count", countW)+" "+
		fitLeft("Last", lastW)+" "+fit("Span", nameW)+" "+fit("Error", msgW), w-1)))
	// Leave two lines for the selected group's note and location.
	rows := h - len(lines) - 2
	e.offset = window(e.cursor, e.offset, rows, len(e.groups))
	for i := e.offset; i < len(e.groups) && i < e.offset+rows; i++ {
		g := &e.groups[i]
		v := verdict(g.Annotation)
		vs := verdictStyle(severityOf(g.Annotation))
		if g.Regressed {
			v += "!"
		}
		msg := termtext.OneLine(g.Type + ": " + g.Message)
		line := fit(vs.Render(v), verdictW) + " " + fitLeft(fmt.Sprint(g.Count), countW) + " " +
			fitLeft(fmtAgo(now, g.LastSeen), lastW) + " " + fit(g.Name, nameW) + " " + fit(msg, msgW)
		lines = append(lines, cursorLine(line, i == e.cursor, w))
	}
	if g := e.selected(); g != nil {
		for len(lines) < h-2 {
			lines = append(lines, "")
		}
		note := "no note (i writes one)"
		if g.Annotation != nil && g.Annotation.Note != "" {
			note = "note: " + g.Annotation.Note
		}
		regressed := ""
		if g.Regressed {
			regressed = styles.bad.Render(" · regressed: seen again after it was marked")
		}
		lines = append(lines, styles.dim.Render(fmt.Sprintf(" %s · %s · first seen %s · fingerprint %s", g.Location, g.App, fmtAgo(now, g.FirstSeen), g.Fingerprint))+regressed,
			" "+note)
	}
	return lines
}
