package clickhouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spantree/spantree/query"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// traceCols read a trace's aggregates, folded over its rows (GROUP BY
// trace): the aggregating table may not have merged them yet, and in
// cluster mode they come from one shard.
const traceCols = `trace, argMinMerge(ksuid) AS k, argMinMerge(tags) AS tg, groupUniqArrayArrayMerge(tag_pairs) AS tp,
	argMinMerge(root) AS r, tupleElement(r, 2), tupleElement(r, 3), tupleElement(r, 4), tupleElement(r, 5), tupleElement(r, 6),
	uniqExactMerge(spans) AS n, uniqExactIfMerge(errors) AS e, groupUniqArrayMerge(names) AS nm, maxMerge(updated) AS upd`

// traceRow is what traceCols read.
type traceRow struct {
	trace, ksuid, tags string
	rootSpan           string
	pairs, names       []string
	name, app, status  string // of the root
	start, duration    int64
	spans, errors      uint64
	updated            int64
}

func (t *traceRow) scan(sc interface{ Scan(...any) error }) error {
	var root []any
	if err := sc.Scan(&t.trace, &t.ksuid, &t.tags, &t.pairs, &root, &t.name, &t.app, &t.start, &t.duration, &t.status,
		&t.spans, &t.errors, &t.names, &t.updated); err != nil {
		return err
	}
	if len(root) > 0 {
		t.rootSpan, _ = root[0].(string)
	}
	return nil
}

// mergedTags are a trace's tags: those of the batch that first named it,
// then those of the others for the keys it did not have.
func (t *traceRow) mergedTags() (map[string]string, error) {
	tags := map[string]string{}
	if err := json.Unmarshal([]byte(t.tags), &tags); err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	sort.Strings(t.pairs)
	for _, p := range t.pairs {
		k, v, _ := strings.Cut(p, "\x00")
		if _, ok := tags[k]; !ok {
			tags[k] = v
		}
	}
	return tags, nil
}

// isNoRows reports whether err is QueryRow's for no row.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Trace reads a trace's aggregates and its spans, the newest finished copy
// of each.
func (s *Store) Trace(ctx context.Context, namespace string, id spantree.TraceID) (*store.Trace, error) {
	payload := id.Payload()
	var tr traceRow
	err := tr.scan(s.conn.QueryRow(ctx, `SELECT `+traceCols+` FROM traces WHERE ns = ? AND trace = ? GROUP BY trace`, namespace, string(payload[:])))
	if isNoRows(err) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), classify(err))
	}
	t := &store.Trace{Hex: id.Hex(), Spans: []spantree.SpanData{}, Abandoned: store.Abandoned(spantree.Status(tr.status), tr.updated, time.Now())}
	copy(t.TraceID[:], tr.ksuid)
	if t.Run, err = s.runOfTrace(ctx, namespace, id); err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), err)
	}
	if t.Tags, err = tr.mergedTags(); err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), err)
	}
	rows, err := s.conn.Query(ctx, `SELECT argMax(data, ver), argMax(fingerprint, ver), argMax(start, ver) AS st,
		argMax(process, ver), argMax(app, ver) FROM spans
		WHERE ns = ? AND trace = ? GROUP BY span ORDER BY st, span`, namespace, string(payload[:]))
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), classify(err))
	}
	defer rows.Close()
	fps := map[string][]spantree.SpanID{}
	var order []string
	var procs []string
	ids := map[uint64]bool{}
	tagsOf := map[string]map[string]string{}
	for rows.Next() {
		var data, fp, app string
		var start int64
		var proc uint64
		if err := rows.Scan(&data, &fp, &start, &proc, &app); err != nil {
			return nil, fmt.Errorf("trace %s: %w", id.Hex(), classify(err))
		}
		var sd spantree.SpanData
		if err := json.Unmarshal([]byte(data), &sd); err != nil {
			return nil, fmt.Errorf("trace %s: stored span: %w", id.Hex(), err)
		}
		t.Spans = append(t.Spans, sd)
		if proc != 0 {
			ids[proc] = true
			procs = append(procs, strconv.FormatUint(proc, 10))
		} else { // stored before migration 0002
			procs = append(procs, store.LegacyProcess(tagsOf, t.Tags, app))
		}
		if fp != "" {
			if fps[fp] == nil {
				order = append(order, fp)
			}
			fps[fp] = append(fps[fp], sd.SpanID)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), classify(err))
	}
	rows.Close()
	if err := s.processes(ctx, namespace, ids, tagsOf); err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), err)
	}
	t.SetProcesses(procs, tagsOf)
	if len(order) > 0 {
		groups, err := s.groups(ctx, namespace, order, time.Time{})
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			for _, sid := range fps[g.Fingerprint] {
				t.Errors = append(t.Errors, store.SpanError{SpanID: sid, Fingerprint: g.Fingerprint, Annotation: g.Annotation, Regressed: g.Regressed})
			}
		}
	}
	return t, nil
}

// processes adds to tags the tags of the processes ids of namespace,
// keyed by their ids in decimal.
func (s *Store) processes(ctx context.Context, namespace string, ids map[uint64]bool, tags map[string]map[string]string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{namespace}
	for id := range ids {
		args = append(args, id)
	}
	rows, err := s.conn.Query(ctx, `SELECT id, any(tags) FROM processes WHERE ns = ? AND id IN (`+placeholders(len(ids))+`) GROUP BY id`, args...)
	if err != nil {
		return fmt.Errorf("processes: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id uint64
		var js string
		if err := rows.Scan(&id, &js); err != nil {
			return fmt.Errorf("processes: %w", classify(err))
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			return fmt.Errorf("process %d tags: %w", id, err)
		}
		tags[strconv.FormatUint(id, 10)] = m
	}
	return rows.Err()
}

// rootTags sets the tags of the traces in list to those of their roots'
// processes, where the roots' spans have one (spans stored before
// migration 0002 keep the tags of the batch that first named the trace).
// roots are the root span ids, by trace payload.
func (s *Store) rootTags(ctx context.Context, namespace string, list []store.TraceSummary, roots map[string]string) error {
	if len(list) == 0 {
		return nil
	}
	args := []any{namespace}
	for _, ts := range list {
		p := ts.TraceID.Payload()
		args = append(args, string(p[:]))
	}
	rows, err := s.conn.Query(ctx, `SELECT trace, span, argMax(process, ver) FROM spans
		WHERE ns = ? AND trace IN (`+placeholders(len(list))+`) AND root = 1 GROUP BY trace, span`, args...)
	if err != nil {
		return fmt.Errorf("root processes: %w", classify(err))
	}
	procOf := map[string]uint64{}
	ids := map[uint64]bool{}
	for rows.Next() {
		var trace, span string
		var proc uint64
		if err := rows.Scan(&trace, &span, &proc); err != nil {
			rows.Close()
			return fmt.Errorf("root processes: %w", classify(err))
		}
		if roots[trace] == span && proc != 0 {
			procOf[trace], ids[proc] = proc, true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("root processes: %w", classify(err))
	}
	tags := map[string]map[string]string{}
	if err := s.processes(ctx, namespace, ids, tags); err != nil {
		return err
	}
	for i := range list {
		p := list[i].TraceID.Payload()
		if m := tags[strconv.FormatUint(procOf[string(p[:])], 10)]; m != nil {
			list[i].Tags = m
		}
	}
	return nil
}

// Traces lists traces newest first. The filters apply to the folded
// aggregates (HAVING): the root's status, start and duration, the names of
// the trace's spans, its tags.
func (s *Store) Traces(ctx context.Context, namespace string, q store.TraceQuery) ([]store.TraceSummary, error) {
	var having strings.Builder
	args := []any{namespace}
	having.WriteString(`1`)
	if q.Status != "" {
		having.WriteString(` AND tupleElement(r, 6) = ?`)
		args = append(args, string(q.Status))
	}
	if !q.Since.IsZero() {
		having.WriteString(` AND tupleElement(r, 4) >= ?`)
		args = append(args, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		having.WriteString(` AND tupleElement(r, 4) < ?`)
		args = append(args, q.Until.UnixNano())
	}
	if c := q.After; c != nil {
		having.WriteString(` AND (tupleElement(r, 4) < ? OR (tupleElement(r, 4) = ? AND trace < ?))`)
		args = append(args, c.Start, c.Start, string(c.ID[:]))
	}
	if q.MinDuration > 0 {
		having.WriteString(` AND tupleElement(r, 5) >= ?`)
		args = append(args, int64(q.MinDuration))
	}
	if q.Where != nil {
		d, err := s.newDialect(ctx, namespace, q.Where)
		if err != nil {
			return nil, fmt.Errorf("list traces: %w", err)
		}
		cond, qargs := query.Compile(q.Where, d)
		having.WriteString(` AND ` + cond)
		args = append(args, qargs...)
	}
	for k, v := range q.Tags {
		having.WriteString(` AND has(tp, ?)`)
		args = append(args, k+"\x00"+v)
	}
	if q.Name != "" {
		having.WriteString(` AND has(nm, ?)`)
		args = append(args, q.Name)
	}
	if q.Run > 0 {
		ofRun, err := s.tracesOfRun(ctx, namespace, q.Run)
		if err != nil {
			return nil, fmt.Errorf("list traces: %w", err)
		}
		if len(ofRun) == 0 {
			return []store.TraceSummary{}, nil
		}
		having.WriteString(` AND trace IN (` + placeholders(len(ofRun)) + `)`)
		for _, p := range ofRun {
			args = append(args, p)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	args = append(args, min(limit, store.MaxLimit))
	rows, err := s.conn.Query(ctx, `SELECT `+traceCols+` FROM traces WHERE ns = ? GROUP BY trace HAVING `+having.String()+`
		ORDER BY tupleElement(r, 4) DESC, trace DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list traces: %w", classify(err))
	}
	defer rows.Close()
	out := []store.TraceSummary{}
	roots := map[string]string{}
	now := time.Now()
	for rows.Next() {
		var tr traceRow
		if err := tr.scan(rows); err != nil {
			return nil, fmt.Errorf("list traces: %w", classify(err))
		}
		roots[tr.trace] = tr.rootSpan
		var ts store.TraceSummary
		copy(ts.TraceID[:], tr.ksuid)
		ts.Hex = ts.TraceID.Hex()
		ts.Name, ts.App = tr.name, tr.app
		ts.Start = time.Unix(0, tr.start).UTC()
		ts.Duration = tr.duration
		ts.Status = spantree.Status(tr.status)
		ts.Spans, ts.Errors = int(tr.spans), int(tr.errors)
		ts.Abandoned = store.Abandoned(ts.Status, tr.updated, now)
		if ts.Tags, err = tr.mergedTags(); err != nil {
			return nil, fmt.Errorf("list traces: %w", err)
		}
		out = append(out, ts)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list traces: %w", classify(err))
	}
	rows.Close()
	if err := s.rootTags(ctx, namespace, out, roots); err != nil {
		return nil, fmt.Errorf("list traces: %w", err)
	}
	if err := s.setRuns(ctx, namespace, out); err != nil {
		return nil, fmt.Errorf("list traces: %w", err)
	}
	return out, nil
}

// groups reads error groups, all those last seen since since, or those of
// fps, last seen first, with their verdicts and their calls (counted over
// the spans stored, each span once).
func (s *Store) groups(ctx context.Context, namespace string, fps []string, since time.Time) ([]store.ErrorGroup, error) {
	args := []any{namespace}
	filter := ""
	if fps != nil {
		filter = ` AND fingerprint IN (` + placeholders(len(fps)) + `)`
		for _, fp := range fps {
			args = append(args, fp)
		}
	}
	var from int64
	if !since.IsZero() {
		from = since.UnixNano()
	}
	args = append(args, from)
	rows, err := s.conn.Query(ctx, `SELECT fingerprint, maxMerge(grouping_version), argMinMerge(type), argMinMerge(name), argMinMerge(location),
			argMaxMerge(message), argMaxMerge(app), argMaxMerge(last_trace), argMaxMerge(last_version),
			minMerge(first_seen), maxMerge(last_seen) AS ls, maxMerge(regressed_at)
		FROM error_groups WHERE ns = ?`+filter+` GROUP BY fingerprint HAVING ls >= ? ORDER BY ls DESC, fingerprint`, args...)
	if err != nil {
		return nil, fmt.Errorf("error groups: %w", classify(err))
	}
	defer rows.Close()
	var out []store.ErrorGroup
	regressedAt := map[string]int64{}
	for rows.Next() {
		var g store.ErrorGroup
		var gv uint32
		var trace string
		var first, last, regressed int64
		if err := rows.Scan(&g.Fingerprint, &gv, &g.Type, &g.Name, &g.Location, &g.Message, &g.App, &trace, &g.LastVersion,
			&first, &last, &regressed); err != nil {
			return nil, fmt.Errorf("error groups: %w", classify(err))
		}
		g.GroupingVersion = int(gv)
		g.FirstSeen, g.LastSeen = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		copy(g.LastTraceID[:], trace)
		regressedAt[g.Fingerprint] = regressed
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error groups: %w", classify(err))
	}
	rows.Close()
	if len(out) == 0 {
		return []store.ErrorGroup{}, nil
	}
	names := make([]any, len(out))
	for i := range out {
		names[i] = out[i].Fingerprint
	}
	in := `fingerprint IN (` + placeholders(len(names)) + `)`
	nsArgs := append([]any{namespace}, names...)
	verdicts := map[string]*store.Annotation{}
	updated := map[string]int64{}
	vrows, err := s.conn.Query(ctx, `SELECT fingerprint, argMax(kind, updated), argMax(severity, updated), argMax(note, updated), max(updated), argMax(version, updated)
		FROM annotations WHERE ns = ? AND `+in+` GROUP BY fingerprint`, nsArgs...)
	if err != nil {
		return nil, fmt.Errorf("error groups: verdicts: %w", classify(err))
	}
	for vrows.Next() {
		var fp string
		var a store.Annotation
		var at int64
		if err := vrows.Scan(&fp, &a.Kind, &a.Severity, &a.Note, &at, &a.Version); err != nil {
			vrows.Close()
			return nil, fmt.Errorf("error groups: verdicts: %w", classify(err))
		}
		a.Updated = time.Unix(0, at).UTC()
		verdicts[fp], updated[fp] = &a, at
	}
	vrows.Close()
	if err := vrows.Err(); err != nil {
		return nil, fmt.Errorf("error groups: verdicts: %w", classify(err))
	}
	counts := map[string]int64{}
	crows, err := s.conn.Query(ctx, `SELECT fp, sum(c) FROM (
			SELECT argMax(fingerprint, ver) AS fp, argMax(calls, ver) AS c FROM spans
			WHERE ns = ? AND `+in+` GROUP BY trace, span
		) WHERE fp != '' GROUP BY fp`, nsArgs...)
	if err != nil {
		return nil, fmt.Errorf("error groups: counts: %w", classify(err))
	}
	for crows.Next() {
		var fp string
		var n int64
		if err := crows.Scan(&fp, &n); err != nil {
			crows.Close()
			return nil, fmt.Errorf("error groups: counts: %w", classify(err))
		}
		counts[fp] = n
	}
	crows.Close()
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("error groups: counts: %w", classify(err))
	}
	for i := range out {
		g := &out[i]
		g.Count = int(counts[g.Fingerprint])
		g.Annotation = verdicts[g.Fingerprint]
		g.Regressed = regressedAt[g.Fingerprint] > updated[g.Fingerprint] && g.Annotation != nil
	}
	return out, nil
}

// ErrorGroups lists the groups last seen since since, last seen first.
func (s *Store) ErrorGroups(ctx context.Context, namespace string, since time.Time) ([]store.ErrorGroup, error) {
	return s.groups(ctx, namespace, nil, since)
}

// Annotate records a verdict at the group's latest version. A regression
// noted before it no longer counts: a person has looked again.
func (s *Store) Annotate(ctx context.Context, namespace, fingerprint string, a store.Annotation) (*store.ErrorGroup, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	gs, err := s.groups(ctx, namespace, []string{fingerprint}, time.Time{})
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, store.ErrNotFound
	}
	// Later than any regression this process noted, even with a clock
	// that did not move.
	now := time.Now().UnixNano()
	if err := s.insert(ctx, "annotations", "ns, fingerprint, kind, severity, note, updated, version",
		[][]any{{namespace, fingerprint, a.Kind, a.Severity, a.Note, now, gs[0].LastVersion}}); err != nil {
		return nil, fmt.Errorf("annotate %s: %w", fingerprint, err)
	}
	gs, err = s.groups(ctx, namespace, []string{fingerprint}, time.Time{})
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, store.ErrNotFound
	}
	return &gs[0], nil
}

// Apps lists the namespace's apps by name, with their versions in the order
// first seen.
func (s *Store) Apps(ctx context.Context, namespace string) ([]store.App, error) {
	versions := map[string][]string{}
	vrows, err := s.conn.Query(ctx, `SELECT app, version, minMerge(first) AS f FROM app_versions WHERE ns = ? GROUP BY app, version ORDER BY app, f, version`, namespace)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", classify(err))
	}
	for vrows.Next() {
		var app, v string
		var first int64
		if err := vrows.Scan(&app, &v, &first); err != nil {
			vrows.Close()
			return nil, fmt.Errorf("list apps: %w", classify(err))
		}
		versions[app] = append(versions[app], v)
	}
	vrows.Close()
	if err := vrows.Err(); err != nil {
		return nil, fmt.Errorf("list apps: %w", classify(err))
	}
	rows, err := s.conn.Query(ctx, `SELECT app, sumMerge(spans), maxMerge(last_seen) FROM apps WHERE ns = ? GROUP BY app ORDER BY app`, namespace)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", classify(err))
	}
	defer rows.Close()
	out := []store.App{}
	for rows.Next() {
		var a store.App
		var last int64
		if err := rows.Scan(&a.Name, &a.Spans, &last); err != nil {
			return nil, fmt.Errorf("list apps: %w", classify(err))
		}
		a.LastSeen = time.Unix(0, last).UTC()
		a.Versions = versions[a.Name]
		if a.Versions == nil {
			a.Versions = []string{}
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list apps: %w", classify(err))
	}
	return out, nil
}

// ScanSpans reads the newest copy of each span that started in [since,
// until), skipping those still running.
func (s *Store) ScanSpans(ctx context.Context, namespace string, since, until time.Time, fn func(*store.SpanStat) error) error {
	from, to := since.UnixNano(), until.UnixNano()
	rows, err := s.conn.Query(ctx, `SELECT argMax(ksuid, ver), span, argMax(root, ver), argMax(name, ver), argMax(location, ver), argMax(app, ver),
			argMax(start, ver), argMax(duration, ver) AS d, argMax(failed, ver), argMax(fingerprint, ver)
		FROM spans WHERE ns = ? AND start >= ? AND start < ? AND day >= toDate(?) AND day <= toDate(?)
		GROUP BY trace, span HAVING d >= 0`, namespace, from, to, dateOf(from), dateOf(max(from, to)))
	if err != nil {
		return fmt.Errorf("scan spans: %w", classify(err))
	}
	defer rows.Close()
	var st store.SpanStat
	for rows.Next() {
		var ksuid, span string
		var root, failed uint8
		var start, dur int64
		if err := rows.Scan(&ksuid, &span, &root, &st.Name, &st.Location, &st.App, &start, &dur, &failed, &st.Fingerprint); err != nil {
			return fmt.Errorf("scan spans: %w", classify(err))
		}
		copy(st.TraceID[:], ksuid)
		copy(st.SpanID[:], span)
		st.Root, st.Failed = root == 1, failed == 1
		st.Start, st.Duration = time.Unix(0, start), time.Duration(dur)
		if err := fn(&st); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan spans: %w", classify(err))
	}
	return nil
}
