package rewrite

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// RuntimePath is the import path of the runtime that instrumented code calls.
const RuntimePath = "github.com/spantree/spantree/runtime"

// ImportName is the name generated code imports the runtime under: the
// runtime's package is called spantree, and it sits next to the standard
// runtime package, so it gets a name no hand-written code uses.
const ImportName = "__spantree"

// HTTPPath is the import path of the runtime's net/http support: handler
// spans (spanhttp.Start), and, installed by importing it, W3C traceparent
// propagation on net/http clients and the http(s):// and otlp+http(s)://
// sinks. The core runtime does not import net/http, so that a program that
// never uses it does not link it (measured: instrumenting a CLI made clean
// builds 1.9x and binaries 2.5x as large).
const HTTPPath = RuntimePath + "/spanhttp"

// HTTPImportName is the name generated code imports [HTTPPath] under in a
// file whose handlers call it; other files that need it import it blank.
const HTTPImportName = "__spanhttp"

// Options configure a rewrite. The zero value instruments a file with the
// package name from its package clause and locations relative to its own
// directory.
type Options struct {
	// Package is the package name that span names start with. Empty means the
	// name in the file's package clause.
	Package string
	// Dir is the slash-separated directory of the file relative to its
	// module's root ("" for the root); locations are Dir/file.go:LINE.
	Dir string
	// Init instruments init functions too.
	Init bool
	// Tiny instruments the tiny functions the fold rule leaves alone (see the
	// package documentation).
	Tiny bool
	// KeepLines keeps every line of the file at its line number, for
	// compile-time instrumentation (spangen toolexec), whose output is
	// compiled, never read: inserted statements join the line they go into
	// ("{ __sp := ...; if __sp.Live() { defer __sp.Done() }; ..."), one-line bodies stay on one
	// line, and only the descriptor table is added, after the last line. The
	// output is not gofmt-formatted, and locations are the original lines.
	KeepLines bool
	// LinksHTTP tells that the package links net/http, directly or through
	// its dependencies. The file of package main that declares func main
	// then imports [HTTPPath] (blank), so that the program's HTTP clients
	// propagate the trace and SPANTREE_SINK may name an HTTP receiver or an
	// OTLP backend. A file that imports net/http itself gets the import
	// whatever LinksHTTP says. spangen -w finds it out with internal/load
	// (Config.FindHTTP, Package.LinksHTTP); spangen toolexec asks go list
	// when it compiles a main package.
	LinksHTTP bool
}

// File instruments one Go source file. filename is used for error positions,
// for locations (its base name, after Options.Dir) and for the name of the
// file's descriptor table. Instrumentation already present is removed first,
// so File is idempotent. A file that must not be instrumented (generated,
// cgo, //spangen:ignore) comes back without instrumentation. A file that does
// not parse is an error whose message starts with filename:line:col.
func File(filename string, src []byte, opts Options) ([]byte, error) {
	p, err := prepareFile(filename, src, opts)
	if err != nil {
		return nil, err
	}
	if p.in != nil {
		tinyPackage([]*instrumenter{p.in})
	}
	return p.finish()
}

// Undo removes the instrumentation that File added. For a gofmt-formatted
// file, Undo(File(src)) returns src exactly.
func Undo(filename string, src []byte) ([]byte, error) {
	return strip(filename, src)
}

// Source is one file of a package, for [Files].
type Source struct {
	Name string // file name, as given to File
	Src  []byte
}

// Files instruments (or, with undo, un-instruments) the files of one package
// (one directory: a package and its external test package too): it is File
// for each, except that a //spangen:ignore in the package doc comment of any
// of them leaves all of them uninstrumented, and that the tiny rule sees the
// functions of all the files of a package, so that a small function calling
// a tiny function of another file is tiny too. opts.Dir applies to every
// file.
func Files(files []Source, opts Options, undo bool) ([]Source, error) {
	if !undo {
		for _, f := range files {
			ig, err := packageIgnored(f.Name, f.Src)
			if err != nil {
				return nil, err
			}
			if ig {
				undo = true
				break
			}
		}
	}
	out := make([]Source, len(files))
	if undo {
		for i, f := range files {
			b, err := Undo(f.Name, f.Src)
			if err != nil {
				return nil, err
			}
			out[i] = Source{Name: f.Name, Src: b}
		}
		return out, nil
	}
	prepared := make([]*prepared, len(files))
	pkgs := map[string][]*instrumenter{} // package clause -> its files
	var names []string
	for i, f := range files {
		p, err := prepareFile(f.Name, f.Src, opts)
		if err != nil {
			return nil, err
		}
		prepared[i] = p
		if p.in != nil {
			name := p.in.f.Name.Name
			if pkgs[name] == nil {
				names = append(names, name)
			}
			pkgs[name] = append(pkgs[name], p.in)
		}
	}
	for _, name := range names {
		tinyPackage(pkgs[name])
	}
	for i, p := range prepared {
		b, err := p.finish()
		if err != nil {
			return nil, err
		}
		out[i] = Source{Name: files[i].Name, Src: b}
	}
	return out, nil
}

func packageIgnored(filename string, src []byte) (bool, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return false, err
	}
	return f.Doc != nil && hasDirective(f.Doc, "spangen:ignore"), nil
}

// prepared is a file on its way through File: stripped, parsed, and its
// functions found (in is nil for a file not to instrument).
type prepared struct {
	filename string
	src      []byte // without earlier instrumentation
	orig     []byte // as read, with it
	opts     Options
	in       *instrumenter
}

func prepareFile(filename string, src []byte, opts Options) (*prepared, error) {
	orig := src
	src, err := strip(filename, src)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	p := &prepared{filename: filename, src: src, orig: orig, opts: opts}
	if !skipFile(f) {
		p.in = newInstrumenter(fset, f, src, filename, opts)
		p.in.prepare()
	}
	return p, nil
}

// finish computes and applies the edits of a prepared file, once the tiny
// functions of its package are known.
func (p *prepared) finish() ([]byte, error) {
	filename, src, opts, in := p.filename, p.src, p.opts, p.in
	if in == nil || !in.run() {
		return src, nil
	}
	out, err := udiff.ApplyBytes(src, in.edits)
	if err != nil {
		return nil, fmt.Errorf("%s: spangen computed edits it cannot apply (please report): %w", filename, err)
	}
	if opts.KeepLines {
		// Compiled, never read: lines matter, layout does not.
		if _, err := parser.ParseFile(token.NewFileSet(), filename, out, parser.SkipObjectResolution); err != nil {
			return nil, fmt.Errorf("%s: spangen produced invalid code (please report): %w", filename, err)
		}
		return out, nil
	}
	if bytes.Equal(out, p.orig) {
		// A rerun: the file already holds this instrumentation, byte for
		// byte, as an earlier run wrote it (and checked it then). Nothing
		// changes, so there is nothing to check: the format check below
		// is half of a rerun's time.
		return out, nil
	}
	// The edits are indented as gofmt would; check it, since gofmt-clean
	// output is part of the contract. Only the edits are checked: a file
	// that was not gofmt-formatted keeps its own layout, so that Undo can
	// give its bytes back.
	formatted, err := format.Source(out)
	if err != nil {
		// Our edits made code that does not parse: a bug here, not in the
		// input. Say where.
		return nil, fmt.Errorf("%s: spangen produced invalid code (please report): %w", filename, err)
	}
	if bytes.Equal(formatted, out) {
		return out, nil
	}
	if clean, err := format.Source(src); err == nil && bytes.Equal(clean, src) {
		// gofmt-formatted input, and our edits are not: a layout this
		// package does not know (gofmt re-aligned something near an
		// edit). gofmt-clean output wins; Undo then gives back gofmt's
		// layout of those lines.
		return formatted, nil
	}
	return out, nil
}

var nl = []byte("\n")

// skipFile reports whether no function of f is to be instrumented.
func skipFile(f *ast.File) bool {
	if ast.IsGenerated(f) {
		return true
	}
	for _, im := range f.Imports {
		if im.Path.Value == `"C"` {
			return true
		}
	}
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		if hasDirective(cg, "spangen:ignore") {
			return true // file level, or package level (the doc comment)
		}
	}
	return false
}

// hasDirective reports whether cg holds a //name line comment (with or
// without arguments).
func hasDirective(cg *ast.CommentGroup, name string) bool {
	_, ok := directive(cg, name)
	return ok
}

// directive returns the arguments of the //name comment in cg.
func directive(cg *ast.CommentGroup, name string) (string, bool) {
	if cg == nil {
		return "", false
	}
	for _, c := range cg.List {
		if arg, ok := directiveText(c.Text, name); ok {
			return arg, true
		}
	}
	return "", false
}

func directiveText(text, name string) (string, bool) {
	rest, ok := strings.CutPrefix(text, "//"+name)
	if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
		return "", false
	}
	return strings.TrimSpace(rest), true
}
