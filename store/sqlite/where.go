package sqlite

import (
	"github.com/spantree/spantree/query"
)

// dialect is SQLite's SQL for the query language, over the trace row t and
// the span rows s of its correlated subqueries.
type dialect struct{}

var _ query.Dialect = dialect{}

// Term compares the field's column of the term table with the value, a
// bound argument. A trace field reads t, inside a span condition too (the
// subquery is correlated). A tag other than service is looked up in the
// namespace's few processes.
func (dialect) Term(t *query.Term, inSpan bool) (string, []any) {
	f := t.Spec()
	col := f.SQLite
	if f.Prefix {
		if key := t.TagKey(); key != "service" {
			cond, args := compare("j.value", t)
			return `s.process IN (SELECT p.id FROM processes p, json_each(p.tags) j WHERE p.ns = s.ns AND j.key = ? AND ` + cond + `)`,
				append([]any{key}, args...)
		}
		col = "s.app"
	}
	return compare(col, t)
}

// compare is col's comparison with the term's value.
func compare(col string, t *query.Term) (string, []any) {
	switch t.Op {
	case query.Contains:
		return `instr(lower(` + col + `), lower(?)) > 0`, []any{t.Value}
	case query.Eq:
		if k := t.Spec().Kind; k == query.Duration || k == query.Number {
			return col + ` = ?`, []any{t.Num}
		}
		return col + ` = ?`, []any{t.Value}
	}
	return col + ` ` + string(t.Op) + ` ?`, []any{t.Num}
}

// Exists: some span row of the trace meets cond.
func (dialect) Exists(cond string, args []any) (string, []any) {
	return `EXISTS (SELECT 1 FROM spans s INDEXED BY spans_id WHERE s.ns = t.ns AND s.trace = t.id AND ` + cond + `)`, args
}
