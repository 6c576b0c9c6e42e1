package rewrite

import (
	"strings"
	"testing"
)

// TestContextEscapes: a function whose context parameter escapes keeps the
// caller's context (`_, __sp := StartContext(ctx, ...)`); one that only
// passes it down, or uses it in literals called in place, gets the span's.
func TestContextEscapes(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		keeps      bool // ctx stays the caller's
	}{
		{"returned", "if v == \"\" {\n\t\treturn ctx\n\t}\n\treturn context.WithValue(ctx, k{}, v)", true},
		{"derived and returned", "c, cancel := context.WithCancel(ctx)\n\t_ = cancel\n\treturn context.WithValue(c, k{}, v)", true},
		{"derived, returned at once", "return context.WithoutCancel(ctx)", true},
		{"stored in a field", "s.ctx = ctx\n\treturn nil", true},
		{"stored in a map", "m[v] = ctx\n\treturn nil", true},
		{"in a composite literal", "hs = append(hs, holder{ctx: ctx})\n\treturn nil", true},
		{"sent", "ch <- ctx\n\treturn nil", true},
		{"captured by a goroutine", "go func() {\n\t\tuse(ctx)\n\t}()\n\treturn nil", true},
		{"captured by a stored literal", "f := func() { use(ctx) }\n\tfs = append(fs, f)\n\treturn nil", true},
		{"passed down", "use(ctx)\n\treturn nil", false},
		{"passed down and returned", "return pass(ctx)", false},
		{"literal passed to a call", "run(func() {\n\t\tuse(ctx)\n\t})\n\treturn nil", false},
		{"literal returned", "return wrap(func() { use(ctx) })", false},
		{"literal called in place", "func() {\n\t\tuse(ctx)\n\t}()\n\treturn nil", false},
		{"deferred literal", "defer func() {\n\t\tuse(ctx)\n\t}()\n\treturn nil", false},
		{"local copy", "c := ctx\n\tuse(c)\n\treturn nil", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := `package p

import "context"

type k struct{}

type holder struct{ ctx context.Context }

var (
	s  holder
	m  = map[string]context.Context{}
	hs []holder
	ch = make(chan context.Context, 1)
	fs []func()
)

func use(context.Context)                       { println() }
func run(f func())                              { f() }
func wrap(f func()) context.Context              { f(); return nil }
func pass(c context.Context) context.Context { println(); return nil }

func F(ctx context.Context, v string) context.Context {
	for range 2 { // not tiny
	}
	` + tc.body + `
}
`
			out, err := File("p.go", []byte(src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			keeps := strings.Contains(string(out), "_, __sp := __spantree.StartContext(ctx, ")
			replaces := strings.Contains(string(out), "ctx, __sp := __spantree.StartContext(ctx, ")
			if keeps == replaces || keeps != tc.keeps {
				t.Errorf("F with body %q: keeps the caller's ctx = %v, replaces it = %v; want keeps = %v\n%s", tc.body, keeps, replaces, tc.keeps, out)
			}
		})
	}
}
