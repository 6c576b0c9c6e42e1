package benchmarks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"strconv"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
)

// TestDescriptors checks that every hand-written descriptor says what spangen
// would: the name of the function that uses it and the line it is declared
// on, so that the benchmarks stay faithful to generated code as they change.
func TestDescriptors(t *testing.T) {
	var all []*spantree.Func
	for i := range fns {
		all = append(all, &fns[i])
	}
	for i := range memFns {
		all = append(all, &memFns[i])
	}
	decls := map[string]string{} // "benchmarks.name" -> "benchmarks/file.go:LINE"
	fset := token.NewFileSet()
	for _, file := range []string{"spantree_test.go", "memory_test.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", file, err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				line := fset.Position(fd.Pos()).Line
				decls["benchmarks."+fd.Name.Name] = path.Join("benchmarks", file) + ":" + strconv.Itoa(line)
			}
		}
	}
	for _, fn := range all {
		want, ok := decls[fn.Name]
		if !ok {
			t.Errorf("descriptor %q names no function of spantree_test.go or memory_test.go", fn.Name)
			continue
		}
		if fn.Loc != want {
			t.Errorf("descriptor %q: Loc = %q; want %q", fn.Name, fn.Loc, want)
		}
	}
}
