package query

import (
	"strings"
	"unicode"
)

// Expr is a parsed query: a tree of [And], [Or], [Not] and [*Term]. Its
// String is the query in canonical form, which parses to the same tree.
type Expr interface {
	String() string
	expr()
}

// And holds when all of its operands hold; it has two or more, none of
// them an And (Parse flattens them).
type And []Expr

// Or holds when one of its operands holds; it has two or more, none of
// them an Or.
type Or []Expr

// Not holds when X does not: for the whole trace, no span matches X (see
// the package documentation).
type Not struct{ X Expr }

// Term compares one field with a value: name:~check, duration>100ms.
type Term struct {
	Field string // as written: name, tag.version
	Op    Op
	Value string // unquoted
	// Num is Value parsed: nanoseconds for the fields of kind Duration,
	// the number for those of kind Number.
	Num int64
}

func (And) expr()   {}
func (Or) expr()    {}
func (Not) expr()   {}
func (*Term) expr() {}

// Spec returns the entry of the term table for the term's field.
func (t *Term) Spec() Field {
	f, _ := lookup(t.Field)
	return f
}

// TagKey returns the key of a tag.KEY term ("" for other fields).
func (t *Term) TagKey() string {
	if f := t.Spec(); f.Prefix {
		return strings.TrimPrefix(t.Field, f.Name)
	}
	return ""
}

func (a And) String() string { return join([]Expr(a), " ", precAnd) }
func (o Or) String() string  { return join([]Expr(o), " OR ", precOr) }

func (n Not) String() string { return "-" + wrap(n.X, precNot) }

func (t *Term) String() string { return t.Field + string(t.Op) + quote(t.Value) }

// Precedences, lowest first: OR binds loosest, then AND, then NOT.
const (
	precOr = iota
	precAnd
	precNot
)

func prec(e Expr) int {
	switch e.(type) {
	case Or:
		return precOr
	case And:
		return precAnd
	}
	return precNot
}

// wrap prints e, in parentheses when it binds looser than its context.
func wrap(e Expr, ctx int) string {
	if prec(e) < ctx || (prec(e) == ctx && ctx != precNot) {
		return "(" + e.String() + ")"
	}
	return e.String()
}

// join prints operands of an And or Or. An operand of the same kind cannot
// occur (they are flattened); one that binds looser is parenthesized.
func join(es []Expr, sep string, ctx int) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = wrap(e, ctx)
	}
	return strings.Join(parts, sep)
}

// quote prints a value as the parser reads it: bare when it can be, else
// in double quotes with " and \ escaped. A value that starts with ~ is
// quoted too: bare after ":", it would read as ":~".
func quote(v string) string {
	if v != "" && v[0] != '"' && v[0] != '~' && !strings.ContainsFunc(v, endsValue) {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// endsValue reports whether r ends a bare value.
func endsValue(r rune) bool { return unicode.IsSpace(r) || r == '(' || r == ')' }

// endsWord reports whether r ends a field name or a bare word.
func endsWord(r rune) bool { return endsValue(r) || r == '"' || r == ':' || r == '<' || r == '>' }

// Terms calls fn for each term of e, left to right.
func Terms(e Expr, fn func(*Term)) {
	walk(e, func(x Expr) {
		if t, ok := x.(*Term); ok {
			fn(t)
		}
	})
}

// walk calls fn for e and each node under it, depth first.
func walk(e Expr, fn func(Expr)) {
	fn(e)
	var kids []Expr
	switch e := e.(type) {
	case And:
		kids = e
	case Or:
		kids = e
	case Not:
		kids = []Expr{e.X}
	}
	for _, x := range kids {
		walk(x, fn)
	}
}
