package query

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// shapeDialect prints S for a span term, R for a trace term (I inside a
// span condition) and E(...) for "some span of the trace".
type shapeDialect struct{}

func (shapeDialect) Term(t *Term, inSpan bool) (string, []any) {
	switch {
	case t.Spec().Level == SpanLevel:
		return "S", []any{t.Value}
	case inSpan:
		return "I", []any{t.Value}
	}
	return "R", []any{t.Value}
}

func (shapeDialect) Exists(cond string, args []any) (string, []any) { return "E(" + cond + ")", args }

// TestCompile shows how terms bind: AND within one span, NOT over the trace.
func TestCompile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "1"},
		{"service:shop", "E(S)"},
		{"service:shop status:failed", "E((S AND S))"},
		{"app:demo", "R"},
		{"app:demo root.status:failed", "(R AND R)"},
		{"app:demo status:failed", "(R AND E(S))"},
		{"app:demo status:failed name:x", "(R AND E((S AND S)))"},
		{"name:a OR name:b", "E((S OR S))"},
		{"name:a OR root.duration>1s", "E((S OR I))"},
		{"-status:failed", "NOT E(S)"},
		{"service:shop -status:failed", "(E(S) AND NOT E(S))"},
		{"service:shop name:x -status:failed", "(E((S AND S)) AND NOT E(S))"},
		{"-(service:shop status:failed)", "NOT E((S AND S))"},
		{"service:shop -(-status:failed)", "(E(S) AND NOT NOT E(S))"},
		{"-app:shop", "NOT R"},
		{"name:a OR -name:b", "(E(S) OR NOT E(S))"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", tt.in, err)
		}
		if got, _ := Compile(e, shapeDialect{}); got != tt.want {
			t.Errorf("Compile(%q) = %s; want %s", tt.in, got, tt.want)
		}
	}
}

// sqlShape is all that Compile may write besides the dialect's own text.
var sqlShape = regexp.MustCompile(`^(?:[SIRE()1]|NOT | AND | OR )*$`)

// checkCompile: the SQL holds no text of the query, and the arguments are
// the terms' values, one per term.
func checkCompile(t *testing.T, q string, e Expr) {
	sql, args := Compile(e, shapeDialect{})
	if !sqlShape.MatchString(sql) {
		t.Fatalf("Compile(%q) = %q: text beyond the dialect's and AND, OR, NOT", q, sql)
	}
	var values []any
	Terms(e, func(t *Term) { values = append(values, t.Value) })
	bare := strings.ReplaceAll(sql, " OR ", " ") // R is a term, OR is not
	if n := strings.Count(bare, "S") + strings.Count(bare, "I") + strings.Count(bare, "R"); n != len(values) || len(args) != n {
		t.Fatalf("Compile(%q) = %q with %d args; want %d terms", q, sql, len(args), len(values))
	}
	less := func(a, b any) int { return strings.Compare(a.(string), b.(string)) }
	slices.SortFunc(values, less)
	slices.SortFunc(args, less)
	if !slices.Equal(values, args) {
		t.Fatalf("Compile(%q) args %q; want the values %q", q, args, values)
	}
}
