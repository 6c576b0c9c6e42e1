package rewrite

import (
	"go/ast"
	"go/token"
	"strconv"
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
	kind   string // "", "KindMain", "KindTest", "KindHandler", "KindNoFold"

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
	exits       []exitStmt // os.Exit / log.Fatal* statements of this function

	// facts for the tiny rule
	calls, loops, stmts int
	nodes               int // syntax nodes in the body, literals apart: a stand-in for the inliner's budget
	callsOut            int // calls of other packages' functions (pkg.F(...))
}

// exitStmt is a statement calling os.Exit, log.Fatal* or log.Panic*.
type exitStmt struct {
	stmt ast.Stmt
}

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
		r.kind, r.forced = "KindNoFold", true
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
				r.kind, r.forced = "KindNoFold", true
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
			k := &fn{lit: n, typ: n.Type, body: n.Body, parent: cur, noExpand: in.aligned(stack)}
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
			if in.isExitCall(n.X) {
				cur.exits = append(cur.exits, exitStmt{stmt: n})
			}
		case *ast.CallExpr:
			if !in.isBuiltinOrConversion(n) && !in.isPureCall(n) {
				cur.calls++
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok {
						if _, imported := in.imports[id.Name]; imported {
							cur.callsOut++
						}
					}
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
		if _, ok := n.(ast.Stmt); ok {
			if _, block := n.(*ast.BlockStmt); !block {
				cur.stmts++
			}
		}
		cur.nodes++
		stack = append(stack, n)
		return true
	})
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

var builtins = map[string]bool{
	"append": true, "cap": true, "clear": true, "complex": true, "copy": true, "delete": true,
	"imag": true, "len": true, "make": true, "max": true, "min": true, "new": true, "panic": true,
	"print": true, "println": true, "real": true,
	// conversions to predeclared types
	"bool": true, "byte": true, "complex64": true, "complex128": true, "error": true,
	"float32": true, "float64": true, "int": true, "int8": true, "int16": true, "int32": true,
	"int64": true, "rune": true, "string": true, "uint": true, "uint8": true, "uint16": true,
	"uint32": true, "uint64": true, "uintptr": true, "any": true,
}

func (in *instrumenter) isBuiltinOrConversion(c *ast.CallExpr) bool {
	switch f := ast.Unparen(c.Fun).(type) {
	case *ast.Ident:
		return builtins[f.Name]
	case *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.InterfaceType, *ast.StructType:
		return true
	case *ast.StarExpr:
		return true // (*T)(x)
	}
	return false
}

// isExitCall reports whether x calls os.Exit, log.Fatal* or log.Panic*.
func (in *instrumenter) isExitCall(x ast.Expr) bool {
	c, ok := x.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	switch in.imports[id.Name] {
	case "os":
		return sel.Sel.Name == "Exit"
	case "log":
		return strings.HasPrefix(sel.Sel.Name, "Fatal") || strings.HasPrefix(sel.Sel.Name, "Panic")
	}
	return false
}

// nameLit sets the context name of literal k from the nodes above it.
func (in *instrumenter) nameLit(k *fn, lit *ast.FuncLit, stack []ast.Node) {
	k.sep, k.base = ".", "func"
	k.number = true
	if len(stack) == 0 {
		return
	}
	parent := stack[len(stack)-1]
	var grand ast.Node
	if len(stack) > 1 {
		grand = stack[len(stack)-2]
	}
	switch p := parent.(type) {
	case *ast.CallExpr:
		if ast.Unparen(p.Fun) == lit {
			switch grand.(type) {
			case *ast.GoStmt:
				k.base = "go"
			case *ast.DeferStmt:
				k.base, k.number = "defer", false
			}
			return
		}
		callee, recv := in.callee(p.Fun)
		if callee == "" {
			return
		}
		k.number = false
		k.base = callee
		if callee == "Go" || callee == "TryGo" {
			k.number = true
		}
		if callee == "Run" && recv && len(p.Args) == 2 && p.Args[1] == lit && in.isTestingParam(lit.Type) {
			k.sep, k.kind = "/", "KindTest"
			k.base = "*"
			if s, ok := stringLit(p.Args[0]); ok {
				k.base = testName(s)
			}
			return
		}
		if len(p.Args) > 1 && p.Args[0] != lit {
			if s, ok := stringLit(p.Args[0]); ok {
				k.base += "(" + oneLine(s) + ")"
			}
		}
	case *ast.KeyValueExpr:
		if id, ok := p.Key.(*ast.Ident); ok && p.Value == lit {
			k.base, k.number = id.Name, false
		}
	case *ast.AssignStmt:
		for i, r := range p.Rhs {
			if r == lit && i < len(p.Lhs) && len(p.Lhs) == len(p.Rhs) {
				if name := exprName(p.Lhs[i]); name != "" && name != "_" {
					k.base, k.number = name, false
				}
			}
		}
	case *ast.ValueSpec:
		for i, v := range p.Values {
			if v == lit && i < len(p.Names) && p.Names[i].Name != "_" {
				k.base, k.number = p.Names[i].Name, false
			}
		}
	}
}

// callee names the function a call goes to: Sel for x.Sel (recv true), pkg.Sel
// for an imported package's function, the name of a plain identifier.
func (in *instrumenter) callee(fun ast.Expr) (name string, recv bool) {
	fun = ast.Unparen(fun)
	switch f := fun.(type) {
	case *ast.IndexExpr:
		return in.callee(f.X)
	case *ast.IndexListExpr:
		return in.callee(f.X)
	case *ast.Ident:
		return f.Name, false
	case *ast.SelectorExpr:
		if id, ok := f.X.(*ast.Ident); ok {
			if _, imported := in.imports[id.Name]; imported {
				return id.Name + "." + f.Sel.Name, false
			}
		}
		return f.Sel.Name, true
	}
	return "", false
}

func exprName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + "..."
	}
	return s
}

// testName rewrites a subtest name as the testing package does, so that the
// span is named as `go test -run` matches it: spaces become underscores and
// unprintable runes are escaped.
func testName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case isSpace(r):
			b.WriteByte('_')
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isSpace is the testing package's list of space runes.
func isSpace(r rune) bool {
	if r < 0x2000 {
		switch r {
		case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680:
			return true
		}
		return false
	}
	if r <= 0x200a {
		return true
	}
	switch r {
	case 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return false
}

// isTestingParam reports whether the first parameter of t is *testing.T, B or F.
func (in *instrumenter) isTestingParam(t *ast.FuncType) bool {
	if t.Params == nil || len(t.Params.List) == 0 {
		return false
	}
	return in.isTestingPtr(t.Params.List[0].Type)
}

func (in *instrumenter) isTestingPtr(e ast.Expr) bool {
	star, ok := e.(*ast.StarExpr)
	if !ok {
		return false
	}
	return in.isPkgType(star.X, "testing", "T", "B", "F")
}

// isPkgType reports whether e is path.Name for one of names.
func (in *instrumenter) isPkgType(e ast.Expr, path string, names ...string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok || in.imports[id.Name] != path {
		return false
	}
	for _, n := range names {
		if sel.Sel.Name == n {
			return true
		}
	}
	return false
}

// purePackages are standard packages whose functions compute and return:
// no I/O, no waiting, no callbacks into the program (those come as function
// literals, which a tiny function cannot have). A call of one is no reason
// for a span of its own: `func Compare(a, b ID) int { return
// bytes.Compare(a[:], b[:]) }` is as tiny as its body.
var purePackages = map[string]bool{
	"bytes": true, "cmp": true, "encoding/binary": true, "encoding/hex": true,
	"errors": true, "maps": true, "math": true, "math/bits": true,
	"slices": true, "strconv": true, "strings": true, "sync/atomic": true,
	"unicode": true, "unicode/utf16": true, "unicode/utf8": true,
}

// isPureCall reports whether c calls a function of one of purePackages,
// or a method of one of their variables (pkg.F(...),
// binary.LittleEndian.Uint64(...)), through the file's import of pkg.
func (in *instrumenter) isPureCall(c *ast.CallExpr) bool {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x := sel.X
	if inner, ok := x.(*ast.SelectorExpr); ok {
		x = inner.X
	}
	id, ok := x.(*ast.Ident)
	return ok && purePackages[in.imports[id.Name]]
}
