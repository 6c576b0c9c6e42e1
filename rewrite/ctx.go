package rewrite

import (
	"fmt"
	"go/ast"
	"go/token"
	"slices"
)

// ctxParam is the name of the function's context parameter (the first
// parameter, when it is a named context.Context), or "".
func (in *instrumenter) ctxParam(ps []param) string {
	if len(ps) > 0 && ps[0].name != "" && ps[0].name != "_" && in.isPkgType(ps[0].typ, "context", "Context") {
		return ps[0].name
	}
	return ""
}

// ctxStart is the statement that starts the span of f, whose context
// parameter is ctx: it puts the span in the context, so that the calls f
// makes with ctx are its children.
func (in *instrumenter) ctxStart(f *fn, ctx, ref string) string {
	// ctx stays the caller's where the span's context would change the
	// answer or outlive the span:
	//   - the function compares ctx or asserts its type (if ctx == nil,
	//     ctx.(*myCtx));
	//   - ctx escapes (see in.escapes): the caller would get back, or keep,
	//     a context whose span ends with this call, and whatever it starts
	//     from it later would hang under that ended span.
	// Keeping the caller's context under another name for the escaping
	// uses only would be a third generated shape for Undo to know; leaving
	// ctx alone keeps the parent links right all the same: within a trace
	// the runtime prefers the goroutine's current span (this function's)
	// to the context's, so the calls it makes with ctx nest under its span,
	// and its literals nest under it lexically (StartLit).
	if inspectsValue(f.body, ctx) || in.escapes(f.body, ctx) {
		return fmt.Sprintf("_, __sp := %s.StartContext(%s, %s)", ImportName, ctx, ref)
	}
	return fmt.Sprintf("%s, __sp := %s.StartContext(%s, %s)", ctx, ImportName, ctx, ref)
}

// inspectsValue reports whether body (with its literals, which capture
// the variable) compares the variable name with == or != or asserts its
// dynamic type (x.(T), switch x.(type)), by name: a shadowing declaration
// counts too, which only costs the function its context.
func inspectsValue(body *ast.BlockStmt, name string) bool {
	is := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && id.Name == name
	}
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) && (is(n.X) || is(n.Y)) {
				found = true
			}
		case *ast.TypeAssertExpr:
			if is(n.X) {
				found = true
			}
		}
		return !found
	})
	return found
}

// escapes reports whether the value of the variable name (a context) may
// outlive the call of the function whose body this is, by name and without
// types (a shadowing declaration counts too, which only costs the function
// its context): it, or a context the context package derives from it
// (context.WithValue(ctx, ...), also through local variables: c, cancel :=
// context.WithCancel(ctx); return c), is returned, stored through a selector, an
// index or a pointer (s.ctx = ctx), put in a composite literal, or sent on
// a channel; or a function literal that mentions it may outlive the call:
// launched by a go statement (go func() { ... ctx ... }()), or kept as a
// value (assigned, returned, put in a literal, sent). A literal called or
// deferred where it is written, or passed to a call (g.Go(func() error {
// ... }), t.Run, sort.Slice), does not count: the call that takes it
// decides how long it runs, and errgroup's Wait, t.Run and sort.Slice end
// it before the function returns; its span is a child of the function's
// lexically (StartLit) whatever its context says.
func (in *instrumenter) escapes(body *ast.BlockStmt, name string) bool {
	vars := map[string]bool{name: true} // name and the local variables derived from it
	var derived func(e ast.Expr) bool   // e is one of vars, or derived from one
	derived = func(e ast.Expr) bool {
		switch e := ast.Unparen(e).(type) {
		case *ast.Ident:
			return vars[e.Name]
		case *ast.CallExpr:
			if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && in.imports[id.Name] == "context" {
					for _, a := range e.Args {
						if derived(a) {
							return true
						}
					}
				}
			}
		case *ast.UnaryExpr:
			return e.Op == token.AND && derived(e.X)
		}
		return false
	}
	for grown := true; grown; {
		grown = false
		ast.Inspect(body, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || !slices.ContainsFunc(as.Rhs, derived) {
				return true
			}
			for _, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name != "_" && !vars[id.Name] {
					vars[id.Name], grown = true, true
				}
			}
			return true
		})
	}
	found := false
	var stack []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.ReturnStmt:
			for _, r := range n.Results {
				found = found || derived(r)
			}
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if _, local := ast.Unparen(l).(*ast.Ident); local {
					continue
				}
				for _, r := range n.Rhs {
					found = found || derived(r)
				}
			}
		case *ast.CompositeLit:
			for _, e := range n.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					e = kv.Value
				}
				found = found || derived(e)
			}
		case *ast.SendStmt:
			found = derived(n.Value)
		case *ast.FuncLit:
			if litOutlives(n, stack) {
				for v := range vars {
					found = found || mentions(n.Body, v)
				}
			}
		}
		stack = append(stack, n)
		return !found
	})
	return found
}

// litOutlives reports whether lit, below stack, may run after the call of
// the function it is written in returns (see escapes): launched by a go
// statement, or kept as a value rather than called or passed to a call.
func litOutlives(lit *ast.FuncLit, stack []ast.Node) bool {
	if len(stack) == 0 {
		return false
	}
	switch p := stack[len(stack)-1].(type) {
	case *ast.CallExpr:
		if ast.Unparen(p.Fun) != lit {
			return false // an argument: the callee decides
		}
		if len(stack) > 1 {
			_, launched := stack[len(stack)-2].(*ast.GoStmt)
			return launched
		}
		return false
	case *ast.ParenExpr:
		return litOutlives(lit, stack[:len(stack)-1])
	case *ast.AssignStmt, *ast.ValueSpec, *ast.ReturnStmt, *ast.CompositeLit, *ast.KeyValueExpr, *ast.SendStmt:
		return true
	}
	return false
}
