package rewrite

import (
	"bytes"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// spanhttpCases are files that do or do not import the runtime's spanhttp
// package once instrumented. imports lists the output's imports of the
// runtime module (name and path), in order; call is a statement the output
// must hold (in both layouts).
var spanhttpCases = []struct {
	name      string
	file      string
	src       string
	linksHTTP bool
	imports   []string
	call      string
}{
	{
		name: "handler",
		file: "srv.go",
		src: `package srv

import (
	"fmt"
	"net/http"
)

// Users is a handler: it starts a trace of its own.
func Users(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(w, "users")
}
`,
		imports: []string{"__spantree runtime", "__spanhttp runtime/spanhttp"},
		call:    "w, __sp := __spanhttp.StartHandler(__spantree.Span{}, w, r, &__spantree_fns_srv[0])",
	},
	{
		name: "handler literal inside a function",
		file: "mux.go",
		src: `package srv

import "net/http"

func Register(mux *http.ServeMux) {
	mux.HandleFunc("/a", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
}
`,
		imports: []string{"__spantree runtime", "__spanhttp runtime/spanhttp"},
		call:    "w, __sp := __spanhttp.StartHandler(__sp, w, nil, &__spantree_fns_mux[1])",
	},
	{
		name: "handler with net/http under another name",
		file: "renamed.go",
		src: `package srv

import nethttp "net/http"

func Health(w nethttp.ResponseWriter, req *nethttp.Request) {
	w.WriteHeader(nethttp.StatusOK)
	w.Write([]byte(req.URL.Path))
}
`,
		imports: []string{"__spantree runtime", "__spanhttp runtime/spanhttp"},
		call:    "w, __sp := __spanhttp.StartHandler(__spantree.Span{}, w, req, &__spantree_fns_renamed[0])",
	},
	{
		name: "client only",
		file: "client.go",
		src: `package client

import (
	"io"
	"net/http"
)

// Fetch uses net/http as a client: the file links propagation.
func Fetch(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
`,
		imports: []string{"__spantree runtime", "_ runtime/spanhttp"},
		call:    "__sp := __spantree.Start(&__spantree_fns_client[0])",
	},
	{
		name: "client only, LinksHTTP in a library",
		file: "client.go",
		src: `package client

import "net/http"

func Ping(c *http.Client, url string) error {
	_, err := c.Head(url)
	return err
}
`,
		linksHTTP: true,
		imports:   []string{"__spantree runtime", "_ runtime/spanhttp"},
	},
	{
		name: "main that links net/http",
		file: "main.go",
		src: `package main

import (
	"fmt"

	"example.com/api"
)

func main() {
	fmt.Println(api.Get("/users"))
}
`,
		linksHTTP: true,
		imports:   []string{"__spantree runtime", "_ runtime/spanhttp"},
		call:      "__sp := __spantree.Start(&__spantree_fns_main[0])",
	},
	{
		name: "main that links net/http, no imports",
		file: "main.go",
		src: `package main

func main() {
	println("hi")
	println("there")
}
`,
		linksHTTP: true,
		imports:   []string{"__spantree runtime", "_ runtime/spanhttp"},
	},
	{
		name: "main that does not link net/http",
		file: "main.go",
		src: `package main

import "fmt"

func main() {
	fmt.Println("no network")
}
`,
		imports: []string{"__spantree runtime"},
	},
	{
		name: "LinksHTTP, package main without func main",
		file: "util.go",
		src: `package main

import "fmt"

func report(s string) {
	fmt.Println(s)
	fmt.Println("done")
}
`,
		linksHTTP: true,
		imports:   []string{"__spantree runtime"},
	},
	{
		name: "LinksHTTP, library",
		file: "lib.go",
		src: `package lib

import "fmt"

func main() {
	fmt.Println("not a command")
}
`,
		linksHTTP: true,
		imports:   []string{"__spantree runtime"},
	},
	{
		name: "no net/http",
		file: "calc.go",
		src: `package calc

import "strconv"

func Parse(s string) (int, error) {
	return strconv.Atoi(s)
}
`,
		imports: []string{"__spantree runtime"},
	},
	{
		name: "net/http/httptest only",
		file: "x_test.go",
		src: `package x

import (
	"net/http/httptest"
	"testing"
)

func TestX(t *testing.T) {
	rec := httptest.NewRecorder()
	t.Log(rec.Code)
}
`,
		imports: []string{"__spantree runtime"},
	},
	{
		name: "client that imports spanhttp itself",
		file: "own.go",
		src: `package client

import (
	"net/http"

	_ "github.com/spantree/spantree/runtime/spanhttp"
)

func Get(url string) (*http.Response, error) {
	return http.Get(url)
}
`,
		imports: []string{"_ runtime/spanhttp", "__spantree runtime"},
	},
	{
		name: "client whose last import is spanhttp",
		file: "own.go",
		src: `package client

import "net/http"

import _ "github.com/spantree/spantree/runtime/spanhttp"

var C = http.DefaultClient

func Do(r *http.Request) (*http.Response, error) {
	return C.Do(r)
}
`,
		imports: []string{"_ runtime/spanhttp", "__spantree runtime"},
	},
	{
		name: "handler in a file that imports spanhttp itself",
		file: "own.go",
		src: `package srv

import (
	"net/http"

	"github.com/spantree/spantree/runtime/spanhttp"
)

var _ = spanhttp.Start

func H(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}
`,
		imports: []string{" runtime/spanhttp", "__spantree runtime", "__spanhttp runtime/spanhttp"},
		call:    "w, __sp := __spanhttp.StartHandler(__spantree.Span{}, w, r, &__spantree_fns_own[0])",
	},
}

// TestSpanhttpImport checks which files import spanhttp and how, in both
// layouts; the gofmt layout must also be idempotent and undo exactly, and
// with KeepLines every line keeps its number.
func TestSpanhttpImport(t *testing.T) {
	for _, tc := range spanhttpCases {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte(tc.src)
			for _, keep := range []bool{false, true} {
				opts := Options{LinksHTTP: tc.linksHTTP, KeepLines: keep}
				out, err := File(tc.file, src, opts)
				if err != nil {
					t.Fatalf("File(KeepLines: %v): %v", keep, err)
				}
				if diff := cmp.Diff(tc.imports, runtimeImports(t, out)); diff != "" {
					t.Errorf("File(KeepLines: %v) imports of the runtime module (-want +got):\n%s\n%s", keep, diff, out)
				}
				if tc.call != "" && !bytes.Contains(out, []byte(tc.call)) {
					t.Errorf("File(KeepLines: %v) has no %q:\n%s", keep, tc.call, out)
				}
				if keep {
					checkLinesKept(t, src, out)
				} else {
					checkInvariants(t, tc.file, src, out, opts)
				}
			}
		})
	}
}

// runtimeImports lists the imports of the runtime module in src as "name
// path", path relative to the runtime module.
func runtimeImports(t *testing.T, src []byte) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "out.go", src, parser.ImportsOnly)
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, src)
	}
	var got []string
	for _, is := range f.Imports {
		p, _ := strconv.Unquote(is.Path.Value)
		rel, ok := strings.CutPrefix(p, "github.com/spantree/spantree/")
		if !ok {
			continue
		}
		name := ""
		if is.Name != nil {
			name = is.Name.Name
		}
		got = append(got, name+" "+rel)
	}
	return got
}

// checkLinesKept checks that every line of src is still at its number in
// out, with text only inserted into it.
func checkLinesKept(t *testing.T, src, out []byte) {
	t.Helper()
	in := bytes.Split(src, nl)
	got := bytes.Split(out, nl)
	if len(got) < len(in) {
		t.Fatalf("KeepLines output has %d lines; input %d:\n%s", len(got), len(in), out)
	}
	for i, line := range in {
		o := tempsDecl.ReplaceAllString(string(got[i]), "return ")
		if !subsequence(string(line), o) {
			t.Errorf("KeepLines: line %d changed:\n in: %q\nout: %q", i+1, line, got[i])
		}
	}
}

// TestUndoSpanhttp undoes instrumentation whose imports were moved by hand
// or by goimports: Undo and File must both recognise it.
func TestUndoSpanhttp(t *testing.T) {
	const orig = `package srv

import (
	"net/http"
	"os"
)

func H(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte(os.Getenv("X")))
}
`
	for _, tc := range []struct {
		name, src string
	}{
		{
			name: "imports moved into the block",
			src: `package srv

import (
	"net/http"
	"os"

	__spanhttp "github.com/spantree/spantree/runtime/spanhttp"
	__spantree "github.com/spantree/spantree/runtime"
)

func H(w http.ResponseWriter, r *http.Request) {
	__sp := __spanhttp.Start(__spantree.Span{}, r, &__spantree_fns_srv[0])
	defer __sp.Done()
	w.Write([]byte(os.Getenv("X")))
}

var __spantree_fns_srv = [...]__spantree.Func{
	{Name: "srv.H", Loc: "srv.go:11", Kind: __spantree.KindHandler},
}
`,
		},
		{
			name: "blank import moved into the block",
			src: `package srv

import (
	"net/http"
	"os"

	__spantree "github.com/spantree/spantree/runtime"
	_ "github.com/spantree/spantree/runtime/spanhttp"
)

func H(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte(os.Getenv("X")))
}

var __spantree_fns_srv = [...]__spantree.Func{}
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Undo("srv.go", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(orig, string(got)); diff != "" {
				t.Errorf("Undo mismatch (-want +got):\n%s", diff)
			}
			want, err := File("srv.go", []byte(orig), Options{})
			if err != nil {
				t.Fatal(err)
			}
			again, err := File("srv.go", []byte(tc.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(again)); diff != "" {
				t.Errorf("File(instrumented) differs from File(original) (-want +got):\n%s", diff)
			}
		})
	}
}
