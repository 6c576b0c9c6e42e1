package rewrite

import (
	"fmt"
	"go/ast"
	"go/token"
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
	if inspectsValue(f.body, ctx) {
		// The function compares ctx or asserts its type (if ctx
		// == nil, ctx.(*myCtx)): the span's context would change
		// the answer. ctx stays the caller's.
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
