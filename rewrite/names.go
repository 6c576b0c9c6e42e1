package rewrite

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"
)

// nameKids sets the names of f's kids (and theirs).
func (in *instrumenter) nameKids(f *fn) {
	count := map[string]int{}
	for _, k := range f.kids {
		if k.decl == nil {
			count[k.sep+k.base]++
		}
	}
	seen := map[string]int{}
	for _, k := range f.kids {
		switch {
		case k.decl != nil:
			k.name = in.declName(k.decl)
			in.declKind(k)
		default:
			key := k.sep + k.base
			seen[key]++
			base := k.base
			if k.number || count[key] > 1 {
				base += "#" + strconv.Itoa(seen[key])
			}
			k.name = f.name + k.sep + base
		}
		if k.nameSet != "" {
			k.name = k.nameSet
		}
		in.nameKids(k)
	}
}

func (in *instrumenter) declName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return in.pkg + "." + d.Name.Name
	}
	t := d.Recv.List[0].Type
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = true, s.X
	}
	generic := false
	switch x := t.(type) {
	case *ast.IndexExpr:
		t, generic = x.X, true
	case *ast.IndexListExpr:
		t, generic = x.X, true
	}
	recv := "?"
	if id, ok := t.(*ast.Ident); ok {
		recv = id.Name
	}
	if generic {
		recv += "[...]"
	}
	if star {
		recv = "(*" + recv + ")"
	}
	return in.pkg + "." + recv + "." + d.Name.Name
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
				k.deferred = true
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
			k.sep, k.kind = "/", kindTest
			k.base = "*"
			if s, ok := stringLit(p.Args[0]); ok {
				k.base = testName(s)
			} else if ps := params(lit.Type); ps[0].name != "" && ps[0].name != "_" {
				// Named at run time, as the testing package names it
				// (t.Run(tc.name, ...) in a table-driven test).
				k.rename = ps[0].name
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
