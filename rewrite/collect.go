package rewrite

import (
	"go/ast"
	"go/token"
	"strings"
)

// fn is one function declaration or literal of a file, with what the
// rewrite needs to know about it.
type fn struct {
	decl *ast.FuncDecl
	lit  *ast.FuncLit
	typ  *ast.FuncType
	body *ast.BlockStmt

	parent *fn
	kids   []*fn

	base   string // the literal's context name before numbering (HandleFunc(/users))
	sep    string // "." or "/" (t.Run) between the parent's name and base
	number bool   // always numbered (goroutine launches)
	name   string // the final span name
	kind   kind   // what the runtime treats specially; kindPlain for most

	ignore  bool   // //spangen:ignore or an unsafe compiler directive: this and its literals are left alone
	forced  bool   // //spangen:name or //spangen:nofold: never tiny
	nameSet string // //spangen:name argument

	noExpand bool   // a one-line body that gofmt aligns with its neighbours: left alone
	expanded bool   // a one-line body put on several lines
	brace    string // indentation of the closing brace of an expanded body
	indent   string // indentation of the statements of an expanded body

	returns []*ast.ReturnStmt // return statements of this function (not of its literals)
	// labelsAfter holds, for a return statement followed in its statement
	// list by labeled statements, their labels; gotos the labels that goto
	// statements of this function jump to. A declaration put in front of
	// such a return would be jumped over (see instrument).
	labelsAfter map[*ast.ReturnStmt][]string
	gotos       map[string]bool
	exits       []exitStmt      // os.Exit / log.Fatal* statements of this function
	signals     []signalStmt    // signal.Notify / signal.NotifyContext statements of this function
	deferred    bool            // a literal deferred where it is written: defer func() { ... }()
	recovers    []*ast.CallExpr // recover() calls of a deferred literal
	rename      string          // a subtest's literal named at run time: its *testing.T parameter

	// facts for the tiny rule
	calls, loops int
	nodes        int // syntax nodes in the body, literals apart: a stand-in for the inliner's budget
	path         int // syntax nodes on the longest path through the body (see pathNodes); 0 until needed
	callsOut     int // calls of other packages' functions (pkg.F(...))
	// callback is set on a literal that is an argument of a standard
	// algorithm calling it per item (stdCallbacks): sort.Search's probe,
	// slices.SortFunc's comparison.
	callback bool
	// callees are the calls that may go to a function or method of this
	// package (by name, without types): the tiny rule decides them per
	// package (see tinyPackage). The other calls are opaque.
	callees []callee
}

// callee is the target of a call as the syntax names it: a function (or
// type, for a conversion) of the package by name, or a method by its name.
type callee struct {
	name   string // f(...), f[T](...)
	method string // x.m(...), x not an imported package
}

// exitStmt is a statement calling os.Exit, log.Fatal* or log.Panic*.
type exitStmt struct {
	stmt ast.Stmt
	call *ast.CallExpr
	how  exitHow
}

// signalStmt is a statement calling signal.Notify or signal.NotifyContext:
// the program handles those signals itself, which the runtime must know
// (it flushes on SIGTERM and SIGINT, then dies of the signal only when the
// program would have).
type signalStmt struct {
	stmt ast.Stmt
	call *ast.CallExpr
}

// exitHow is what an exit statement calls.
type exitHow int

const (
	osExit   exitHow = iota // os.Exit(code): the code goes through Exiting
	logFatal                // log.Fatal*: exits with 1, so Exiting(1) first
	logPanic                // log.Panic*: a panic, which may be recovered: Flush first
)

// collect builds the tree of functions of the file.
func (in *instrumenter) collect() []*fn {
	var roots []*fn
	for _, d := range in.f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			r := &fn{decl: d, typ: d.Type, body: d.Body}
			in.declDirectives(r)
			if d.Body != nil {
				in.walk(r, d.Body)
			}
			roots = append(roots, r)
		case *ast.GenDecl:
			// Literals in package-level variables: named after the
			// variable, with no enclosing function.
			top := &fn{}
			in.grouped = d.Lparen.IsValid()
			for _, s := range d.Specs {
				if vs, ok := s.(*ast.ValueSpec); ok && len(vs.Values) > 0 {
					in.walk(top, vs)
				}
			}
			for _, k := range top.kids {
				k.parent = nil
				roots = append(roots, k)
			}
		}
	}
	return roots
}

func (in *instrumenter) declDirectives(r *fn) {
	d := r.decl
	if hasDirective(d.Doc, "spangen:ignore") {
		r.ignore = true
	}
	if d.Doc != nil {
		for _, c := range d.Doc.List {
			if strings.HasPrefix(c.Text, "//go:") && !strings.HasPrefix(c.Text, "//go:noinline") {
				r.ignore = true
			}
		}
	}
	if in.linknamed[d.Name.Name] && d.Recv == nil {
		r.ignore = true
	}
	if name, ok := directive(d.Doc, "spangen:name"); ok && name != "" {
		r.nameSet, r.forced = name, true
	}
	if hasDirective(d.Doc, "spangen:nofold") {
		r.kind, r.forced = kindNoFold, true
	}
}

// litDirectives reads directives for a literal from the line above it and
// from its own first line.
func (in *instrumenter) litDirectives(r *fn) {
	line := in.line(r.lit.Pos())
	for _, l := range []int{line - 1, line, in.line(r.lit.Body.Lbrace)} {
		for _, text := range in.directives[l] {
			if _, ok := directiveText(text, "spangen:ignore"); ok {
				r.ignore = true
			}
			if name, ok := directiveText(text, "spangen:name"); ok && name != "" {
				r.nameSet, r.forced = name, true
			}
			if _, ok := directiveText(text, "spangen:nofold"); ok {
				r.kind, r.forced = kindNoFold, true
			}
		}
	}
}

// walk visits n, which belongs to function cur, attributing returns, exits,
// facts and literals.
func (in *instrumenter) walk(cur *fn, n ast.Node) {
	var stack []ast.Node
	ast.Inspect(n, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			k := &fn{lit: n, typ: n.Type, body: n.Body, parent: cur, noExpand: in.aligned(stack), callback: in.isStdCallback(stack, n)}
			in.litDirectives(k)
			in.nameLit(k, n, stack)
			cur.kids = append(cur.kids, k)
			in.walk(k, n.Body)
			return false // walked above, as its own function
		case *ast.ReturnStmt:
			cur.returns = append(cur.returns, n)
			if ls := labelsAfter(stack, n); len(ls) > 0 {
				if cur.labelsAfter == nil {
					cur.labelsAfter = map[*ast.ReturnStmt][]string{}
				}
				cur.labelsAfter[n] = ls
			}
		case *ast.BranchStmt:
			if n.Tok == token.GOTO && n.Label != nil {
				if cur.gotos == nil {
					cur.gotos = map[string]bool{}
				}
				cur.gotos[n.Label.Name] = true
			}
		case *ast.ExprStmt:
			if c, how, ok := in.exitCall(n.X); ok {
				cur.exits = append(cur.exits, exitStmt{stmt: n, call: c, how: how})
			}
			if c, ok := in.signalCall(n.X); ok {
				cur.signals = append(cur.signals, signalStmt{stmt: n, call: c})
			}
		case *ast.AssignStmt:
			if len(n.Rhs) == 1 {
				if c, ok := in.signalCall(n.Rhs[0]); ok {
					cur.signals = append(cur.signals, signalStmt{stmt: n, call: c})
				}
			}
		case *ast.CallExpr:
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && id.Name == "recover" && len(n.Args) == 0 && cur.deferred {
				cur.recovers = append(cur.recovers, n)
			}
			if !in.isBuiltinOrConversion(n) && !in.isPureCall(n) && !in.isTestFailure(n) {
				cur.calls++
				switch c := in.packageCallee(n.Fun); {
				case c.name != "" || c.method != "":
					cur.callees = append(cur.callees, c)
				case in.isImportedCall(n.Fun):
					cur.callsOut++
				}
			}
		case *ast.ForStmt, *ast.RangeStmt:
			cur.loops++
		case *ast.GoStmt, *ast.DeferStmt, *ast.SelectStmt, *ast.SendStmt:
			cur.calls++
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				cur.calls++
			}
		}
		cur.nodes++
		stack = append(stack, n)
		return true
	})
}

// packageCallee names what fun, the function of a call, may be in this
// package; the zero callee when it cannot be this package's.
func (in *instrumenter) packageCallee(fun ast.Expr) callee {
	switch f := ast.Unparen(fun).(type) {
	case *ast.IndexExpr:
		return in.packageCallee(f.X)
	case *ast.IndexListExpr:
		return in.packageCallee(f.X)
	case *ast.Ident:
		return callee{name: f.Name}
	case *ast.SelectorExpr:
		if id, ok := f.X.(*ast.Ident); ok {
			if _, imported := in.imports[id.Name]; imported {
				return callee{}
			}
		}
		return callee{method: f.Sel.Name}
	}
	return callee{}
}

// isImportedCall reports whether fun is pkg.F of an imported package.
func (in *instrumenter) isImportedCall(fun ast.Expr) bool {
	if sel, ok := ast.Unparen(fun).(*ast.SelectorExpr); ok {
		if id, ok := sel.X.(*ast.Ident); ok {
			_, imported := in.imports[id.Name]
			return imported
		}
	}
	return false
}

// labelsAfter returns the labels of the labeled statements that follow st
// in its statement list; stack holds st's ancestors.
func labelsAfter(stack []ast.Node, st ast.Stmt) []string {
	var list []ast.Stmt
	for i := len(stack) - 1; i >= 0 && list == nil; i-- {
		switch p := stack[i].(type) {
		case *ast.LabeledStmt:
			st = p // the statement of the list is the labeled one
			continue
		case *ast.BlockStmt:
			list = p.List
		case *ast.CaseClause:
			list = p.Body
		case *ast.CommClause:
			list = p.Body
		default:
			return nil
		}
	}
	var labels []string
	after := false
	for _, s := range list {
		if after {
			for l, ok := s.(*ast.LabeledStmt); ok; l, ok = l.Stmt.(*ast.LabeledStmt) {
				labels = append(labels, l.Label.Name)
			}
		}
		after = after || s == st
	}
	return labels
}

// jumpedOver reports whether a goto of f can jump over a declaration put in
// front of r: to a label after r in r's statement list.
func (f *fn) jumpedOver(r *ast.ReturnStmt) bool {
	for _, l := range f.labelsAfter[r] {
		if f.gotos[l] {
			return true
		}
	}
	return false
}

// aligned reports whether a literal below stack sits where gofmt aligns
// columns across lines (keyed elements of a multi-line composite literal,
// grouped var specs), so that putting its one-line body on several lines
// would re-align its neighbours.
func (in *instrumenter) aligned(stack []ast.Node) bool {
	if in.grouped && len(stack) > 0 {
		if _, ok := stack[0].(*ast.ValueSpec); ok {
			return true
		}
	}
	for i, n := range stack {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			if i > 0 {
				if cl, ok := stack[i-1].(*ast.CompositeLit); ok && in.line(cl.Lbrace) != in.line(cl.Rbrace) {
					return true
				}
			}
		case *ast.GenDecl:
			if n.Lparen.IsValid() {
				return true
			}
		}
	}
	return false
}

// signalCall reports whether x calls signal.Notify or signal.NotifyContext
// (of os/signal).
func (in *instrumenter) signalCall(x ast.Expr) (*ast.CallExpr, bool) {
	c, ok := x.(*ast.CallExpr)
	if !ok || len(c.Args) == 0 {
		return nil, false
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil, false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok || in.imports[id.Name] != "os/signal" {
		return nil, false
	}
	return c, sel.Sel.Name == "Notify" || sel.Sel.Name == "NotifyContext"
}

// exitCall reports whether x calls os.Exit (with one argument), log.Fatal*
// or log.Panic*, and which.
func (in *instrumenter) exitCall(x ast.Expr) (*ast.CallExpr, exitHow, bool) {
	c, ok := x.(*ast.CallExpr)
	if !ok {
		return nil, 0, false
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil, 0, false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return nil, 0, false
	}
	switch in.imports[id.Name] {
	case "os":
		return c, osExit, sel.Sel.Name == "Exit" && len(c.Args) == 1
	case "log":
		switch {
		case strings.HasPrefix(sel.Sel.Name, "Fatal"):
			return c, logFatal, true
		case strings.HasPrefix(sel.Sel.Name, "Panic"):
			return c, logPanic, true
		}
	}
	return nil, 0, false
}
