package ui

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spantree/spantree/query"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// traceList is a list of traces: those of one span name (enter on the
// dashboard), or the most recent of all (T), narrowed by a search in the
// query language (/), which the receiver runs.
type traceList struct {
	name    string // "" for all names
	items   []store.TraceSummary
	shown   []int
	cursor  int
	offset  int
	query   string     // the search as typed
	where   query.Expr // query parsed
	key     string     // the query the items answer; stale answers are dropped
	loaded  bool
	loading bool
	err     error
}

// query builds the receiver query for the list under f.
func (l *traceList) traceQuery(f filters, limit int) store.TraceQuery {
	q := store.TraceQuery{Name: l.name, Tags: tagMap(f.tags), Limit: limit, Where: l.where}
	var service string
	if q.Run, service = runOf(f.tags); service != "" {
		if q.Tags == nil {
			q.Tags = map[string]string{}
		}
		q.Tags["service"] = service
	}
	switch f.status {
	case statusError, statusCrash:
		q.Status = spantree.StatusFailed
	case statusOK:
		q.Status = spantree.StatusSucceeded
	}
	if f.speed == speedSlow {
		q.MinDuration = f.slow
	}
	return q
}

// tagMap turns the filter's "k:v" tags into the query's map (nil: none),
// leaving out the run numbers among them (runOf).
func tagMap(tags []string) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		if _, _, ok := store.RunTerm(t); ok {
			continue
		}
		k, v, _ := strings.Cut(t, ":")
		m[k] = v
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// runOf returns the run number that the filter's tags name (run:142 or
// shop#142, store.RunTerm; 0: none) and the service that shop#142 names.
func runOf(filter []string) (run int64, service string) {
	for _, t := range filter {
		if svc, n, ok := store.RunTerm(t); ok {
			run, service = n, svc
		}
	}
	return run, service
}

// queryKey identifies a [store.TraceQuery], to match answers to requests.
func queryKey(q store.TraceQuery) string {
	tags := make([]string, 0, len(q.Tags))
	for _, k := range slices.Sorted(maps.Keys(q.Tags)) {
		tags = append(tags, k+":"+q.Tags[k])
	}
	where := ""
	if q.Where != nil {
		where = q.Where.String()
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d|%d|%s", q.Name, q.Status, strings.Join(tags, ","), q.MinDuration, q.Since, q.Run, q.Limit, where)
}

func (l *traceList) refilter(f filters) {
	var keep spantree.TraceID
	if t := l.selected(); t != nil {
		keep = t.TraceID
	}
	l.shown = make([]int, 0, len(l.items))
	for i := range l.items {
		t := &l.items[i]
		if f.speed == speedFast && time.Duration(t.Duration) >= f.slow {
			continue
		}
		l.shown = append(l.shown, i)
	}
	l.cursor = 0
	for i, ix := range l.shown {
		if l.items[ix].TraceID == keep {
			l.cursor = i
			break
		}
	}
}

// receive takes the answer to a trace list request; current reports whether
// it answers the query of the list shown (a stale one is dropped).
func (l *traceList) receive(msg tracesMsg, f filters) (current bool, err error) {
	if msg.key != l.key {
		return false, nil
	}
	l.loading = false
	if msg.err != nil {
		l.err = msg.err
		return true, msg.err
	}
	l.items, l.loaded, l.err = msg.items, true, nil
	l.refilter(f)
	return true, nil
}

// update handles the keys of a trace list.
func (l traceList) update(key string, c keyCtx) (traceList, intent) {
	if cur, ok := moveCursor(key, l.cursor, len(l.shown), c.page-2); ok {
		l.cursor = cur
		return l, intent{}
	}
	if it, ok := filterKey(key, c.filters); ok {
		return l, it
	}
	switch {
	case keys.Open.is(key):
		if t := l.selected(); t != nil {
			return l, intent{kind: intentTrace, id: t.TraceID.String()}
		}
	case keys.Query.is(key):
		return l, promptIntent(promptSearch, "search:", l.query)
	case keys.Tags.is(key):
		return l, tagsPrompt(c.filters)
	}
	return l, intent{}
}

// setSearch narrows the list to the traces that match where (typed as q),
// once the receiver answers: the items shown until then are dropped.
func (l *traceList) setSearch(q string, where query.Expr) {
	l.query, l.where = q, where
	l.items, l.shown, l.cursor, l.offset, l.loaded = nil, nil, 0, 0, false
}

// back is Esc: it clears the search first (the caller reloads); handled
// is false when there was none, and the list is popped.
func (l traceList) back(f filters) (_ traceList, handled bool) {
	if l.query == "" {
		return l, false
	}
	l.setSearch("", nil)
	return l, true
}

// bindings are the footer's keys.
func (l *traceList) bindings() []binding {
	k := keys
	return []binding{k.Open, k.Query, k.Status, k.Speed, k.Tags, k.Back, k.Help, k.Quit}
}

func (l *traceList) selected() *store.TraceSummary {
	if l.cursor < 0 || l.cursor >= len(l.shown) {
		return nil
	}
	return &l.items[l.shown[l.cursor]]
}

func (l *traceList) title() string {
	if l.name == "" {
		return "recent traces"
	}
	return "traces with " + l.name
}

func (l *traceList) view(w, h int, f filters, now time.Time) []string {
	lines := []string{filterLine(len(l.shown), len(l.items), "traces", l.query, f, "")}
	switch {
	case l.err != nil && !l.loaded:
		return append(lines, "", styles.bad.Render(describe(l.err)))
	case !l.loaded:
		return append(lines, "", styles.dim.Render("loading…"))
	case len(l.shown) == 0:
		return append(lines, "", "No trace matches.", styles.dim.Render("s / d / t / / change the filters"))
	}
	const agoW, statusW, durW, spansW, errW, runW, idW = 9, 9, 8, 6, 6, 12, 27
	nameW := w - (agoW + statusW + durW + spansW + errW + runW + idW + 8)
	tagsW := 0
	if nameW > 60 {
		tagsW, nameW = nameW-40, 40
	}
	head := fitLeft("Started", agoW) + " " + fit("Status", statusW) + " " + fitLeft("Duration", durW) + " " +
		fitLeft("Spans", spansW) + " " + fitLeft("Errors", errW) + " " + fit("Run", runW) + " " + fit("Root", nameW) + " " + fit("Trace", idW)
	if tagsW > 0 {
		head += " " + fit("Tags", tagsW-1)
	}
	lines = append(lines, styles.header.Render(fit(head, w-1)))
	rows := h - len(lines)
	l.offset = window(l.cursor, l.offset, rows, len(l.shown))
	for i := l.offset; i < len(l.shown) && i < l.offset+rows; i++ {
		t := &l.items[l.shown[i]]
		errs := fmt.Sprint(t.Errors)
		if t.Errors > 0 {
			errs = styles.bad.Render(errs)
		}
		dur := fmtDuration(time.Duration(t.Duration))
		if f.slow > 0 && time.Duration(t.Duration) >= f.slow {
			dur = styles.slow.Render(dur)
		}
		status := statusText(string(t.Status))
		if t.Abandoned {
			status = styles.dim.Render("abandoned")
		}
		line := fitLeft(fmtAgo(now, t.Start), agoW) + " " + fit(status, statusW) + " " + fitLeft(dur, durW) + " " +
			fitLeft(fmt.Sprint(t.Spans), spansW) + " " + fitLeft(errs, errW) + " " + fit(store.RunLabel(t.App, t.Run), runW) + " " + fit(t.Name, nameW) + " " +
			fit(styles.dim.Render(t.TraceID.String()), idW)
		if tagsW > 0 {
			line += " " + fit(styles.dim.Render(tagString(t.Tags)), tagsW-1)
		}
		lines = append(lines, cursorLine(line, i == l.cursor, w))
	}
	return lines
}

// statusText colours a span or trace status.
func statusText(s string) string {
	switch s {
	case "failed":
		return styles.bad.Render("failed")
	case "started":
		return styles.running.Render("running")
	case "succeeded":
		return styles.good.Render("ok")
	}
	return s
}

// tagString prints tags as k=v sorted by key.
func tagString(tags map[string]string) string {
	ks := make([]string, 0, len(tags))
	for k := range tags {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for i, k := range ks {
		ks[i] = k + "=" + tags[k]
	}
	return strings.Join(ks, " ")
}
