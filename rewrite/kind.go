package rewrite

import (
	"go/ast"
	"strings"
)

// kind is how the runtime treats a function's span, as the Kind field of
// its descriptor says.
type kind int

const (
	kindPlain   kind = iota // no Kind field: folded when fast and repeated
	kindMain                // func main: flushes the sinks at its end
	kindTest                // TestX, BenchmarkX, FuzzX and subtests: flushed at their end
	kindHandler             // an HTTP handler: a server span
	kindNoFold              // //spangen:nofold: never folded
)

// runtimeName is the name of the runtime's constant for k.
func (k kind) runtimeName() string {
	switch k {
	case kindMain:
		return "KindMain"
	case kindTest:
		return "KindTest"
	case kindHandler:
		return "KindHandler"
	case kindNoFold:
		return "KindNoFold"
	}
	return ""
}

func (in *instrumenter) declKind(f *fn) {
	d := f.decl
	name := d.Name.Name
	switch {
	case d.Recv == nil && name == "main" && in.pkg == "main":
		f.kind = kindMain
	case d.Recv == nil && in.test && isTestFunc(name) && len(d.Type.Params.List) == 1 &&
		in.isTestingPtr(d.Type.Params.List[0].Type):
		f.kind = kindTest
	case d.Recv == nil && in.test && isTestName(name, "Example") && len(d.Type.Params.List) == 0 &&
		(d.Type.Results == nil || len(d.Type.Results.List) == 0):
		// An example is a test function too: flushed at its end, so the
		// last example's trace is out before the test binary exits.
		f.kind = kindTest
	case in.isHandler(d.Type):
		f.kind = kindHandler
	}
}

// isTestFunc reports whether name is that of a test, benchmark or fuzz
// function (whose parameter the caller checks).
func isTestFunc(name string) bool {
	return isTestName(name, "Test") || isTestName(name, "Benchmark") || isTestName(name, "Fuzz")
}

// isTestName reports whether name is prefix followed by nothing or by
// anything but a lower-case letter, as go test reads the names of test
// functions: TestX, Test_x, Test, but not Testx.
func isTestName(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && (rest == "" || !(rest[0] >= 'a' && rest[0] <= 'z'))
}

// isHandler reports whether t is func(http.ResponseWriter, *http.Request).
func (in *instrumenter) isHandler(t *ast.FuncType) bool {
	ps := params(t)
	if len(ps) != 2 || (t.Results != nil && len(t.Results.List) > 0) {
		return false
	}
	star, ok := ps[1].typ.(*ast.StarExpr)
	return ok && in.isPkgType(ps[0].typ, "net/http", "ResponseWriter") && in.isPkgType(star.X, "net/http", "Request")
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
