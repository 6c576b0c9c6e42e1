package rewrite

// The declarations File adds to a file, and how strip takes them out: the
// runtime's imports and the descriptor table.

import (
	"bytes"
	"go/ast"
	"go/token"
	"strconv"
	"strings"
)

// runtimeImport is the `__spantree "..."` import spec File adds, or nil.
func (s *stripper) runtimeImport() *ast.ImportSpec {
	for _, is := range s.f.Imports {
		if isImport(is, ImportName, RuntimePath) {
			return is
		}
	}
	return nil
}

func isImport(is *ast.ImportSpec, name, path string) bool {
	return is.Name != nil && is.Name.Name == name && is.Path.Value == strconv.Quote(path)
}

// stripImport removes from g the imports File adds: `import __spantree
// "..."` with the blank line File puts before it, and the spanhttp import on
// the line after it (or, with KeepLines, on the same line): `import
// __spanhttp "..."` wherever it is (the name is File's), a blank one only
// right after the runtime's (elsewhere it is the user's own). next is the
// declaration after g, or nil; rt is the runtime's import spec, or nil.
func (s *stripper) stripImport(g *ast.GenDecl, next ast.Decl, rt *ast.ImportSpec) bool {
	if s.realignBlock(g) {
		return true
	}
	found := false
	var lines [][2]int // lines of specs to remove from a block
	for _, sp := range g.Specs {
		is := sp.(*ast.ImportSpec)
		sep := 0 // newlines before a whole declaration that are File's too
		switch {
		case isImport(is, ImportName, RuntimePath):
			sep = 2
		case isImport(is, HTTPImportName, HTTPPath):
			sep = 1
		case isImport(is, "_", HTTPPath) && rt != nil && is != rt &&
			is.Pos() > rt.Pos() && s.line(is.Pos()) <= s.line(rt.End())+1:
			sep = 1
		default:
			continue
		}
		found = true
		if !g.Lparen.IsValid() {
			start, end := s.off(g.Pos()), s.off(g.End())
			switch {
			case s.isConsumed(start):
				continue // removed with the runtime's import
			case start >= sep && strings.Count(string(s.src[start-sep:start]), "\n") == sep:
				start -= sep
			case sep == 2 && start > 0 && s.src[start-1] == '\n':
				// Right under the line before, with no blank line:
				// File's layout when the next line followed that line
				// directly (see addImport). The imports go with the
				// blank line after them.
				if h := s.httpImportAfter(g, next); h != nil {
					end = s.off(h.End())
				}
				for n := 0; n < 2 && end < len(s.src) && s.src[end] == '\n'; n++ {
					end++
				}
				s.consumed = append(s.consumed, [2]int{start, end})
			}
			s.add(start, end, "")
			continue
		}
		// Moved into a block by hand (goimports): remove its line.
		start, end := s.lineStart(s.off(is.Pos())), s.off(is.End())
		if end < len(s.src) && s.src[end] == '\n' {
			end++
		}
		if n := len(lines); n > 0 && lines[n-1][1] == start {
			lines[n-1][1] = end
		} else {
			lines = append(lines, [2]int{start, end})
		}
	}
	for _, l := range lines {
		// A group of their own (goimports puts them apart): its blank
		// line goes too.
		if l[0] >= 2 && string(s.src[l[0]-2:l[0]]) == "\n\n" && s.blankOrParen(l[1]) {
			l[0]--
		}
		s.add(l[0], l[1], "")
	}
	return found
}

// realignBlock removes g if it is the import block File puts right under a
// line whose trailing comment gofmt aligned with the next line's (see
// addImport), with the blank line after it, and has the result
// gofmt-formatted to align them again.
func (s *stripper) realignBlock(g *ast.GenDecl) bool {
	if !g.Lparen.IsValid() || len(g.Specs) == 0 || len(g.Specs) > 2 {
		return false
	}
	for i, sp := range g.Specs {
		is := sp.(*ast.ImportSpec)
		if i == 0 && !isImport(is, ImportName, RuntimePath) ||
			i == 1 && !isImport(is, HTTPImportName, HTTPPath) && !isImport(is, "_", HTTPPath) {
			return false
		}
	}
	start, end := s.off(g.Pos()), s.off(g.End())
	if start < 2 || s.src[start-1] != '\n' || s.src[start-2] == '\n' {
		return false
	}
	for n := 0; n < 2 && end < len(s.src) && s.src[end] == '\n'; n++ {
		end++
	}
	s.add(start, end, "")
	s.realign = true
	return true
}

// httpImportAfter returns next if it is the spanhttp import File puts on
// the line after its runtime import g, or nil.
func (s *stripper) httpImportAfter(g *ast.GenDecl, next ast.Decl) *ast.GenDecl {
	h, ok := next.(*ast.GenDecl)
	if !ok || h.Tok != token.IMPORT || h.Lparen.IsValid() || len(h.Specs) != 1 ||
		s.line(h.Pos()) != s.line(g.End())+1 {
		return nil
	}
	is := h.Specs[0].(*ast.ImportSpec)
	if !isImport(is, HTTPImportName, HTTPPath) && !isImport(is, "_", HTTPPath) {
		return nil
	}
	return h
}

// blankOrParen reports whether the line at offset o is empty or starts
// with the closing parenthesis of a block.
func (s *stripper) blankOrParen(o int) bool {
	rest := bytes.TrimLeft(s.src[o:], " \t")
	return len(rest) == 0 || rest[0] == '\n' || rest[0] == ')'
}

// isTableName reports whether name is a descriptor table's: __spantree_fns_
// and the file's name (see tableName).
func isTableName(name string) bool {
	return strings.HasPrefix(name, "__spantree_fns_")
}

// stripTable removes the descriptor table and remembers which entries were
// one-line bodies.
func (s *stripper) stripTable(g *ast.GenDecl) bool {
	vs, ok := g.Specs[0].(*ast.ValueSpec)
	if !ok || len(vs.Names) != 1 || !isTableName(vs.Names[0].Name) || len(vs.Values) != 1 {
		return false
	}
	cl, ok := vs.Values[0].(*ast.CompositeLit)
	if !ok {
		return false
	}
	marks := make([]bool, len(cl.Elts))
	markLines := map[int]bool{}
	for _, cg := range s.f.Comments {
		if cg.Pos() > g.Pos() && cg.End() < g.End() {
			for _, c := range cg.List {
				if c.Text == onelineMarker {
					markLines[s.line(c.Pos())] = true
				}
			}
		}
	}
	for i, e := range cl.Elts {
		marks[i] = markLines[s.line(e.End())]
	}
	s.oneline[vs.Names[0].Name] = marks
	s.deleteDecl(g)
	return true
}
