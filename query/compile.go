package query

import "strings"

// Dialect is what an engine gives [Compile]: its SQL for terms and for
// "some span of the trace".
type Dialect interface {
	// Term returns the condition of one term and its arguments: over one
	// span row for a span field, over the trace for a trace field; inSpan
	// says a trace field's condition goes inside a span condition.
	Term(t *Term, inSpan bool) (string, []any)
	// Exists returns the trace condition that some span of the trace
	// meets cond.
	Exists(cond string, args []any) (string, []any)
}

// Compile returns the SQL condition on a trace that e describes, and its
// arguments in order. The SQL is made only of the dialect's text and of
// AND, OR, NOT and parentheses; no text of the query is in it. A nil e is
// "1" (every trace).
func Compile(e Expr, d Dialect) (string, []any) {
	if e == nil {
		return "1", nil
	}
	c := compiler{d: d}
	sql := c.trace(e)
	return sql, c.args
}

type compiler struct {
	d    Dialect
	args []any
}

// trace compiles e as a condition on the trace.
func (c *compiler) trace(e Expr) string {
	if !hasNot(e) {
		if !hasSpanTerm(e) {
			return c.span(e, false)
		}
		// Trace terms that are operands of the top AND stay outside the
		// span condition: app:demo status:failed is the trace's app and
		// a failed span.
		if a, ok := e.(And); ok {
			inner, outer := partition(a, hasSpanTerm)
			if len(outer) > 0 {
				return c.join(append(outer, single(inner)), " AND ")
			}
		}
		saved := c.args
		c.args = nil
		cond := c.span(e, true)
		sql, args := c.d.Exists(cond, c.args)
		c.args = append(saved, args...)
		return sql
	}
	switch e := e.(type) {
	case And:
		// The operands without a NOT describe one span together.
		rest, free := partition(e, hasNot)
		if len(free) > 0 {
			rest = append(And{single(free)}, rest...)
		}
		return c.join(rest, " AND ")
	case Or:
		return c.join(e, " OR ")
	case Not:
		return "NOT " + c.trace(e.X)
	}
	panic("query: unknown node") // a Term has no NOT
}

// join compiles each of es as a trace condition.
func (c *compiler) join(es []Expr, sep string) string {
	parts := make([]string, len(es))
	for i, x := range es {
		parts[i] = c.trace(x)
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// span compiles e, which holds no NOT, as a condition on one span (or, with
// inSpan false, on the trace: e holds only trace terms).
func (c *compiler) span(e Expr, inSpan bool) string {
	switch e := e.(type) {
	case And:
		return c.spanJoin(e, " AND ", inSpan)
	case Or:
		return c.spanJoin(e, " OR ", inSpan)
	case *Term:
		sql, args := c.d.Term(e, inSpan)
		c.args = append(c.args, args...)
		return sql
	}
	panic("query: NOT in a span condition")
}

func (c *compiler) spanJoin(es []Expr, sep string, inSpan bool) string {
	parts := make([]string, len(es))
	for i, x := range es {
		parts[i] = c.span(x, inSpan)
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// partition splits es into the operands for which pred holds and the others.
func partition(es And, pred func(Expr) bool) (yes, no And) {
	for _, x := range es {
		if pred(x) {
			yes = append(yes, x)
		} else {
			no = append(no, x)
		}
	}
	return yes, no
}

func hasNot(e Expr) bool {
	found := false
	walk(e, func(x Expr) {
		if _, ok := x.(Not); ok {
			found = true
		}
	})
	return found
}

func hasSpanTerm(e Expr) bool {
	found := false
	Terms(e, func(t *Term) {
		if t.Spec().Level == SpanLevel {
			found = true
		}
	})
	return found
}
