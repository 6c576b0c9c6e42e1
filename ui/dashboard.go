package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantree/spantree/internal/termtext"
	"github.com/spantree/spantree/store"
)

// statusFilter is the error / crash / ok / all toggle.
type statusFilter int

const (
	statusAll   statusFilter = iota
	statusError              // anything failed
	statusCrash              // failures not silenced by triage
	statusOK                 // nothing failed
)

func (s statusFilter) String() string {
	return [...]string{"all", "error", "crash", "ok"}[s]
}

// speedFilter is the slow / fast / all toggle.
type speedFilter int

const (
	speedAll  speedFilter = iota
	speedSlow             // p95 (or duration) at least the slow threshold
	speedFast             // below it
)

func (s speedFilter) String() string { return [...]string{"all", "slow", "fast"}[s] }

// filters are shared by the dashboard and the trace lists.
type filters struct {
	status statusFilter
	speed  speedFilter
	slow   time.Duration // the slow threshold
	tags   []string      // k:v, for trace lists (the dashboard endpoint has no tags)
}

func (f filters) keepRow(r *store.DashboardRow) bool {
	switch f.status {
	case statusError:
		if r.Failed == 0 {
			return false
		}
	case statusCrash:
		if r.Failed == 0 || r.Verdict == "silenced" {
			return false
		}
	case statusOK:
		if r.Failed > 0 {
			return false
		}
	}
	switch f.speed {
	case speedSlow:
		return time.Duration(r.P95) >= f.slow
	case speedFast:
		return time.Duration(r.P95) < f.slow
	}
	return true
}

// sortKey orders dashboard rows.
type sortKey int

const (
	sortFailures sortKey = iota // the receiver's order: failures, then calls
	sortCalls
	sortLast
	sortP95
	sortName
	numSortKeys
)

func (s sortKey) String() string {
	return [...]string{"failures", "calls", "last seen", "p95", "name"}[s]
}

// dashboard is the first screen: one row per span name.
type dashboard struct {
	rows    []store.DashboardRow
	status  *store.StatusReport // the apps' OK / WARN / ALERT, shown above the rows
	shown   []int               // indexes into rows after filter and sort
	cursor  int                 // index into shown
	offset  int
	query   string
	sort    sortKey
	loaded  bool
	loading bool
	err     error
}

// refilter recomputes shown, keeping the cursor on the same name.
func (d *dashboard) refilter(f filters) {
	keep := ""
	if r := d.selected(); r != nil {
		keep = r.Name + "\x00" + r.Location
	}
	d.shown = make([]int, 0, len(d.rows))
	for i := range d.rows {
		r := &d.rows[i]
		if f.keepRow(r) && matchQuery(d.query, r.Name, r.Location, r.App, r.Verdict) {
			d.shown = append(d.shown, i)
		}
	}
	less := func(a, b int) int {
		x, y := &d.rows[a], &d.rows[b]
		var c int
		switch d.sort {
		case sortCalls:
			c = cmp.Compare(y.Count, x.Count)
		case sortLast:
			c = y.LastSeen.Compare(x.LastSeen)
		case sortP95:
			c = cmp.Compare(y.P95, x.P95)
		case sortFailures:
			c = cmp.Or(cmp.Compare(y.Failed, x.Failed), cmp.Compare(y.Count, x.Count))
		}
		return cmp.Or(c, strings.Compare(x.Name, y.Name), strings.Compare(x.Location, y.Location))
	}
	slices.SortStableFunc(d.shown, less)
	d.cursor = 0
	for i, ix := range d.shown {
		if r := &d.rows[ix]; r.Name+"\x00"+r.Location == keep {
			d.cursor = i
			break
		}
	}
}

func (d *dashboard) selected() *store.DashboardRow {
	if d.cursor < 0 || d.cursor >= len(d.shown) {
		return nil
	}
	return &d.rows[d.shown[d.cursor]]
}

// receive takes the answer to a dashboard request.
func (d *dashboard) receive(msg dashboardMsg, f filters) error {
	d.loading = false
	if msg.err != nil {
		d.err = msg.err
		return msg.err
	}
	d.rows, d.status, d.loaded, d.err = msg.rows, msg.status, true, nil
	d.refilter(f)
	return nil
}

// update handles the keys of the dashboard.
func (d dashboard) update(key string, c keyCtx) (dashboard, intent) {
	if d.move(key, c.page-2) {
		return d, intent{}
	}
	if it, ok := filterKey(key, c.filters); ok {
		return d, it
	}
	switch {
	case keys.Open.is(key):
		if r := d.selected(); r != nil {
			return d, intent{kind: intentTraces, name: r.Name}
		}
	case keys.Query.is(key):
		return d, promptIntent(promptQuery, "/", d.query)
	case keys.Tags.is(key):
		return d, tagsPrompt(c.filters)
	case keys.Sort.is(key):
		d.sort = (d.sort + 1) % numSortKeys
		d.refilter(c.filters)
	}
	return d, intent{}
}

// setQuery filters the names by q as it is typed.
func (d *dashboard) setQuery(q string, f filters) {
	d.query = q
	d.refilter(f)
}

// back is Esc: it clears the query; the dashboard is never popped.
func (d dashboard) back(f filters) (dashboard, bool) {
	if d.query != "" {
		d.setQuery("", f)
	}
	return d, true
}

// bindings are the footer's keys.
func (d *dashboard) bindings() []binding {
	k := keys
	return []binding{k.Open, k.Query, k.Status, k.Speed, k.Tags, k.Sort, k.Find, k.Errors, k.Traces, k.Help, k.Quit}
}

// move handles list navigation keys; it reports whether key was one.
func (d *dashboard) move(key string, height int) bool {
	c, ok := moveCursor(key, d.cursor, len(d.shown), height)
	d.cursor = c
	return ok
}

// moveCursor applies a list navigation key to cursor over n lines.
func moveCursor(key string, cursor, n, page int) (int, bool) {
	switch {
	case keys.Up.is(key):
		cursor--
	case keys.Down.is(key):
		cursor++
	case keys.PageUp.is(key):
		cursor -= max(page, 1)
	case keys.PageDown.is(key):
		cursor += max(page, 1)
	case keys.Top.is(key):
		cursor = 0
	case keys.Bottom.is(key):
		cursor = n - 1
	default:
		return cursor, false
	}
	return clamp(cursor, 0, n-1), true
}

// view draws the dashboard table in w×h cells.
func (d *dashboard) view(w, h int, f filters, now time.Time) []string {
	lines := []string{filterLine(len(d.shown), len(d.rows), "names", d.query, f, "sort: "+d.sort.String())}
	switch {
	case d.err != nil && !d.loaded:
		return append(lines, "", styles.bad.Render(describe(d.err)), "", styles.dim.Render("r retries, q quits"))
	case !d.loaded:
		return append(lines, "", styles.dim.Render("loading…"))
	case len(d.rows) == 0:
		return append(lines, "", "No spans in this namespace yet.",
			styles.dim.Render("Point a program at the receiver (SPANTREE_SINK=http://HOST:PORT) or run `spantree ingest`;"),
			styles.dim.Render("this screen refreshes by itself."))
	case len(d.shown) == 0:
		return append(lines, "", "No name matches the filters.", styles.dim.Render("esc clears the query, s / d cycle the toggles"))
	}
	lines = append(lines, d.statusLines(w)...)
	const statusW, callsW, failW, lastW, p95W, verdictW = 6, 8, 7, 9, 8, 12
	nameW := w - (statusW + callsW + failW + lastW + p95W + verdictW + 7)
	lines = append(lines, styles.header.Render(fit("Name", nameW)+" "+fit("Status", statusW)+" "+
		fitLeft("Calls", callsW)+" "+fitLeft("Failed", failW)+" "+fitLeft("Last", lastW)+" "+
		fitLeft("p95", p95W)+" "+fit(" Verdict", verdictW)))
	rows := h - len(lines)
	d.offset = window(d.cursor, d.offset, rows, len(d.shown))
	for i := d.offset; i < len(d.shown) && i < d.offset+rows; i++ {
		r := &d.rows[d.shown[i]]
		status := styles.good.Render("ok")
		if r.Failed > 0 {
			status = styles.bad.Render("FAIL")
		}
		name := r.Name + " " + styles.dim.Render(r.Location)
		p95 := fmtDuration(time.Duration(r.P95))
		if f.slow > 0 && time.Duration(r.P95) >= f.slow {
			p95 = styles.slow.Render(p95)
		}
		failed := fmt.Sprint(r.Failed)
		if r.Failed > 0 {
			failed = styles.bad.Render(failed)
		}
		line := fit(name, nameW) + " " + fit(status, statusW) + " " + fitLeft(fmt.Sprint(r.Count), callsW) + " " +
			fitLeft(failed, failW) + " " + fitLeft(fmtAgo(now, r.LastSeen), lastW) + " " + fitLeft(p95, p95W) + " " +
			fit(" "+verdictStyle(r.Verdict).Render(r.Verdict), verdictW)
		lines = append(lines, cursorLine(line, i == d.cursor, w))
	}
	return lines
}

// maxStatusLines bounds the apps' status lines above the dashboard's rows.
const maxStatusLines = 3

// statusLines are the apps that are not OK, worst first, one line each
// with the reason, or one line saying all are OK.
func (d *dashboard) statusLines(w int) []string {
	if d.status == nil || len(d.status.Apps) == 0 {
		return nil
	}
	var bad []store.AppStatus
	for _, a := range d.status.Apps {
		if a.Status != "OK" {
			bad = append(bad, a)
		}
	}
	if len(bad) == 0 {
		return []string{fit(styles.good.Render("OK")+" "+styles.dim.Render(fmt.Sprintf("all %d apps", len(d.status.Apps))), w-1)}
	}
	rank := func(s string) int { return map[string]int{"WARN": 1, "ALERT": 2}[s] }
	slices.SortStableFunc(bad, func(a, b store.AppStatus) int { return rank(b.Status) - rank(a.Status) })
	var out []string
	for i, a := range bad {
		if i == maxStatusLines {
			out = append(out, styles.dim.Render(fmt.Sprintf("and %d more apps not OK", len(bad)-i)))
			break
		}
		out = append(out, fit(verdictStyle(strings.ToLower(a.Status)).Render(a.Status)+" "+a.App+" "+
			styles.dim.Render(termtext.OneLine(strings.TrimPrefix(a.Reason, a.Status+": "))), w-1))
	}
	return out
}

// filterLine is the line above a list: counts and every active filter.
func filterLine(shown, total int, what, query string, f filters, extra string) string {
	parts := []string{fmt.Sprintf("%d of %d %s", shown, total, what),
		"status: " + f.status.String(), "duration: " + f.speed.String() + " (slow ≥ " + fmtDuration(f.slow) + ")"}
	if query != "" {
		parts = append(parts, "query: "+query)
	}
	if len(f.tags) > 0 {
		parts = append(parts, "tags: "+strings.Join(f.tags, ","))
	}
	if extra != "" {
		parts = append(parts, extra)
	}
	return styles.dim.Render(strings.Join(parts, " · "))
}

// cursorLine marks the selected line of a list.
func cursorLine(line string, selected bool, w int) string {
	if selected {
		// Inner styles would end the reverse video part-way: drop them.
		return styles.selected.Render(fit("▌"+ansi.Strip(line), w))
	}
	return fit(" "+line, w)
}
