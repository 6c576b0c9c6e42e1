package rewrite

import (
	"go/ast"
	"go/token"
	"sort"
)

// markAlignedDecls marks one-line function declarations on adjacent lines:
// gofmt aligns their bodies in a column.
func (in *instrumenter) markAlignedDecls(roots []*fn) {
	var prev *fn
	for _, r := range roots {
		if r.decl == nil || r.body == nil || !in.oneline(r.body) {
			prev = nil
			continue
		}
		if prev != nil && in.line(r.decl.Pos()) == in.line(prev.body.Rbrace)+1 {
			prev.noExpand, r.noExpand = true, true
		}
		prev = r
	}
}

// nextLine is the start of the line after p's (or the end of the file).
func (in *instrumenter) nextLine(p token.Pos) token.Pos {
	l := in.line(p)
	if l >= in.tf.LineCount() {
		return token.Pos(in.tf.Base() + in.tf.Size())
	}
	return in.tf.LineStart(l + 1)
}

func (in *instrumenter) oneline(b *ast.BlockStmt) bool {
	return in.line(b.Lbrace) == in.line(b.Rbrace)
}

func (in *instrumenter) hasComments(from, to token.Pos) bool {
	cs := in.f.Comments
	i := sort.Search(len(cs), func(i int) bool { return cs[i].Pos() > from })
	return i < len(cs) && cs[i].Pos() < to
}

// stmtIndent is the indentation of statement st of f in the output.
func (in *instrumenter) stmtIndent(f *fn, st ast.Stmt) string {
	if f.expanded {
		return f.indent
	}
	return in.lineIndent(st.Pos())
}

// lineIndent is the leading white space of the line of p.
func (in *instrumenter) lineIndent(p token.Pos) string {
	o := in.off(p)
	start := o
	for start > 0 && in.src[start-1] != '\n' {
		start--
	}
	end := start
	for end < o && (in.src[end] == '\t' || in.src[end] == ' ') {
		end++
	}
	return string(in.src[start:end])
}

// lineEnd is the offset of the newline that ends the line of p, after any
// comments that start on that line (a block comment may run on).
func (in *instrumenter) lineEnd(p token.Pos) int {
	o := in.off(p)
	line := in.line(p)
	for _, cg := range in.f.Comments {
		for _, c := range cg.List {
			if c.Pos() >= p && in.line(c.Pos()) == line {
				o = max(o, in.off(c.End()))
			}
		}
		if cg.Pos() > p && in.line(cg.Pos()) > line {
			break
		}
	}
	for o < len(in.src) && in.src[o] != '\n' {
		o++
	}
	return o
}
