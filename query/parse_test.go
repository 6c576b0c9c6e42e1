package query

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func term(field string, op Op, v string) *Term { return &Term{Field: field, Op: op, Value: v} }

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Expr
	}{
		{"", nil},
		{"   ", nil},
		{"service:shop", term("service", Eq, "shop")},
		{"name:~check", term("name", Contains, "check")},
		{"checkout", term("name", Contains, "checkout")},
		{`"pay now"`, term("name", Contains, "pay now")},
		{`name:"a b"`, term("name", Eq, "a b")},
		{`name:"say \"hi\" \\o/"`, term("name", Eq, `say "hi" \o/`)},
		{"duration>100ms", &Term{Field: "duration", Op: Gt, Value: "100ms", Num: int64(100 * time.Millisecond)}},
		{"root.duration<=2s", &Term{Field: "root.duration", Op: Le, Value: "2s", Num: int64(2 * time.Second)}},
		{"duration>=1.5s", &Term{Field: "duration", Op: Ge, Value: "1.5s", Num: int64(1500 * time.Millisecond)}},
		{"duration<1µs", &Term{Field: "duration", Op: Lt, Value: "1µs", Num: int64(time.Microsecond)}},
		{"tag.version:1.4.2", term("tag.version", Eq, "1.4.2")},
		{"spans>10", &Term{Field: "spans", Op: Gt, Value: "10", Num: 10}},
		{"errors:0", &Term{Field: "errors", Op: Eq, Value: "0", Num: 0}},
		{"error:~timeout", term("error", Contains, "timeout")},
		{"name:~~x", term("name", Contains, "~x")},
		{"service:shop status:failed", And{term("service", Eq, "shop"), term("status", Eq, "failed")}},
		{"service:shop AND status:failed", And{term("service", Eq, "shop"), term("status", Eq, "failed")}},
		{"a OR b c", Or{term("name", Contains, "a"), And{term("name", Contains, "b"), term("name", Contains, "c")}}},
		{"(a OR b) c", And{Or{term("name", Contains, "a"), term("name", Contains, "b")}, term("name", Contains, "c")}},
		{"a (b c) d", And{term("name", Contains, "a"), term("name", Contains, "b"), term("name", Contains, "c"), term("name", Contains, "d")}},
		{"a OR (b OR c)", Or{term("name", Contains, "a"), term("name", Contains, "b"), term("name", Contains, "c")}},
		{"-status:failed", Not{term("status", Eq, "failed")}},
		{"NOT status:failed", Not{term("status", Eq, "failed")}},
		{"--a", Not{Not{term("name", Contains, "a")}}},
		{"-(a b)", Not{And{term("name", Contains, "a"), term("name", Contains, "b")}}},
		{"name:OR", term("name", Eq, "OR")},
		{"or and not", And{term("name", Contains, "or"), term("name", Contains, "and"), term("name", Contains, "not")}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) = %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"service:shop duration>", "at 23: want a value after 'duration>'"},
		{"duration>fast", `at 10: want a duration such as 100ms or 1.5s after 'duration>', got "fast"`},
		{"duration>-1s", `at 10: want a duration such as 100ms or 1.5s after 'duration>', got "-1s"`},
		{"errors>some", `at 8: want a whole number such as 10 after 'errors>', got "some"`},
		{"spans<=-1", `at 8: want a whole number such as 10 after 'spans<=', got "-1"`},
		{"spans:~1", "at 6: 'spans' takes ':', '>', '>=', '<', '<=', not ':~'"},
		{"status:broken", `at 8: want started, succeeded or failed after 'status:', got "broken"`},
		{"status:~fail", "at 7: 'status' takes ':', not ':~'"},
		{"name>3", "at 5: 'name' takes ':', ':~', not '>'"},
		{"colour:red", "at 1: unknown field 'colour' (want one of app, duration, error, error.type, errors, fingerprint, location, name, root.duration, root.name, root.service, root.status, service, spans, status, tag.KEY)"},
		{"tag.:x", "at 1: unknown field 'tag.' (want one of app, duration, error, error.type, errors, fingerprint, location, name, root.duration, root.name, root.service, root.status, service, spans, status, tag.KEY)"},
		{"(a b", "at 5: want ')' to close the '(' at 1"},
		{"a b)", "at 4: ')' without '('"},
		{"()", "at 2: want a term inside '()'"},
		{"a OR", "at 5: want a term"},
		{"AND a", "at 1: want a term before AND"},
		{"a AND OR b", "at 7: want a term before OR"},
		{`name:"open`, `at 6: unterminated quoted value (want a closing '"')`},
		{":x", "at 1: want a field name before ':'"},
		{`name"x"`, `at 5: want an operator such as ':' between "name" and a quoted value`},
		{"name:a)b", "at 7: ')' without '('"},
		{"-", "at 2: want a term"},
		{"é:x", "at 1: unknown field 'é' (want one of app, duration, error, error.type, errors, fingerprint, location, name, root.duration, root.name, root.service, root.status, service, spans, status, tag.KEY)"},
		{"ééé duration>", "at 14: want a value after 'duration>'"},
		{strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1), fmt.Sprintf("at %d: nested more than %d deep", MaxDepth+1, MaxDepth)},
		{strings.Repeat("a ", MaxTerms+1), fmt.Sprintf("at %d: more than %d terms", 2*MaxTerms+1, MaxTerms)},
		{strings.Repeat("a", MaxLen+1), fmt.Sprintf("at 1: longer than %d bytes", MaxLen)},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v; want error %q", tt.in, e, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %q; want %q", tt.in, err, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"service:shop   status:failed", "service:shop status:failed"},
		{"a AND b", "name:~a name:~b"},
		{"(a OR b) c", "(name:~a OR name:~b) name:~c"},
		{"a OR b c", "name:~a OR name:~b name:~c"},
		{"NOT (a b)", "-(name:~a name:~b)"},
		{"NOT NOT a", "--name:~a"},
		{"-(a OR b)", "-(name:~a OR name:~b)"},
		{`name:"a b"`, `name:"a b"`},
		{`name:""`, `name:""`},
		{`name:"~x"`, `name:"~x"`},
		{`name:"\"q"`, `name:"\"q"`},
		{`name:a"b`, `name:a"b`},
		{`name:"back\\slash"`, `name:back\slash`},
		{`name:"(x)"`, `name:"(x)"`},
		{"duration>=1000ms", "duration>=1000ms"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", tt.in, err)
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParse: the parser never panics; what a parsed query prints parses to
// the same tree, which prints the same; and its SQL holds none of its text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"service:shop name:checkout name:~check status:failed duration>100ms duration<=2s",
		`tag.version:1.4.2 error:~timeout app:demo name:"a b"`,
		"(a OR b) -c NOT (d AND e) root.status:failed root.duration>1s",
		`name:"\"\\" name:~~ --x ((y))`,
		"a OR", "(a", `"x`, "duration>", "é:ü", "\x00:\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var pe *Error
			if !asError(err, &pe) || pe.Pos < 1 || pe.Pos > len([]rune(s))+1 {
				t.Fatalf("Parse(%q) error %v: want an *Error at a position within the query", s, err)
			}
			return
		}
		if e == nil {
			return
		}
		checkCompile(t, s, e)
		printed := e.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q, which does not parse: %v", s, printed, err)
		}
		if diff := cmp.Diff(e, again); diff != "" {
			t.Fatalf("Parse(%q) printed %q, which parses to another tree (-first +again):\n%s", s, printed, diff)
		}
		if again.String() != printed {
			t.Fatalf("Parse(%q): printed %q, then %q", s, printed, again.String())
		}
	})
}

func asError(err error, pe **Error) bool {
	e, ok := err.(*Error)
	*pe = e
	return ok
}
