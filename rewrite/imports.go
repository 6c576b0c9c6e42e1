package rewrite

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/token"
	"strconv"
	"strings"
)

// guessName is the package name an import path most likely declares, for
// imports without a name (only the standard library's names matter for
// correctness; others only make literal names read better).
func guessName(p string) string {
	elems := strings.Split(p, "/")
	name := elems[len(elems)-1]
	if len(elems) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = elems[len(elems)-2]
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	name = strings.TrimPrefix(name, "go-")
	name = strings.TrimSuffix(name, "-go")
	return strings.ReplaceAll(name, "-", "_")
}

// httpImport is the name the file imports [HTTPPath] under: HTTPImportName
// when a handler calls it; blank when the file imports net/http (any of the
// user's packages that uses net/http links propagation and the HTTP sinks)
// or is the main file of a program that links net/http ([Options.LinksHTTP]);
// "" for no import. A file that imports it already needs no blank import.
func (in *instrumenter) httpImport() string {
	switch {
	case in.handlers:
		return HTTPImportName
	case in.ownHTTP:
		return ""
	case in.netHTTP, in.opts.LinksHTTP && in.mainFile():
		return "_"
	}
	return ""
}

// mainFile reports whether the file is in package main and declares func
// main.
func (in *instrumenter) mainFile() bool {
	if in.f.Name.Name != "main" {
		return false
	}
	for _, d := range in.f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			return true
		}
	}
	return false
}

// addImport imports the runtime, and its spanhttp package when the file
// needs it (see httpImport), in declarations of their own after the file's.
func (in *instrumenter) addImport() {
	var after token.Pos = in.f.Name.End()
	for _, d := range in.f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			after = g.End()
		}
	}
	decls := "import " + ImportName + " " + strconv.Quote(RuntimePath)
	sep := "\n"
	if in.opts.KeepLines {
		sep = "; "
	}
	if name := in.httpImport(); name != "" {
		decls += sep + "import " + name + " " + strconv.Quote(HTTPPath)
	}
	if in.opts.KeepLines {
		// On the line of the last import (or of the package clause).
		p := in.off(after)
		in.add(p, p, "; "+decls)
		return
	}
	p := in.lineEnd(after)
	if p+1 < len(in.src) && in.src[p+1] != '\n' {
		// The next line follows without a blank line: gofmt allows it
		// after a line that ends in a comment ("package p // x", then
		// func). Our declarations go right under that line, where gofmt
		// leaves them, with the blank line gofmt wants after them; Undo
		// tells this layout by the missing blank line before.
		text := "\n" + decls + "\n"
		if in.splitsAlignment(p, text) {
			// The two lines were one block of aligned comments (or
			// one-line bodies), which gofmt re-aligns once we come
			// between them. Say so with a block of their own: Undo
			// then lets gofmt align them again.
			text = "\nimport (\n\t" + strings.ReplaceAll(decls, "\nimport ", "\n\t")[len("import "):] + "\n)\n"
		}
		in.add(p, p, text)
		return
	}
	in.add(p, p, "\n\n"+decls)
}

// splitsAlignment reports whether inserting text at offset p of a
// gofmt-formatted file makes gofmt change it elsewhere: it re-aligns the
// trailing comments of the lines around p. Only asked where that may
// happen, since it formats the file twice.
func (in *instrumenter) splitsAlignment(p int, text string) bool {
	clean, err := format.Source(in.src)
	if err != nil || !bytes.Equal(clean, in.src) {
		return false // not gofmt-formatted: its layout stays as it is
	}
	trial := string(in.src[:p]) + text + string(in.src[p:])
	f, err := format.Source([]byte(trial))
	return err == nil && string(f) != trial
}
