package rewrite

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strconv"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// stripper computes the edits that remove instrumentation from one file.
type stripper struct {
	tf       *token.File
	f        *ast.File
	src      []byte
	edits    []udiff.Edit
	oneline  map[string][]bool // table name -> entry was on one line
	joined   map[*ast.BlockStmt]bool
	outlined map[*ast.BlockStmt]bool // wrappers of outlined bodies, taken out whole (joinOutlined)
	consumed [][2]int                // ranges already deleted (temporaries' returns, imports)
	realign  bool                    // gofmt the result (see realignBlock)
}

func strip(filename string, src []byte) ([]byte, error) {
	if !bytes.Contains(src, []byte(ImportName)) && !bytes.Contains(src, []byte(HTTPImportName)) {
		return src, nil // the common case: nothing to remove, nothing to parse
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	s := &stripper{
		tf: fset.File(f.Package), f: f, src: src,
		oneline:  map[string][]bool{},
		joined:   map[*ast.BlockStmt]bool{},
		outlined: map[*ast.BlockStmt]bool{},
	}
	out := src
	if s.run() {
		udiff.SortEdits(s.edits)
		out, err = udiff.ApplyBytes(src, s.edits)
		if err != nil {
			return nil, fmt.Errorf("%s: spangen computed edits it cannot apply to take its instrumentation out (please report): %w", filename, err)
		}
	}
	if o, name := leftover(out); o >= 0 {
		// Written by hand, or in a shape this version does not write:
		// instrumenting the file again would not compile (two runtime
		// imports, two tables), and Undo would not give it back.
		return nil, fmt.Errorf("%s: instrumentation spangen cannot take out (%s is used, but not as spangen writes it): remove it by hand, then run spangen again",
			fset.Position(s.tf.Pos(origOffset(s.edits, o))), name)
	}
	if s.realign {
		if f, err := format.Source(out); err == nil {
			out = f
		}
	}
	return out, nil
}

// leftover returns the offset in src, a file stripped of the
// instrumentation spangen writes, of the first identifier named like that
// instrumentation (ImportName, HTTPImportName), and the name; -1 if there is
// none.
func leftover(src []byte) (int, string) {
	if !bytes.Contains(src, []byte(ImportName)) && !bytes.Contains(src, []byte(HTTPImportName)) {
		return -1, ""
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return -1, "" // the caller's parse of its output reports it
	}
	var at *ast.Ident
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && at == nil && (id.Name == ImportName || id.Name == HTTPImportName) {
			at = id
		}
		return at == nil
	})
	if at == nil {
		return -1, ""
	}
	return fset.File(at.Pos()).Offset(at.Pos()), at.Name
}

// origOffset maps offset o of the result of applying the sorted edits back
// to the source they apply to (an offset inside an edit's new text maps to
// the edit's start).
func origOffset(edits []udiff.Edit, o int) int {
	delta := 0 // result offset minus source offset, so far
	for _, e := range edits {
		start := e.Start + delta
		if o < start {
			break
		}
		if o < start+len(e.New) {
			return e.Start
		}
		delta += len(e.New) - (e.End - e.Start)
	}
	return o - delta
}

func (s *stripper) off(p token.Pos) int  { return s.tf.Offset(p) }
func (s *stripper) line(p token.Pos) int { return s.tf.Line(p) }

func (s *stripper) add(start, end int, text string) {
	s.edits = append(s.edits, udiff.Edit{Start: start, End: end, New: text})
}

func (s *stripper) run() bool {
	found := false
	rt := s.runtimeImport()
	for i, d := range s.f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		switch {
		case g.Tok == token.IMPORT:
			var next ast.Decl
			if i+1 < len(s.f.Decls) {
				next = s.f.Decls[i+1]
			}
			found = s.stripImport(g, next, rt) || found
		case g.Tok == token.VAR && len(g.Specs) == 1:
			found = s.stripTable(g) || found
		}
	}
	if !found {
		return false
	}
	for i := 1; i < len(s.f.Decls); i++ {
		w, ok1 := s.f.Decls[i-1].(*ast.FuncDecl)
		b, ok2 := s.f.Decls[i].(*ast.FuncDecl)
		if ok1 && ok2 && outlinedBody(w, b) {
			s.joinOutlined(w, b)
		}
	}
	var lists [][]ast.Stmt
	ast.Inspect(s.f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Body != nil && !s.outlined[n.Body] {
				s.stripPrologue(n.Body)
			}
		case *ast.FuncLit:
			s.stripPrologue(n.Body)
		case *ast.BlockStmt:
			if !s.joined[n] && !s.outlined[n] {
				lists = append(lists, n.List)
			}
		case *ast.CaseClause:
			lists = append(lists, n.Body)
		case *ast.CommClause:
			lists = append(lists, n.Body)
		}
		return true
	})
	for _, l := range lists {
		s.stripList(l)
	}
	ast.Inspect(s.f, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if (isSpCall(c, "Err") || isSpCall(c, "Recovered")) && len(c.Args) == 1 {
			s.unwrap(c) // __sp.Err(err), __sp.Recovered(recover())
		}
		for _, a := range c.Args {
			// os.Exit(__spantree.Exiting(code)); the statement
			// __spantree.Exiting(1) before log.Fatal goes with stripList.
			if x, ok := a.(*ast.CallExpr); ok && isRuntimeCall(x, "Exiting") && len(x.Args) == 1 {
				s.unwrap(x)
			}
		}
		return true
	})
	return true
}

// unwrap replaces the call c of one argument with the argument.
func (s *stripper) unwrap(c *ast.CallExpr) {
	if s.isConsumed(s.off(c.Pos())) {
		return
	}
	a := c.Args[0]
	s.add(s.off(c.Pos()), s.off(a.Pos()), "")
	s.add(s.off(a.End()), s.off(c.End()), "")
}

func (s *stripper) isConsumed(o int) bool {
	for _, r := range s.consumed {
		if o >= r[0] && o < r[1] {
			return true
		}
	}
	return false
}

// deleteDecl deletes a declaration File appended, with the blank line
// before it.
func (s *stripper) deleteDecl(d ast.Decl) {
	start, end := s.off(d.Pos()), s.off(d.End())
	if start > 0 && s.src[start-1] == '\n' && end < len(s.src) && s.src[end] == '\n' {
		start--
		end++
	}
	s.add(start, end, "")
}

func (s *stripper) lineStart(o int) int {
	for o > 0 && s.src[o-1] != '\n' {
		o--
	}
	return o
}

// stripPrologue removes the statements File puts in front of a body: the
// start, the deferred end and, in a subtest named at run time, the rename.
func (s *stripper) stripPrologue(b *ast.BlockStmt) {
	if len(b.List) < 2 {
		return
	}
	table, idx, ok := prologue(b.List[0])
	if !ok || !isEndDefer(b.List[1]) {
		return
	}
	n := 2
	if len(b.List) > 2 && isRename(b.List[2]) {
		n = 3
	}
	last := b.List[n-1]
	marks := s.oneline[table]
	if idx < len(marks) && marks[idx] && !s.commentsIn(last.End(), b.Rbrace) {
		s.join(b, n)
		return
	}
	start := s.lineStart(s.off(b.List[0].Pos()))
	if start > 0 {
		start-- // the newline before it
	}
	s.add(start, s.off(last.End()), "")
}

// isRename reports whether st is `__sp.Rename(...)`.
func isRename(st ast.Stmt) bool {
	es, ok := st.(*ast.ExprStmt)
	if !ok {
		return false
	}
	c, ok := es.X.(*ast.CallExpr)
	return ok && isSpCall(c, "Rename") && len(c.Args) == 1
}

func (s *stripper) commentsIn(from, to token.Pos) bool {
	for _, cg := range s.f.Comments {
		if cg.Pos() > from && cg.Pos() < to {
			return true
		}
	}
	return false
}

// join puts a body that was on one line back on one line: `{ a; b }`.
func (s *stripper) join(b *ast.BlockStmt, prologue int) {
	s.joined[b] = true
	var logical [][2]ast.Stmt // first and last statement of each original statement
	list := b.List[prologue:]
	for i := 0; i < len(list); i++ {
		st := list[i]
		if isFlush(st) && i+1 < len(list) {
			continue // deleted with the separator before the next statement
		}
		if s.stripSwitchTemps(st) {
			logical = append(logical, [2]ast.Stmt{st, st})
			continue
		}
		if i+1 < len(list) && s.stripTemps(st, list[i+1]) {
			logical = append(logical, [2]ast.Stmt{st, list[i+1]})
			i++
			continue
		}
		logical = append(logical, [2]ast.Stmt{st, st})
	}
	lb, rb := s.off(b.Lbrace)+1, s.off(b.Rbrace)
	if len(logical) == 0 {
		s.add(lb, rb, "")
		return
	}
	s.add(lb, s.off(logical[0][0].Pos()), " ")
	for i := 1; i < len(logical); i++ {
		s.add(s.off(logical[i-1][1].End()), s.off(logical[i][0].Pos()), "; ")
	}
	s.add(s.off(logical[len(logical)-1][1].End()), rb, " ")
}

// stripList removes Flush calls and return temporaries from a statement list.
func (s *stripper) stripList(list []ast.Stmt) {
	for i := 0; i < len(list); i++ {
		st := list[i]
		if l, ok := st.(*ast.LabeledStmt); ok {
			st = l.Stmt
		}
		if s.stripSwitchTemps(st) || i+1 >= len(list) {
			continue
		}
		if isFlush(st) {
			s.add(s.off(st.Pos()), s.off(list[i+1].Pos()), "")
			continue
		}
		if s.stripTemps(st, list[i+1]) {
			i++
		}
	}
}

// stripTemps turns `__r0, __r1 := f()` + `return __r0, __sp.Err(__r1)` back
// into `return f()`.
func (s *stripper) stripTemps(a, r ast.Stmt) bool {
	as, ok := a.(*ast.AssignStmt)
	if !ok || !s.tempsReturned(as, r) {
		return false
	}
	call := as.Rhs[0]
	s.add(s.off(as.Pos()), s.off(call.Pos()), "return ")
	s.add(s.off(call.End()), s.off(r.End()), "")
	s.consumed = append(s.consumed, [2]int{s.off(call.End()), s.off(r.End())})
	return true
}

// tempsReturned reports whether as is `__r0, __r1 := f()` and r is `return
// __r0, __sp.Err(__r1)`.
func (s *stripper) tempsReturned(as *ast.AssignStmt, r ast.Stmt) bool {
	if as.Tok != token.DEFINE || len(as.Rhs) != 1 || len(as.Lhs) < 2 {
		return false
	}
	ret, ok := r.(*ast.ReturnStmt)
	if !ok || len(ret.Results) != len(as.Lhs) {
		return false
	}
	for i, l := range as.Lhs {
		id, ok := l.(*ast.Ident)
		if !ok || !strings.HasPrefix(id.Name, "__r") {
			return false
		}
		res := ret.Results[i]
		if i == len(as.Lhs)-1 {
			c, ok := res.(*ast.CallExpr)
			if !ok || !isSpCall(c, "Err") || len(c.Args) != 1 {
				return false
			}
			res = c.Args[0]
		}
		if rid, ok := res.(*ast.Ident); !ok || rid.Name != id.Name {
			return false
		}
	}
	return true
}

// stripSwitchTemps turns `switch __r0, __r1 := f(); { default: return
// __r0, __sp.Err(__r1) }`, the form a return takes where a goto jumps over
// it, back into `return f()`.
func (s *stripper) stripSwitchTemps(st ast.Stmt) bool {
	sw, ok := st.(*ast.SwitchStmt)
	if !ok || sw.Init == nil || sw.Tag != nil || len(sw.Body.List) != 1 {
		return false
	}
	cc, ok := sw.Body.List[0].(*ast.CaseClause)
	if !ok || cc.List != nil || len(cc.Body) != 1 {
		return false
	}
	as, ok := sw.Init.(*ast.AssignStmt)
	if !ok || !s.tempsReturned(as, cc.Body[0]) {
		return false
	}
	call := as.Rhs[0]
	s.add(s.off(sw.Pos()), s.off(call.Pos()), "return ")
	s.add(s.off(call.End()), s.off(sw.End()), "")
	s.consumed = append(s.consumed, [2]int{s.off(call.End()), s.off(sw.End())})
	return true
}

// prologue reports whether st is `__sp := __spantree.StartX(..., &table[idx])`
// or `__sp := __spanhttp.Start(..., &table[idx])` or `w, __sp :=
// __spanhttp.StartHandler(..., &table[idx])`.
func prologue(st ast.Stmt) (table string, idx int, ok bool) {
	as, isAssign := st.(*ast.AssignStmt)
	if !isAssign || as.Tok != token.DEFINE || len(as.Rhs) != 1 || len(as.Lhs) == 0 {
		return "", 0, false
	}
	if id, ok := as.Lhs[len(as.Lhs)-1].(*ast.Ident); !ok || id.Name != "__sp" {
		return "", 0, false
	}
	c, isCall := as.Rhs[0].(*ast.CallExpr)
	if !isCall || len(c.Args) == 0 || !isRuntimeCall(c, "Start", "StartContext", "StartLit") &&
		!isSelCall(c, HTTPImportName, "Start", "StartHandler") {
		return "", 0, false
	}
	u, isAddr := c.Args[len(c.Args)-1].(*ast.UnaryExpr)
	if !isAddr || u.Op != token.AND {
		return "", 0, false
	}
	ix, isIndex := u.X.(*ast.IndexExpr)
	if !isIndex {
		return "", 0, false
	}
	tid, isIdent := ix.X.(*ast.Ident)
	lit, isLit := ix.Index.(*ast.BasicLit)
	if !isIdent || !isLit || lit.Kind != token.INT {
		return "", 0, false
	}
	n, err := strconv.Atoi(lit.Value)
	if err != nil {
		return "", 0, false
	}
	return tid.Name, n, true
}

// isEndDefer reports whether st is the deferred end File writes, `if
// __sp.Live() { defer __sp.Done() }` (or DoneErr(&err)), or the shape of
// earlier releases, the defer alone.
func isEndDefer(st ast.Stmt) bool {
	if is, ok := st.(*ast.IfStmt); ok {
		c, isCall := is.Cond.(*ast.CallExpr)
		if !isCall || is.Init != nil || is.Else != nil || len(is.Body.List) != 1 || !isSpCall(c, "Live") || len(c.Args) != 0 {
			return false
		}
		st = is.Body.List[0]
	}
	d, ok := st.(*ast.DeferStmt)
	return ok && (isSpCall(d.Call, "Done") || isSpCall(d.Call, "DoneErr"))
}

// isFlush reports whether st is a statement File puts before an exit:
// `__spantree.Flush()` (log.Panic*) or `__spantree.Exiting(1)` (log.Fatal*).
func isFlush(st ast.Stmt) bool {
	es, ok := st.(*ast.ExprStmt)
	if !ok {
		return false
	}
	c, ok := es.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	if len(c.Args) == 0 && isRuntimeCall(c, "Flush") || isRuntimeCall(c, "Handling") {
		return true
	}
	if len(c.Args) != 1 || !isRuntimeCall(c, "Exiting") {
		return false
	}
	one, ok := c.Args[0].(*ast.BasicLit)
	return ok && one.Value == "1"
}

func isRuntimeCall(c *ast.CallExpr, names ...string) bool {
	return isSelCall(c, ImportName, names...)
}

func isSpCall(c *ast.CallExpr, name string) bool {
	return isSelCall(c, "__sp", name)
}

func isSelCall(c *ast.CallExpr, x string, names ...string) bool {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok || id.Name != x {
		return false
	}
	for _, n := range names {
		if sel.Sel.Name == n {
			return true
		}
	}
	return false
}
