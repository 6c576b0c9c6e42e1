package rewrite

import (
	"bytes"
	"go/format"
	"strings"
	"testing"
)

// body is a function body the fold rule instruments (it loops).
const body = "{\n\tfor range 3 {\n\t\tprintln()\n\t}\n}\n"

// importPlaceCases are files whose runtime import goes after a line that
// gofmt treats specially: a package clause or last import with a trailing
// comment, which lets the next declaration follow without a blank line.
// (FuzzRewrite found the first: gofmt put a blank line after the inserted
// import, which moved the functions, and Undo kept it.)
var importPlaceCases = []struct {
	name      string
	src       string
	linksHTTP bool
	// gofmt says the case is gofmt-formatted, so the output must be too.
	gofmt bool
}{
	{name: "package line comment, func", gofmt: true, src: "package a //\nfunc F() " + body},
	{name: "package line comment with text, func", gofmt: true, src: "package a // Package a.\nfunc F() " + body},
	{name: "package block comment, func", gofmt: true, src: "package a /* c */\nfunc F() " + body},
	{name: "package block comment on two lines, func", gofmt: true, src: "package a /* c\nd */\nfunc F() " + body},
	{name: "package line comment, blank line", gofmt: true, src: "package a //\n\nfunc F() " + body},
	{name: "package line comment, doc comment", gofmt: true, src: "package a //\n// F loops.\nfunc F() " + body},
	{name: "package line comment, doc comment after blank line", gofmt: true, src: "package a //\n\n// F loops.\nfunc F() " + body},
	{name: "package line comment, free comment", gofmt: true, src: "package a //\n// free\n\nfunc F() " + body},
	{name: "package line comment, var", gofmt: true, src: "package a //\nvar V = 1\n\nfunc F() " + body},
	{name: "package line comment, type", gofmt: true, src: "package a //\ntype T int\n\nfunc (T) M() " + body},
	{name: "build constraint, package line comment, func", gofmt: true, src: "//go:build linux\n\npackage a //\nfunc F() " + body},
	{name: "build constraint, package doc, package block comment", gofmt: true, src: "//go:build linux\n\n// Package a.\npackage a /* c */\nfunc F() " + body},
	{name: "package line comment, import", gofmt: true, src: "package a //\nimport \"os\"\n\nfunc F() " + body + "\nvar _ = os.Args\n"},
	{name: "import line comment, func", gofmt: true, src: "package a\n\nimport \"os\" //\nfunc F() " + body + "\nvar _ = os.Args\n"},
	{name: "import block comment, func", gofmt: true, src: "package a\n\nimport \"os\" /* c */\nfunc F() " + body + "\nvar _ = os.Args\n"},
	{name: "import block line comment, func", gofmt: true, src: "package a\n\nimport (\n\t\"os\"\n) //\nfunc F() " + body + "\nvar _ = os.Args\n"},
	{name: "import line comment, doc comment", gofmt: true, src: "package a\n\nimport \"os\" //\n// F loops.\nfunc F() " + body + "\nvar _ = os.Args\n"},
	{name: "import line comment, blank line", gofmt: true, src: "package a\n\nimport \"os\" //\n\nfunc F() " + body + "\nvar _ = os.Args\n"},
	{
		name: "net/http: two imports after a package line comment", gofmt: true,
		src: "package a //\n\nimport \"net/http\" //\nfunc H(w http.ResponseWriter, r *http.Request) " + body,
	},
	{
		name: "net/http: two imports after an import line comment", gofmt: true,
		src: "package a\n\nimport \"net/http\" //\nfunc C() " + body + "\nvar _ = http.Get\n",
	},
	{
		name: "LinksHTTP main: two imports after a package line comment", gofmt: true, linksHTTP: true,
		src: "package main //\nfunc main() " + body,
	},
	{name: "package and var comments aligned", gofmt: true, src: "package a        //\nvar Vxxxxxxx = 1 //\n\nfunc F() " + body},
	{name: "import and var comments aligned", gofmt: true, src: "package a\n\nimport \"os\"        //\nvar Vxxxxxxxxx = 1 //\n\nfunc F() " + body + "\nvar _ = os.Args\n"},
	{
		name: "net/http: two imports, import and var comments aligned", gofmt: true,
		src: "package a\n\nimport \"net/http\"              //\nvar Vxxxxxxxxxxxxxx = http.Get //\n\nfunc H(w http.ResponseWriter, r *http.Request) " + body,
	},
	{name: "not gofmt: package and var comments not aligned", src: "package a //\nvar Vxxxxxxx = 1 //\n\nfunc F() " + body},
	{name: "not gofmt: package, func", src: "package a\nfunc F() " + body},
	{name: "not gofmt: package line comment, func, no final newline", src: "package a //\nfunc F() " + strings.TrimSuffix(body, "\n")},
	{name: "not gofmt: import, func", src: "package a\nimport \"os\"\nfunc F() " + body + "var _ = os.Args\n"},
	{name: "not gofmt: package line comment, blank lines", src: "package a //\n\n\n\nfunc F() " + body},
}

// TestImportPlacement instruments the cases in both layouts: the gofmt
// layout must be idempotent, undo exactly, and stay gofmt-formatted when the
// input is; with KeepLines every line keeps its number.
func TestImportPlacement(t *testing.T) {
	for _, tc := range importPlaceCases {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte(tc.src)
			if f, err := format.Source(src); err != nil || bytes.Equal(f, src) != tc.gofmt {
				t.Fatalf("case is gofmt-formatted = %v, want %v (err %v):\n%s", !tc.gofmt, tc.gofmt, err, f)
			}
			for _, keep := range []bool{false, true} {
				opts := Options{LinksHTTP: tc.linksHTTP, KeepLines: keep}
				out, err := File("a.go", src, opts)
				if err != nil {
					t.Fatalf("File(KeepLines: %v): %v", keep, err)
				}
				if !bytes.Contains(out, []byte("__sp := ")) {
					t.Fatalf("File(KeepLines: %v) instrumented nothing:\n%s", keep, out)
				}
				if keep {
					checkLinesKept(t, src, out)
					continue
				}
				if tc.gofmt {
					checkInvariants(t, "a.go", src, out, opts)
				} else {
					checkUndoable(t, "a.go", src, out, opts)
				}
			}
		})
	}
}
