package rewrite

import (
	"bytes"
	"fmt"
	"go/format"
	"go/token"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// onelineMarker marks a table entry whose function body was on one line.
const onelineMarker = "// was one line"

// addTable adds the descriptor table at the end of the file. It comes last:
// the locations in it count the lines the other edits add.
func (in *instrumenter) addTable() {
	udiff.SortEdits(in.edits)
	sums := in.lineDeltas()
	var b strings.Builder
	eof := len(in.src)
	if eof > 0 && in.src[eof-1] != '\n' {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\nvar %s = [...]%s.Func{\n", in.table, ImportName)
	file := path.Join(in.opts.Dir, path.Base(strings.ReplaceAll(in.filename, `\`, "/")))
	for _, e := range in.entries {
		var p token.Pos
		if e.f.decl != nil {
			p = e.f.decl.Pos()
		} else {
			p = e.f.lit.Pos()
		}
		line := in.line(p) + in.linesAdded(sums, in.off(p))
		fmt.Fprintf(&b, "\t{Name: %s, Loc: %s", strconv.Quote(e.f.name), strconv.Quote(file+":"+strconv.Itoa(line)))
		if e.f.kind != kindPlain {
			fmt.Fprintf(&b, ", Kind: %s.%s", ImportName, e.f.kind.runtimeName())
		}
		b.WriteString("},")
		if e.oneline {
			b.WriteString(" " + onelineMarker)
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	// gofmt aligns the markers (trailing comments) of neighbouring entries:
	// let it, on the table alone.
	if table, err := format.Source([]byte("package p\n" + b.String())); err == nil {
		b.Reset()
		b.Write(table[len("package p\n"):])
	}
	in.add(eof, eof, b.String())
}

// lineDeltas returns, for the sorted edits, how many newlines the first k
// of them add (index k).
func (in *instrumenter) lineDeltas() []int {
	sums := make([]int, len(in.edits)+1)
	for i, e := range in.edits {
		sums[i+1] = sums[i] + strings.Count(e.New, "\n") - bytes.Count(in.src[e.Start:e.End], nl)
	}
	return sums
}

// linesAdded counts the newlines the edits before offset o add. Edits do not
// overlap, so their ends are sorted too.
func (in *instrumenter) linesAdded(sums []int, o int) int {
	k := sort.Search(len(in.edits), func(i int) bool { return in.edits[i].End > o })
	return sums[k]
}

// tableName is the name of the descriptor table of the file: unique in the
// package because file names are unique in a directory.
func tableName(filename string) string {
	base := strings.TrimSuffix(path.Base(strings.ReplaceAll(filename, `\`, "/")), ".go")
	var b strings.Builder
	b.WriteString("__spantree_fns_")
	lossy := false
	for _, r := range base {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
			lossy = true
		}
	}
	if lossy {
		// a-b.go and a_b.go must not share a table.
		var h uint32 = 2166136261
		for i := 0; i < len(base); i++ {
			h = (h ^ uint32(base[i])) * 16777619
		}
		fmt.Fprintf(&b, "_%08x", h)
	}
	return b.String()
}
