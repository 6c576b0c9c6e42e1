package rewrite

import (
	"go/ast"
	"strings"
)

// Outlining. The compiler open-codes a function's deferred calls (a few
// instructions at each return, nothing when the defer did not run) only when
// its return statements times its defer statements are at most 15, no defer
// is in a loop and there are at most 8 defers. Otherwise every return calls
// runtime.deferreturn, which costs about 12 ns on the machines measured here
// whether or not a defer ran: a parser's big switch of returns pays it on
// every call, folded or not. Such a function is split in two: the function
// keeps its signature and gets the span's prologue and a single return of a
// call to its body, moved unchanged into a function of its own,
// __spantree_NAME, which takes the Span first:
//
//	func parseValue(s string, depth int) (*Value, error) {
//		__sp := __spantree.Start(&__spantree_fns_parser[4])
//		if __sp.Live() {
//			defer __sp.Done()
//		}
//		return __spantree_parseValue(__sp, s, depth)
//	}
//
//	func __spantree_parseValue(__sp __spantree.Span, s string, depth int) (*Value, error) {
//		... the body, as written ...
//	}
//
// Undo joins the two again. With KeepLines both go on the line of the
// opening brace, so that the body keeps its lines.

// outlinePrefix starts the name of an outlined body.
const outlinePrefix = "__spantree_"

// maxOpenReturns is the compiler's limit on returns times defers for
// open-coded defers (cmd/compile/internal/ssagen), and maxOpenDefers its
// limit on defers.
const (
	maxOpenReturns = 15
	maxOpenDefers  = 8
)

// outline returns, when f's span should go in front of an outlined body, the
// statement that calls the body after the prologue (returning what it
// returns) and the signature of the body;
// ok is false to instrument f in place.
func (in *instrumenter) outline(f *fn) (call, sig string, ok bool) {
	d := f.decl
	if d == nil || d.Body == nil || f.expanded || in.oneline(d.Body) {
		return "", "", false
	}
	defers, inLoop := deferStmts(d.Body)
	if !inLoop && defers+1 <= maxOpenDefers && len(f.returns)*(defers+1) <= maxOpenReturns {
		return "", "", false // the compiler open-codes its defers
	}
	if hasGoDirective(d.Doc) || in.callerSensitive(d.Body) {
		return "", "", false
	}
	// Every parameter is passed on by name: an unnamed or blank one (or
	// receiver) keeps the function as it is.
	var args []string
	args = append(args, "__sp")
	ps := d.Type.Params.List
	for i, fl := range ps {
		if len(fl.Names) == 0 {
			return "", "", false
		}
		for _, n := range fl.Names {
			if n.Name == "_" {
				return "", "", false
			}
			a := n.Name
			if _, variadic := fl.Type.(*ast.Ellipsis); variadic && i == len(ps)-1 {
				a += "..."
			}
			args = append(args, a)
		}
	}
	name := outlinePrefix + d.Name.Name
	callee := name
	if d.Recv != nil {
		r := d.Recv.List[0]
		if len(r.Names) == 0 || r.Names[0].Name == "_" {
			return "", "", false
		}
		callee = r.Names[0].Name + "." + name
	} else if tp := d.Type.TypeParams; tp != nil {
		var names []string
		for _, fl := range tp.List {
			for _, n := range fl.Names {
				names = append(names, n.Name)
			}
		}
		callee += "[" + strings.Join(names, ", ") + "]"
	}
	// The body's signature: the function's, renamed, with the Span first.
	from, to := in.off(d.Type.Func), in.off(d.Body.Lbrace)
	nameAt, open := in.off(d.Name.Pos()), in.off(d.Type.Params.Opening)+1
	first := "__sp " + ImportName + ".Span"
	if len(ps) > 0 {
		first += ", "
	}
	sig = string(in.src[from:nameAt]) + name + string(in.src[in.off(d.Name.End()):open]) + first + string(in.src[open:to])
	sig = strings.TrimRight(sig, " \t")
	if in.opts.KeepLines {
		// On one line: a signature written over several lines, or with
		// comments or raw strings in it, keeps the function as it is.
		if strings.ContainsAny(sig, "`/") {
			return "", "", false
		}
		sig = strings.Join(strings.Fields(sig), " ")
	}
	call = callee + "(" + strings.Join(args, ", ") + ")"
	if d.Type.Results != nil && len(d.Type.Results.List) > 0 {
		call = "return " + call
	}
	return call, sig, true
}

// deferStmts counts the defer statements of body, its literals apart, and
// reports whether one is in a loop.
func deferStmts(body *ast.BlockStmt) (n int, inLoop bool) {
	loops := 0
	var walk func(ast.Node)
	walk = func(node ast.Node) {
		ast.Inspect(node, func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.FuncLit:
				return false
			case *ast.DeferStmt:
				n++
				if loops > 0 {
					inLoop = true
				}
			case *ast.ForStmt:
				loops++
				walk(x.Body)
				loops--
				return false
			case *ast.RangeStmt:
				loops++
				walk(x.Body)
				loops--
				return false
			case *ast.LabeledStmt:
				// A label a goto jumps back to makes a loop the
				// compiler sees too; count it as one.
				loops++
				walk(x.Stmt)
				loops--
				return false
			}
			return true
		})
	}
	walk(body)
	return n, inLoop
}

// hasGoDirective reports whether a doc comment holds a //go: directive,
// which the outlined body would not carry.
func hasGoDirective(doc *ast.CommentGroup) bool {
	if doc == nil {
		return false
	}
	for _, c := range doc.List {
		if strings.HasPrefix(c.Text, "//go:") {
			return true
		}
	}
	return false
}

// callerSensitive reports whether body asks who called it (t.Helper,
// runtime.Caller, runtime.Callers): the outlined body would answer with
// its wrapper.
func (in *instrumenter) callerSensitive(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(x ast.Node) bool {
		c, ok := x.(*ast.CallExpr)
		if !ok || found {
			return !found
		}
		sel, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr)
		if !ok {
			return true
		}
		switch sel.Sel.Name {
		case "Helper":
			found = len(c.Args) == 0
		case "Caller", "Callers":
			if id, ok := sel.X.(*ast.Ident); ok && in.imports[id.Name] == "runtime" {
				found = true
			}
		}
		return !found
	})
	return found
}

// outlinedBody reports whether decl is the body of an outlined function
// (see outline), wrapper being the declaration before it: wrapper's body
// is its prologue and `return __spantree_NAME(__sp, ...)` (the call alone
// for a function without results).
func outlinedBody(wrapper, decl *ast.FuncDecl) bool {
	if wrapper.Body == nil || decl.Body == nil || decl.Name.Name != outlinePrefix+wrapper.Name.Name {
		return false
	}
	ps := decl.Type.Params.List
	if len(ps) == 0 || len(ps[0].Names) == 0 || ps[0].Names[0].Name != "__sp" {
		return false
	}
	l := wrapper.Body.List
	if len(l) < 3 {
		return false
	}
	var c *ast.CallExpr
	switch st := l[len(l)-1].(type) {
	case *ast.ReturnStmt:
		if len(st.Results) == 1 {
			c, _ = st.Results[0].(*ast.CallExpr)
		}
	case *ast.ExprStmt: // a function without results
		c, _ = st.X.(*ast.CallExpr)
	}
	if c == nil || len(c.Args) == 0 {
		return false
	}
	if a, ok := c.Args[0].(*ast.Ident); !ok || a.Name != "__sp" {
		return false
	}
	fun := ast.Unparen(c.Fun)
	if ix, ok := fun.(*ast.IndexExpr); ok {
		fun = ix.X
	} else if ix, ok := fun.(*ast.IndexListExpr); ok {
		fun = ix.X
	}
	switch fun := fun.(type) {
	case *ast.Ident:
		return fun.Name == decl.Name.Name
	case *ast.SelectorExpr:
		return fun.Sel.Name == decl.Name.Name
	}
	return false
}

// joinOutlined takes out the wrapper of an outlined body: everything from
// the wrapper's opening brace to the body's, so that the function is
// declared once again with its body.
func (s *stripper) joinOutlined(wrapper, body *ast.FuncDecl) {
	from, to := s.off(wrapper.Body.Lbrace)+1, s.off(body.Body.Lbrace)+1
	s.add(from, to, "")
	s.consumed = append(s.consumed, [2]int{from, to})
	s.outlined[wrapper.Body] = true
}
