package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spantree/spantree/query"
)

// dialect is ClickHouse's SQL for the query language. Trace fields are
// read from the folded root (r) of the trace list's aggregates; span
// fields from the newest copy of each span, which a subquery folds (GROUP
// BY trace, span) into the columns s_name, s_app, ...: a condition on the
// rows themselves would also see the stale copies of running spans.
type dialect struct {
	ns string
	// procs are the namespace's processes (id to tags), read when the
	// query has a tag term: tags are matched here, and the spans by id.
	procs map[uint64]map[string]string
}

var _ query.Dialect = (*dialect)(nil)

// newDialect reads what e's terms need of the namespace.
func (s *Store) newDialect(ctx context.Context, namespace string, e query.Expr) (*dialect, error) {
	d := &dialect{ns: namespace}
	tags := false
	query.Terms(e, func(t *query.Term) { tags = tags || (t.TagKey() != "" && t.TagKey() != "service") })
	if !tags {
		return d, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT id, any(tags) FROM processes WHERE ns = ? GROUP BY id`, namespace)
	if err != nil {
		return nil, fmt.Errorf("processes: %w", classify(err))
	}
	defer rows.Close()
	d.procs = map[uint64]map[string]string{}
	for rows.Next() {
		var id uint64
		var js string
		if err := rows.Scan(&id, &js); err != nil {
			return nil, fmt.Errorf("processes: %w", classify(err))
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			return nil, fmt.Errorf("process %d tags: %w", id, err)
		}
		d.procs[id] = m
	}
	return d, rows.Err()
}

// spanCols fold the copies of each span of the namespace into the newest.
const spanCols = `argMax(name, ver) AS s_name, argMax(location, ver) AS s_location, argMax(app, ver) AS s_app,
	argMax(duration, ver) AS s_duration, argMax(failed, ver) AS s_failed, argMax(process, ver) AS s_process,
	argMax(fingerprint, ver) AS s_fingerprint`

// Term compares the field's expression of the term table with the value, a
// bound argument; a trace field inside a span condition looks the traces up.
func (d *dialect) Term(t *query.Term, inSpan bool) (string, []any) {
	f := t.Spec()
	if f.Level == query.TraceLevel && inSpan {
		cond, args := compareCH(f.ClickHouse, t)
		return `trace GLOBAL IN (SELECT trace FROM (SELECT trace, argMinMerge(root) AS r, uniqExactMerge(spans) AS n, uniqExactIfMerge(errors) AS e
			FROM traces WHERE ns = ? GROUP BY trace) WHERE ` + cond + `)`,
			append([]any{d.ns}, args...)
	}
	if !f.Prefix {
		return compareCH(f.ClickHouse, t)
	}
	key := t.TagKey()
	if key == "service" {
		return compareCH("s_app", t)
	}
	var ids []any
	for id, tags := range d.procs {
		if v, ok := tags[key]; ok && matchText(v, t) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return `0 = 1`, nil
	}
	slices.SortFunc(ids, func(a, b any) int { return compareUint(a.(uint64), b.(uint64)) })
	return `s_process IN (` + placeholders(len(ids)) + `)`, ids
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// matchText is a text term's test in Go, as the SQL does it: equal, or
// containing the value with ASCII letters in either case.
func matchText(v string, t *query.Term) bool {
	if t.Op == query.Contains {
		return strings.Contains(asciiLower(v), asciiLower(t.Value))
	}
	return v == t.Value
}

// asciiLower lowers ASCII letters only, as SQLite's lower() and
// ClickHouse's positionCaseInsensitive do.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// compareCH is col's comparison with the term's value. A running span's
// duration is negative: it is no duration.
func compareCH(col string, t *query.Term) (string, []any) {
	switch {
	case t.Op == query.Contains:
		return `positionCaseInsensitive(` + col + `, ?) > 0`, []any{t.Value}
	case t.Spec().Kind == query.Duration || t.Spec().Kind == query.Number:
		op := string(t.Op)
		if t.Op == query.Eq {
			op = "="
		}
		return `(` + col + ` >= 0 AND ` + col + ` ` + op + ` ?)`, []any{t.Num}
	}
	return col + ` = ?`, []any{t.Value}
}

// Exists: some span of the trace, in its newest copy, meets cond.
func (d *dialect) Exists(cond string, args []any) (string, []any) {
	cols := spanCols
	if strings.Contains(cond, "s_data") {
		cols += `, argMax(data, ver) AS s_data`
	}
	return `trace GLOBAL IN (SELECT trace FROM (SELECT trace, ` + cols + ` FROM spans WHERE ns = ? GROUP BY trace, span) WHERE ` + cond + `)`,
		append([]any{d.ns}, args...)
}
