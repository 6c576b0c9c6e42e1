package rewrite

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// With KeepLines every line of the input stays at its line number (the
// toolexec mode compiles the output with the original positions), the output
// parses, and the table comes after the last line.
func TestKeepLines(t *testing.T) {
	names, _ := filepath.Glob("../testdata/rewrite/*.go")
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			out, err := File(name, src, Options{Dir: "testdata/rewrite", KeepLines: true, Tiny: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parser.ParseFile(token.NewFileSet(), name, out, parser.ParseComments); err != nil {
				t.Fatalf("output does not parse: %v\n%s", err, out)
			}
			in := bytes.Split(src, []byte("\n"))
			got := bytes.Split(out, []byte("\n"))
			if len(got) < len(in) {
				t.Fatalf("output has %d lines; input %d", len(got), len(in))
			}
			for i, line := range in {
				// Each input line is a prefix-preserving subsequence of its
				// output line: text is only inserted.
				// (A `return f()` of several values becomes `__r0, __r1 :=
				// f(); return ...`: the "return" moves to the right.)
				o := tempsDecl.ReplaceAllString(string(got[i]), "return ")
				if !subsequence(string(line), o) {
					t.Errorf("line %d changed:\n in: %q\nout: %q", i+1, line, got[i])
				}
			}
			// Locations name the original lines.
			for _, l := range got[len(in)-1:] {
				if i := strings.Index(string(l), `Loc: "`); i >= 0 {
					loc := string(l[i+6:])
					loc = loc[:strings.IndexByte(loc, '"')]
					n := 0
					for _, c := range loc[strings.LastIndexByte(loc, ':')+1:] {
						n = n*10 + int(c-'0')
					}
					if n < 1 || n > len(in) || !bytes.Contains(in[n-1], []byte("func")) {
						t.Errorf("location %s does not name a line with a function", loc)
					}
				}
			}
		})
	}
}

var tempsDecl = regexp.MustCompile(`(__r\d+, )+__r\d+ := `)

func subsequence(a, b string) bool {
	j := 0
	for i := 0; i < len(b) && j < len(a); i++ {
		if a[j] == b[i] {
			j++
		}
	}
	return j == len(a)
}
