package rewrite

import (
	"bytes"
	"flag"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the .golden files")

const fixtures = "../testdata/rewrite"

// locRE matches the line number of a location in a descriptor table.
var locRE = regexp.MustCompile(`Loc: "[^"]*:([0-9]+)"`)

// TestGolden instruments every fixture and compares it with its golden file;
// each output must also be gofmt-clean, idempotent and exactly undoable.
func TestGolden(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(fixtures, "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures in %s: %v", fixtures, err)
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			// A fixture whose header says "(spangen -tiny)" is rewritten
			// with Options.Tiny, to show names on bodies the tiny rule
			// would leave alone.
			opts := Options{Dir: "testdata/rewrite", Tiny: bytes.Contains(header(src), []byte("(spangen -tiny"))}
			got, err := File(name, src, opts)
			if err != nil {
				t.Fatalf("File: %v", err)
			}
			golden.Check(t, name+".golden", string(got), *update)
			checkInvariants(t, name, src, got, opts)
		})
	}
}

// header is the text before the package clause.
func header(b []byte) []byte {
	if i := bytes.Index(b, []byte("\npackage ")); i >= 0 {
		return b[:i]
	}
	return nil
}

// checkInvariants checks what every rewrite of gofmt-formatted src must
// satisfy.
func checkInvariants(t *testing.T, name string, src, out []byte, opts Options) {
	t.Helper()
	if _, err := parser.ParseFile(token.NewFileSet(), name, out, parser.ParseComments); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	if f, err := format.Source(out); err != nil || !bytes.Equal(f, out) {
		t.Errorf("output is not gofmt-clean:\n%s", cmp.Diff(string(f), string(out)))
	}
	checkUndoable(t, name, src, out, opts)
}

// checkUndoable checks what every rewrite of src must satisfy, gofmt-formatted
// or not: the output parses, its locations name lines of functions, a second
// pass changes nothing and Undo gives back src.
func checkUndoable(t *testing.T, name string, src, out []byte, opts Options) {
	t.Helper()
	if _, err := parser.ParseFile(token.NewFileSet(), name, out, parser.ParseComments); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	lines := bytes.Split(out, nl)
	for _, m := range locRE.FindAllSubmatch(out, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		if n < 1 || n > len(lines) || !bytes.Contains(lines[n-1], []byte("func")) {
			t.Errorf("location %s does not name a line of the output with a function:\n%s", m[0], out)
		}
	}
	again, err := File(name, out, opts)
	if err != nil {
		t.Fatalf("second File: %v", err)
	}
	if diff := cmp.Diff(string(out), string(again)); diff != "" {
		t.Errorf("second pass changed the output (-first +second):\n%s", diff)
	}
	back, err := Undo(name, out)
	if err != nil {
		t.Fatalf("Undo: %v", err)
	}
	if diff := cmp.Diff(string(src), string(back)); diff != "" {
		t.Errorf("Undo did not restore the input (-input +undone):\n%s", diff)
	}
}

func TestParseError(t *testing.T) {
	_, err := File("bad.go", []byte("package p\n\nfunc f() {\n"), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "bad.go:3:12: ") {
		t.Errorf("File(bad source) error = %v; want one starting with bad.go:3:12:", err)
	}
}

// TestForeignInstrumentation: instrumentation that spangen did not write
// (by hand, or shapes no published spangen wrote: a table named
// __spantree_fns, deferred End closures, __spantree.StartRequest) is an
// error naming the file and line of the first name spangen cannot take out,
// for File and Undo alike, never a file with two runtime imports.
func TestForeignInstrumentation(t *testing.T) {
	for _, tc := range []struct {
		name, src, wantErr string
	}{
		{
			name: "table named __spantree_fns and End closure",
			src: `package p

import (
	"fmt"

	__spantree "github.com/spantree/spantree/runtime"
)

var __spantree_fns = [...]__spantree.Func{
	{Name: "p.F", Loc: "f.go:11"},
}

func F() {
	__sp := __spantree.Start(&__spantree_fns[0])
	defer func() { __sp.End(recover()) }()
	fmt.Println()
}
`,
			wantErr: "f.go:9:27: ",
		},
		{
			name: "StartRequest of the core runtime",
			src: `package p

import (
	"net/http"
)

import __spantree "github.com/spantree/spantree/runtime"

func H(w http.ResponseWriter, r *http.Request) {
	__sp := __spantree.StartRequest(__spantree.Span{}, r, &__spantree_fns_f[0])
	defer __sp.Done()
}

var __spantree_fns_f = [...]__spantree.Func{
	{Name: "p.H", Loc: "f.go:9", Kind: __spantree.KindHandler},
}
`,
			wantErr: "f.go:10:10: ",
		},
		{
			name: "import written by hand",
			src: `package p

import __spanhttp "github.com/spantree/spantree/runtime/spanhttp"

var _ = __spanhttp.Start
`,
			wantErr: "f.go:5:9: ",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := File("f.go", []byte(tc.src), Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("File = %v\n%s\nwant an error starting with %s", err, out, tc.wantErr)
			}
			out, err = Undo("f.go", []byte(tc.src))
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("Undo = %v\n%s\nwant an error starting with %s", err, out, tc.wantErr)
			}
		})
	}
}

func TestTestName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"case a", "case_a"},
		{"tab\there", "tab_here"},
		{"nbsp\u00a0x", "nbsp_x"},
		{"bell\a", `bell\a`},
		{"ünïcode", "ünïcode"},
	} {
		if got := testName(tc.in); got != tc.want {
			t.Errorf("testName(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestTableName(t *testing.T) {
	a, b := tableName("dir/a-b.go"), tableName("a_b.go")
	if a == b {
		t.Errorf("tableName(a-b.go) = tableName(a_b.go) = %q; want different names", a)
	}
	if got := tableName("x/main_test.go"); got != "__spantree_fns_main_test" {
		t.Errorf("tableName(main_test.go) = %q", got)
	}
}

// FuzzRewrite checks, on any source gofmt accepts, that the output parses,
// is gofmt-formatted, a second pass changes nothing and Undo gives back the
// input; and that with KeepLines every line keeps its number.
func FuzzRewrite(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join(fixtures, "*.go"))
	more, _ := filepath.Glob(filepath.Join(constructs, "*.go"))
	for _, name := range append(names, more...) {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if bytes.Contains(in, []byte("__")) {
			t.Skip("identifiers of the generated code's own namespace")
		}
		src, err := format.Source(in)
		if err != nil {
			t.Skip()
		}
		if again, err := format.Source(src); err != nil || !bytes.Equal(again, src) {
			// gofmt is not idempotent here (" //\npackage p": it keeps the
			// empty doc comment once, then drops it), so src is not
			// gofmt-formatted and nothing can be asked of the layout.
			t.Skip("gofmt changes its own output")
		}
		if _, err := parser.ParseFile(token.NewFileSet(), "f.go", src, parser.PackageClauseOnly); err != nil {
			t.Skip() // a fragment, not a file
		}
		out, err := File("f.go", src, Options{Dir: "testdata/rewrite"})
		if err != nil {
			t.Fatalf("File: %v", err)
		}
		checkInvariants(t, "f.go", src, out, Options{Dir: "testdata/rewrite"})
		kept, err := File("f.go", src, Options{Dir: "testdata/rewrite", KeepLines: true})
		if err != nil {
			t.Fatalf("File(KeepLines): %v", err)
		}
		checkLinesKept(t, src, kept)
	})
}

// TestUndoEarlierShape: files written by the previous release, whose
// deferred end is not behind __sp.Live(), are still taken back to the
// original by Undo, and File brings them to the current shape.
func TestUndoEarlierShape(t *testing.T) {
	const orig = `package p

import "fmt"

func F() error {
	fmt.Println()
	return nil
}

func G() (err error) {
	return fmt.Errorf("g")
}
`
	const earlier = `package p

import "fmt"

import __spantree "github.com/spantree/spantree/runtime"

func F() error {
	__sp := __spantree.Start(&__spantree_fns_f[0])
	defer __sp.Done()
	fmt.Println()
	return nil
}

func G() (err error) {
	__sp := __spantree.Start(&__spantree_fns_f[1])
	defer __sp.DoneErr(&err)
	return fmt.Errorf("g")
}

var __spantree_fns_f = [...]__spantree.Func{
	{Name: "p.F", Loc: "f.go:7"},
	{Name: "p.G", Loc: "f.go:14"},
}
`
	back, err := Undo("f.go", []byte(earlier))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(orig, string(back)); diff != "" {
		t.Errorf("Undo(earlier shape) (-want +got):\n%s", diff)
	}
	again, err := File("f.go", []byte(earlier), Options{Tiny: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := File("f.go", []byte(orig), Options{Tiny: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(again)); diff != "" {
		t.Errorf("File(earlier shape) differs from File(original) (-want +got):\n%s", diff)
	}
}
