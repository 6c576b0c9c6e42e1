package rewrite

import "go/ast"

// The tiny rule (see the package documentation) per package: a function is
// tiny when its own body is within budget and every call it makes goes to a
// tiny function of its package, a builtin, a conversion, or a pure standard
// package. Which functions of the package are tiny depends on each other
// (xxhash's round calls rol31), so it is computed for all the files of a
// package at once, as the least fixed point over the calls: a function whose
// calls reach back to itself (recursion) is never tiny.

// packageFacts indexes the top-level declarations of one package's files,
// by name, for resolving calls without types.
type packageFacts struct {
	funcs   map[string][]*fn // plain functions (several: files of other build configurations)
	methods map[string][]*fn // methods, by method name, whatever the receiver
	types   map[string]bool  // type names: a call of one is a conversion
	set     map[*fn]bool     // the tiny declarations
}

// tinyPackage computes the tiny declarations of the files of one package
// and gives every instrumenter the result.
func tinyPackage(ins []*instrumenter) {
	pf := &packageFacts{
		funcs:   map[string][]*fn{},
		methods: map[string][]*fn{},
		types:   map[string]bool{},
		set:     map[*fn]bool{},
	}
	type decl struct {
		in *instrumenter
		f  *fn
	}
	var decls []decl
	for _, in := range ins {
		in.pkgTiny = pf
		for _, r := range in.roots {
			d := r.decl
			if d == nil {
				continue
			}
			if d.Recv != nil {
				pf.methods[d.Name.Name] = append(pf.methods[d.Name.Name], r)
			} else {
				pf.funcs[d.Name.Name] = append(pf.funcs[d.Name.Name], r)
			}
			decls = append(decls, decl{in, r})
		}
		for name := range in.typeNames() {
			pf.types[name] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, d := range decls {
			if !pf.set[d.f] && d.in.spanFree(d.f) && pf.leaf(d.f) {
				pf.set[d.f] = true
				changed = true
			}
		}
	}
}

// spanFree reports whether nothing but the tiny rule keeps f, a
// declaration, from getting a span of its own; a callee that gets one for
// another reason (a kind, a directive, an error it returns) is no tiny call.
func (in *instrumenter) spanFree(f *fn) bool {
	return f.body != nil && !f.forced && !in.opts.Tiny && f.kind == kindPlain &&
		!in.isHandler(f.typ) && !in.failing(f)
}

// leaf reports whether f, with what is known tiny so far, is a leaf: no
// loops, goroutines or literals, calls only of tiny functions of its
// package (or conversions to its types), and within leafBudget, or, for
// straight-line code, within straightBudget on the longest path through it
// (an iterator's Next that decodes one of several kinds of record runs one
// case of its switch a call).
func (pf *packageFacts) leaf(f *fn) bool {
	if f.loops > 0 || len(f.kids) > 0 || f.calls != len(f.callees) {
		return false
	}
	if f.nodes > leafBudget {
		if f.path == 0 {
			f.path = pathNodes(f.body)
		}
		if f.path > straightBudget {
			return false
		}
	}
	for _, c := range f.callees {
		if !pf.tinyCall(c) {
			return false
		}
	}
	return true
}

// tinyCall reports whether a call of c is known to be tiny: c names a type
// of the package (a conversion), or functions (methods) that are all tiny.
func (pf *packageFacts) tinyCall(c callee) bool {
	if c.name != "" && pf.types[c.name] {
		return true
	}
	fs := pf.resolve(c)
	if len(fs) == 0 {
		return false // a function value, a method of another package's type
	}
	for _, f := range fs {
		if !pf.set[f] {
			return false
		}
	}
	return true
}

// resolve returns the declarations a call of c may go to: the package's
// functions of its name, or its methods of its method name.
func (pf *packageFacts) resolve(c callee) []*fn {
	if c.name != "" {
		return pf.funcs[c.name]
	}
	return pf.methods[c.method]
}

// tiny reports whether f, a declaration or a literal, is tiny: a leaf (see
// leaf), or a wrapper, a statement forwarding to one call of this
// package's, after guards if any, within wrapperBudget (its callee has the
// span). Whether f returns an error is the caller's business.
func (pf *packageFacts) tiny(f *fn) bool {
	if f.decl != nil && pf.set[f] || f.decl == nil && (pf.leaf(f) || callback(f)) {
		return true
	}
	if !wrapper(f) {
		return false
	}
	if len(f.body.List) == 1 {
		return true
	}
	// A guarded wrapper is tiny when the function it calls has the span:
	// one of the package's that is neither tiny nor a wrapper (even and
	// odd calling each other after their guards are recursion).
	if len(f.callees) != 1 {
		return false
	}
	fs := pf.resolve(f.callees[0])
	if len(fs) == 0 {
		return false
	}
	for _, g := range fs {
		if g == f || g.body == nil || pf.set[g] || wrapper(g) {
			return false
		}
	}
	return true
}

// callback reports whether f is a standard algorithm's callback (fn.callback)
// of straight-line code within straightBudget on its longest path: tiny
// whatever it calls, since a span of its own would only repeat its
// caller's. The functions it calls keep theirs, beneath its caller.
func callback(f *fn) bool {
	if !f.callback || f.loops > 0 || len(f.kids) > 0 {
		return false
	}
	if f.path == 0 {
		f.path = pathNodes(f.body)
	}
	return f.path <= straightBudget
}

// wrapper reports whether f has the shape of a wrapper: one call, of this
// package (a wrapper of another package's function, time.Sleep or
// http.Get, is where time goes and no span of ours would show it), no
// loops or literals, a body that guarded accepts, within wrapperBudget.
func wrapper(f *fn) bool {
	return f.body != nil && f.loops == 0 && len(f.kids) == 0 && f.calls == 1 && f.callsOut == 0 &&
		f.nodes <= wrapperBudget && guarded(f.body.List)
}

// guarded reports whether list is a wrapper's body: one statement, after
// guards that return early without an else (`if len(s) == 0 { return s }`;
// `return slow(s)`), the fast path of a function whose slow path has the
// span.
func guarded(list []ast.Stmt) bool {
	if len(list) == 0 {
		return false
	}
	for _, s := range list[:len(list)-1] {
		is, ok := s.(*ast.IfStmt)
		if !ok || is.Else != nil || len(is.Body.List) != 1 {
			return false
		}
		if _, ok := is.Body.List[0].(*ast.ReturnStmt); !ok {
			return false
		}
	}
	return true
}

// pathNodes returns the number of syntax nodes on the longest path through
// n, a statement of a function without loops: an if statement counts its
// condition and the larger of its branches, a switch its tag, every case
// expression (they may all be evaluated) and the largest of its clauses,
// a statement list what listNodes says; any other statement all its nodes,
// as fn.nodes does.
func pathNodes(n ast.Stmt) int {
	switch s := n.(type) {
	case nil:
		return 0
	case *ast.BlockStmt:
		return 1 + listNodes(s.List)
	case *ast.LabeledStmt:
		return 2 + pathNodes(s.Stmt)
	case *ast.IfStmt:
		var els int
		if s.Else != nil {
			els = pathNodes(s.Else)
		}
		return 1 + pathNodes(s.Init) + countNodes(s.Cond) + max(pathNodes(s.Body), els)
	case *ast.SwitchStmt:
		return 2 + pathNodes(s.Init) + countNodes(s.Tag) + clauseNodes(s.Body.List)
	case *ast.TypeSwitchStmt:
		return 2 + pathNodes(s.Init) + pathNodes(s.Assign) + clauseNodes(s.Body.List)
	}
	return countNodes(n)
}

// listNodes counts the longest path through a statement list; an if
// statement without else whose body returns ends the path through its body
// (if it.n == 0 { return false }): the path goes on past it or through it.
func listNodes(list []ast.Stmt) int {
	n := 0
	for i, s := range list {
		if is, ok := s.(*ast.IfStmt); ok && is.Else == nil && endsCall(is.Body.List) {
			head := 1 + pathNodes(is.Init) + countNodes(is.Cond)
			return n + head + max(pathNodes(is.Body), listNodes(list[i+1:]))
		}
		n += pathNodes(s)
	}
	return n
}

// endsCall reports whether list ends with a return statement or a panic.
func endsCall(list []ast.Stmt) bool {
	if len(list) == 0 {
		return false
	}
	switch s := list[len(list)-1].(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.ExprStmt:
		c, ok := s.X.(*ast.CallExpr)
		if !ok {
			return false
		}
		id, ok := c.Fun.(*ast.Ident)
		return ok && id.Name == "panic"
	}
	return false
}

// clauseNodes counts the case clauses of a switch body: all their
// expressions, and the statements of the largest.
func clauseNodes(clauses []ast.Stmt) int {
	exprs, most := 0, 0
	for _, c := range clauses {
		cc, ok := c.(*ast.CaseClause)
		if !ok {
			return countNodes(&ast.BlockStmt{List: clauses})
		}
		exprs++
		for _, e := range cc.List {
			exprs += countNodes(e)
		}
		most = max(most, listNodes(cc.Body))
	}
	return exprs + most
}

// countNodes counts the nodes that ast.Inspect visits under n (none for
// nil).
func countNodes(n ast.Node) int {
	if n == nil {
		return 0
	}
	c := 0
	ast.Inspect(n, func(n ast.Node) bool {
		if n != nil {
			c++
		}
		return true
	})
	return c
}
