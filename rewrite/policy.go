package rewrite

import (
	"go/ast"
	"slices"
)

// wanted reports whether f itself gets a span.
func (in *instrumenter) wanted(f *fn) bool {
	if f.body == nil {
		return false
	}
	if d := f.decl; d != nil && d.Recv == nil {
		if d.Name.Name == "init" && !in.opts.Init {
			return false
		}
		if d.Name.Name == "TestMain" && in.test {
			return false
		}
	}
	if in.oneline(f.body) && !in.opts.KeepLines {
		if f.noExpand || in.hasComments(f.body.Lbrace, f.body.Rbrace) {
			return false // cannot be put back on one line exactly
		}
		if in.hasComments(f.body.Rbrace, in.nextLine(f.body.Rbrace)) {
			return false // gofmt aligns the trailing comment with its neighbours'
		}
	}
	if f.forced || in.opts.Tiny || f.kind != kindPlain || in.isHandler(f.typ) || len(f.recovers) > 0 || len(f.signals) > 0 {
		// A deferred literal that recovers records the panic it stops; a
		// function that handles signals tells the runtime so.
		return true
	}
	if d := f.decl; d != nil && d.Recv != nil {
		switch d.Name.Name {
		case "String", "Error", "GoString", "Format", "Len", "Less", "Swap":
			return false
		}
	}
	if in.failing(f) {
		return true // errors are the point: a function that returns one gets a span
	}
	return !in.pkgTiny.tiny(f)
}

// failing reports whether f returns an error that may not be nil: the tiny
// rule never applies to it.
func (in *instrumenter) failing(f *fn) bool {
	name, wrap := in.errorResult(f.typ)
	if name == "" && !wrap {
		return false
	}
	return !f.onlyNilErrors(countFields(f.typ.Results)) || name != "" && mentions(f.body, name)
}

// onlyNilErrors reports whether every return statement of f, a function
// with n results the last of which is an error, returns a literal nil error
// (no bare return): unless its body assigns a named error result (see
// mentions), it cannot fail (an io.Writer that never does, such as a hash's
// Write), so its error result is no reason for a span.
func (f *fn) onlyNilErrors(n int) bool {
	for _, r := range f.returns {
		if len(r.Results) != n {
			return false // return g(): whatever g returns
		}
		if id, ok := r.Results[n-1].(*ast.Ident); !ok || id.Name != "nil" {
			return false
		}
	}
	return true
}

// mentions reports whether the identifier name appears in body, function
// literals included.
func mentions(body *ast.BlockStmt, name string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == name {
			found = true
		}
		return !found
	})
	return found
}

// The budgets of the tiny rule, in syntax nodes of the body (fn.nodes, which
// counts every node ast.Inspect visits, literals apart).
const (
	// leafBudget bounds a leaf function (no calls). The compiler's inliner
	// gives a function 80 nodes of its own IR; ast nodes are close enough
	// that a leaf within 80 is one the compiler inlines anyway, and a span
	// would cost several times its body.
	leafBudget = 80
	// wrapperBudget bounds a wrapper (one statement making one call of
	// this package): half the leaf budget keeps it to a forwarding call
	// with a few argument expressions (`return l.less(a[i], b[j])`), and
	// leaves out one-statement bodies that compute much around the call.
	wrapperBudget = 40
	// straightBudget bounds the longest path through a leaf of more than
	// leafBudget nodes (see pathNodes): straight-line code, no loops and
	// no calls but tiny ones, runs each node of that path once at most,
	// so 160 nodes (a few tens of nanoseconds) is still less than a span
	// would cost. It takes in the bodies the inliner refuses only for
	// their breadth: a composite literal of twenty byte conversions, an
	// iterator's Next whose switch decodes one record of several kinds.
	straightBudget = 2 * leafBudget
)

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
	"unsafe": true, // unsafe.Pointer(p), unsafe.String(b, n): compiled to conversions
}

// stdCallbacks are the functions of standard packages that call a function
// argument per item, synchronously: a comparison, a probe, a predicate or
// a mapping. Such a literal is part of the algorithm its caller runs, not
// a step of its own (see packageFacts.tiny).
var stdCallbacks = map[string]map[string]bool{
	"sort": set("Search", "Find", "Slice", "SliceStable", "SliceIsSorted"),
	"slices": set("BinarySearchFunc", "CompactFunc", "CompareFunc", "ContainsFunc", "DeleteFunc",
		"EqualFunc", "IndexFunc", "IsSortedFunc", "MaxFunc", "MinFunc", "SortFunc", "SortStableFunc"),
	"strings": set("ContainsFunc", "FieldsFunc", "IndexFunc", "LastIndexFunc", "Map",
		"TrimFunc", "TrimLeftFunc", "TrimRightFunc"),
	"bytes": set("ContainsFunc", "FieldsFunc", "IndexFunc", "LastIndexFunc", "Map",
		"TrimFunc", "TrimLeftFunc", "TrimRightFunc"),
	"maps": set("DeleteFunc", "EqualFunc"),
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// isStdCallback reports whether lit, whose ancestors are stack, is an
// argument of a call of one of stdCallbacks (sort.Search(n, func(i int)
// bool { ... })).
func (in *instrumenter) isStdCallback(stack []ast.Node, lit *ast.FuncLit) bool {
	if len(stack) == 0 {
		return false
	}
	c, ok := stack[len(stack)-1].(*ast.CallExpr)
	if !ok || !slices.Contains(c.Args, ast.Expr(lit)) {
		return false
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && stdCallbacks[in.imports[id.Name]][sel.Sel.Name]
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

// testFailures are the methods of testing.TB that report a failed (or
// skipped) test, and Helper: in a test file, a call of one of them on a
// variable (b.Fatalf("mismatch: %v", got)) is no reason for a span. It runs
// once, when the test fails, and a callback that checks each item of a
// benchmark's loop stays as cheap as its body. The value is whether the
// method takes arguments (err.Error() is no test failure).
var testFailures = map[string]bool{
	"Error": true, "Errorf": true, "Fatal": true, "Fatalf": true, "Skip": true, "Skipf": true,
	"Fail": false, "FailNow": false, "SkipNow": false, "Helper": false,
}

// isTestFailure reports whether c, in a test file, calls one of
// testFailures on a variable (t.Fatalf(...)).
func (in *instrumenter) isTestFailure(c *ast.CallExpr) bool {
	if !in.test {
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
	if _, imported := in.imports[id.Name]; imported {
		return false
	}
	args, ok := testFailures[sel.Sel.Name]
	return ok && args == (len(c.Args) > 0)
}
