package rewrite

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"path"
	"sort"
	"strconv"
	"strings"
)

// onelineMarker marks a table entry whose function body was on one line.
const onelineMarker = "// was one line"

// instrumenter computes the edits that instrument one parsed file.
type instrumenter struct {
	fset     *token.FileSet
	tf       *token.File
	f        *ast.File
	src      []byte
	filename string
	opts     Options
	pkg      string
	test     bool
	table    string

	imports    map[string]string // local name -> import path
	netHTTP    bool              // the file imports net/http
	ownHTTP    bool              // the file imports HTTPPath itself (under any name)
	handlers   bool              // a handler's span starts with spanhttp.Start
	directives map[int][]string  // line -> //spangen: comments on it
	linknamed  map[string]bool

	edits   []edit
	entries []entry
	temps   int  // temporaries used so far in the file (__rN)
	grouped bool // collect is in a var ( ... ) block

}

type entry struct {
	f       *fn
	oneline bool
}

func newInstrumenter(fset *token.FileSet, f *ast.File, src []byte, filename string, opts Options) *instrumenter {
	in := &instrumenter{
		fset: fset, tf: fset.File(f.Package), f: f, src: src, filename: filename, opts: opts,
		pkg:        opts.Package,
		test:       strings.HasSuffix(filename, "_test.go"),
		table:      tableName(filename),
		imports:    map[string]string{},
		directives: map[int][]string{},
		linknamed:  map[string]bool{},
	}
	if in.pkg == "" {
		in.pkg = f.Name.Name
	}
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			continue
		}
		switch p {
		case "net/http":
			in.netHTTP = true
		case HTTPPath:
			in.ownHTTP = true
		}
		name := guessName(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		if name != "_" && name != "." {
			in.imports[name] = p
		}
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//spangen:") {
				l := in.line(c.Pos())
				in.directives[l] = append(in.directives[l], c.Text)
			}
			if rest, ok := strings.CutPrefix(c.Text, "//go:linkname "); ok {
				if fs := strings.Fields(rest); len(fs) > 0 {
					in.linknamed[fs[0]] = true
				}
			}
		}
	}
	return in
}

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

func (in *instrumenter) line(p token.Pos) int { return in.tf.Line(p) }
func (in *instrumenter) off(p token.Pos) int  { return in.tf.Offset(p) }

// run computes the edits; it reports false when nothing is instrumented.
func (in *instrumenter) run() bool {
	roots := in.collect()
	in.markAlignedDecls(roots)
	top := &fn{name: in.pkg, kids: roots}
	in.nameKids(top)
	for _, r := range roots {
		in.visit(r, false, false)
	}
	if len(in.entries) == 0 {
		in.edits = nil
		return false
	}
	in.addImport()
	in.addTable()
	return true
}

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

// nameKids sets the names of f's kids (and theirs).
func (in *instrumenter) nameKids(f *fn) {
	count := map[string]int{}
	for _, k := range f.kids {
		if k.decl == nil {
			count[k.sep+k.base]++
		}
	}
	seen := map[string]int{}
	for _, k := range f.kids {
		switch {
		case k.decl != nil:
			k.name = in.declName(k.decl)
			in.declKind(k)
		default:
			key := k.sep + k.base
			seen[key]++
			base := k.base
			if k.number || count[key] > 1 {
				base += "#" + strconv.Itoa(seen[key])
			}
			k.name = f.name + k.sep + base
		}
		if k.nameSet != "" {
			k.name = k.nameSet
		}
		in.nameKids(k)
	}
}

func (in *instrumenter) declName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return in.pkg + "." + d.Name.Name
	}
	t := d.Recv.List[0].Type
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = true, s.X
	}
	generic := false
	switch x := t.(type) {
	case *ast.IndexExpr:
		t, generic = x.X, true
	case *ast.IndexListExpr:
		t, generic = x.X, true
	}
	recv := "?"
	if id, ok := t.(*ast.Ident); ok {
		recv = id.Name
	}
	if generic {
		recv += "[...]"
	}
	if star {
		recv = "(*" + recv + ")"
	}
	return in.pkg + "." + recv + "." + d.Name.Name
}

func (in *instrumenter) declKind(f *fn) {
	d := f.decl
	name := d.Name.Name
	switch {
	case d.Recv == nil && name == "main" && in.pkg == "main":
		f.kind = "KindMain"
	case d.Recv == nil && in.test && isTestFunc(name) && len(d.Type.Params.List) == 1 &&
		in.isTestingPtr(d.Type.Params.List[0].Type):
		f.kind = "KindTest"
	case in.isHandler(d.Type):
		f.kind = "KindHandler"
	}
}

func isTestFunc(name string) bool {
	for _, prefix := range []string{"Test", "Benchmark", "Fuzz"} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			return rest == "" || !(rest[0] >= 'a' && rest[0] <= 'z')
		}
	}
	return false
}

// isHandler reports whether t is func(http.ResponseWriter, *http.Request).
func (in *instrumenter) isHandler(t *ast.FuncType) bool {
	ps := params(t)
	if len(ps) != 2 || (t.Results != nil && len(t.Results.List) > 0) {
		return false
	}
	star, ok := ps[1].typ.(*ast.StarExpr)
	return ok && in.isPkgType(ps[0].typ, "net/http", "ResponseWriter") && in.isPkgType(star.X, "net/http", "Request")
}

type param struct {
	name string // "" when unnamed
	typ  ast.Expr
}

func params(t *ast.FuncType) []param {
	var ps []param
	if t.Params == nil {
		return nil
	}
	for _, f := range t.Params.List {
		if len(f.Names) == 0 {
			ps = append(ps, param{typ: f.Type})
		}
		for _, n := range f.Names {
			ps = append(ps, param{name: n.Name, typ: f.Type})
		}
	}
	return ps
}

// visit instruments f when it should be and then its literals. outer tells
// whether an enclosing function has a __sp in scope.
func (in *instrumenter) visit(f *fn, outer, ignored bool) {
	if f.ignore || ignored {
		return // and its literals
	}
	skipKids := false
	if in.wanted(f) {
		in.instrument(f, outer)
		outer = true
	} else if f.body != nil && in.oneline(f.body) && !in.opts.KeepLines {
		// Its literals would make it span lines, which gofmt would
		// re-layout and Undo could not put back.
		skipKids = true
	}
	for _, k := range f.kids {
		in.visit(k, outer, skipKids)
	}
}

// wanted reports whether f itself gets a span.
func (in *instrumenter) wanted(f *fn) bool {
	if f.body == nil {
		return false
	}
	if d := f.decl; d != nil && d.Recv == nil {
		if d.Name.Name == "init" && !in.opts.Init {
			return false
		}
		if d.Name.Name == "TestMain" && in.test {
			return false
		}
	}
	if in.oneline(f.body) && !in.opts.KeepLines {
		if f.noExpand || in.hasComments(f.body.Lbrace, f.body.Rbrace) {
			return false // cannot be put back on one line exactly
		}
		if in.hasComments(f.body.Rbrace, in.nextLine(f.body.Rbrace)) {
			return false // gofmt aligns the trailing comment with its neighbours'
		}
	}
	if f.forced || in.opts.Tiny || f.kind != "" || in.isHandler(f.typ) {
		return true
	}
	if d := f.decl; d != nil && d.Recv != nil {
		switch d.Name.Name {
		case "String", "Error", "GoString", "Format", "Len", "Less", "Swap":
			return false
		}
	}
	if name, wrap := in.errorResult(f.typ); name != "" || wrap {
		if !f.onlyNilErrors(countFields(f.typ.Results)) || name != "" && mentions(f.body, name) {
			return true // errors are the point: a function that returns one gets a span
		}
	}
	return !f.tiny()
}

// onlyNilErrors reports whether every return statement of f, a function
// with n results the last of which is an error, returns a literal nil error
// (no bare return): unless its body assigns a named error result (see
// mentions), it cannot fail (an io.Writer that never does, such as a hash's
// Write), so its error result is no reason for a span.
func (f *fn) onlyNilErrors(n int) bool {
	for _, r := range f.returns {
		if len(r.Results) != n {
			return false // return g(): whatever g returns
		}
		if id, ok := r.Results[n-1].(*ast.Ident); !ok || id.Name != "nil" {
			return false
		}
	}
	return true
}

// mentions reports whether the identifier name appears in body, function
// literals included.
func mentions(body *ast.BlockStmt, name string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == name {
			found = true
		}
		return !found
	})
	return found
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

// instrument adds the edits for f's own span.
func (in *instrumenter) instrument(f *fn, outer bool) {
	idx := len(in.entries)
	oneline := in.oneline(f.body) && !in.opts.KeepLines
	in.entries = append(in.entries, entry{f: f, oneline: oneline})
	ref := fmt.Sprintf("&%s[%d]", in.table, idx)
	outerSp := ImportName + ".Span{}"
	if outer {
		outerSp = "__sp"
	}

	var start string
	ps := params(f.typ)
	switch {
	case in.isHandler(f.typ):
		if f.kind == "" || f.kind == "KindNoFold" {
			f.kind = "KindHandler"
		}
		r := ps[1].name
		if r == "" || r == "_" {
			r = "nil"
		}
		in.handlers = true
		start = fmt.Sprintf("__sp := %s.Start(%s, %s, %s)", HTTPImportName, outerSp, r, ref)
		if w := ps[0].name; w != "" && w != "_" {
			// w becomes the writer that records the answer's status on
			// the span (a parameter may be redeclared by := in the body).
			start = fmt.Sprintf("%s, __sp := %s.StartHandler(%s, %s, %s, %s)", w, HTTPImportName, outerSp, w, r, ref)
		}
	case len(ps) > 0 && ps[0].name != "" && ps[0].name != "_" && in.isPkgType(ps[0].typ, "context", "Context"):
		ctx := ps[0].name
		if inspectsValue(f.body, ctx) {
			// The function compares ctx or asserts its type (if ctx
			// == nil, ctx.(*myCtx)): the span's context would change
			// the answer. ctx stays the caller's.
			start = fmt.Sprintf("_, __sp := %s.StartContext(%s, %s)", ImportName, ctx, ref)
			break
		}
		start = fmt.Sprintf("%s, __sp := %s.StartContext(%s, %s)", ctx, ImportName, ctx, ref)
	case f.lit != nil:
		start = fmt.Sprintf("__sp := %s.StartLit(%s, %s)", ImportName, outerSp, ref)
	default:
		start = fmt.Sprintf("__sp := %s.Start(%s)", ImportName, ref)
	}

	errName, wrap := in.errorResult(f.typ)
	end := "defer __sp.Done()"
	if errName != "" {
		end = fmt.Sprintf("defer __sp.DoneErr(&%s)", errName)
	}

	// Indentation, so that the output of gofmt-formatted input is
	// gofmt-formatted without re-printing the file: a body is indented one
	// tab more than the line of its closing brace; a one-line body being
	// expanded takes the indentation of the line of its opening brace, which
	// may itself be a line of an enclosing one-line body just expanded.
	b := f.body
	lb := in.off(b.Lbrace)
	if in.opts.KeepLines {
		// Right after the brace, on its line, before anything else there
		// (a statement or a comment).
		in.add(lb+1, lb+1, " "+start+"; "+end+";")
	} else if oneline {
		f.brace = in.lineIndent(b.Lbrace)
		for a := f.parent; a != nil; a = a.parent {
			if a.expanded && in.line(a.body.Lbrace) == in.line(b.Lbrace) {
				f.brace = a.brace + "\t"
				break
			}
		}
		f.expanded = true
		ind := f.brace + "\t"
		f.indent = ind
		list := b.List
		pro := "\n" + ind + start + "\n" + ind + end + "\n"
		if len(list) == 0 {
			in.add(lb+1, in.off(b.Rbrace), pro+f.brace)
		} else {
			in.add(lb+1, in.off(list[0].Pos()), pro+ind)
			for i := 1; i < len(list); i++ {
				in.add(in.off(list[i-1].End()), in.off(list[i].Pos()), "\n"+ind)
			}
			in.add(in.off(list[len(list)-1].End()), in.off(b.Rbrace), "\n"+f.brace)
		}
	} else {
		ind := in.lineIndent(b.Rbrace) + "\t"
		p := in.lineEnd(b.Lbrace + 1)
		if len(b.List) > 0 && in.off(b.List[0].Pos()) < p {
			// A statement on the line of the brace (not gofmt-formatted).
			in.add(lb+1, lb+1, "\n"+ind+start+"\n"+ind+end+"\n"+ind)
		} else {
			in.add(p, p, "\n"+ind+start+"\n"+ind+end)
		}
	}

	if wrap {
		nres := countFields(f.typ.Results)
		for _, r := range f.returns {
			switch {
			case len(r.Results) == nres:
				last := r.Results[nres-1]
				if id, ok := last.(*ast.Ident); ok && id.Name == "nil" {
					continue
				}
				in.add(in.off(last.Pos()), in.off(last.Pos()), "__sp.Err(")
				in.add(in.off(last.End()), in.off(last.End()), ")")
			case len(r.Results) == 1 && nres > 1:
				call := r.Results[0]
				names := make([]string, nres)
				for i := range names {
					names[i] = "__r" + strconv.Itoa(in.temps)
					in.temps++
				}
				lhs := strings.Join(names, ", ")
				res := strings.Join(names[:nres-1], ", ") + ", __sp.Err(" + names[nres-1] + ")"
				ind := in.stmtIndent(f, r)
				if f.jumpedOver(r) {
					// A goto of the function jumps over this return
					// to a label after it, and must not jump over
					// the temporaries' declaration: they go in the
					// init statement of a switch, whose scope they
					// do not leave. Unlike a block, the switch keeps
					// the call at its indentation, and it is a
					// terminating statement as the return was.
					in.add(in.off(r.Pos()), in.off(call.Pos()), "switch "+lhs+" := ")
					tail := "; {\n" + ind + "default:\n" + ind + "\treturn " + res + "\n" + ind + "}"
					if in.opts.KeepLines {
						tail = "; { default: return " + res + " }"
					}
					in.add(in.off(call.End()), in.off(call.End()), tail)
					continue
				}
				in.add(in.off(r.Pos()), in.off(call.Pos()), lhs+" := ")
				sep := "\n" + ind
				if in.opts.KeepLines {
					sep = "; "
				}
				in.add(in.off(call.End()), in.off(call.End()), sep+"return "+res)
			}
		}
	}
	for _, x := range f.exits {
		p := in.off(x.stmt.Pos())
		sep := "\n" + in.stmtIndent(f, x.stmt)
		if in.opts.KeepLines {
			sep = "; "
		}
		in.add(p, p, ImportName+".Flush()"+sep)
	}
}

// inspectsValue reports whether body (with its literals, which capture
// the variable) compares the variable name with == or != or asserts its
// dynamic type (x.(T), switch x.(type)), by name: a shadowing declaration
// counts too, which only costs the function its context.
func inspectsValue(body *ast.BlockStmt, name string) bool {
	is := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && id.Name == name
	}
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) && (is(n.X) || is(n.Y)) {
				found = true
			}
		case *ast.TypeAssertExpr:
			if is(n.X) {
				found = true
			}
		}
		return !found
	})
	return found
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

func (in *instrumenter) add(start, end int, text string) {
	in.edits = append(in.edits, edit{start: start, end: end, text: text})
}

// errorResult reports how f's error result is observed: by name in the
// deferred EndErr, or by wrapping the returned values.
func (in *instrumenter) errorResult(t *ast.FuncType) (name string, wrap bool) {
	if t.Results == nil || len(t.Results.List) == 0 {
		return "", false
	}
	last := t.Results.List[len(t.Results.List)-1]
	if id, ok := last.Type.(*ast.Ident); !ok || id.Name != "error" {
		return "", false
	}
	if len(last.Names) == 0 {
		return "", true
	}
	if n := last.Names[len(last.Names)-1].Name; n != "_" {
		return n, false
	}
	return "", true
}

func countFields(fl *ast.FieldList) int {
	n := 0
	if fl == nil {
		return 0
	}
	for _, f := range fl.List {
		n += max(1, len(f.Names))
	}
	return n
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

// addTable adds the descriptor table at the end of the file. It comes last:
// the locations in it count the lines the other edits add.
func (in *instrumenter) addTable() {
	sortEdits(in.edits)
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
		if e.f.kind != "" {
			fmt.Fprintf(&b, ", Kind: %s.%s", ImportName, e.f.kind)
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
		sums[i+1] = sums[i] + strings.Count(e.text, "\n") - bytes.Count(in.src[e.start:e.end], nl)
	}
	return sums
}

// linesAdded counts the newlines the edits before offset o add. Edits do not
// overlap, so their ends are sorted too.
func (in *instrumenter) linesAdded(sums []int, o int) int {
	k := sort.Search(len(in.edits), func(i int) bool { return in.edits[i].end > o })
	return sums[k]
}

// tiny reports whether f is a function the compiler would inline and a span
// would swamp: no loops, goroutines or literals, and either no calls (calls
// of the standard library's pure packages apart: isPureCall) within about
// the inliner's budget (80 nodes), or a single statement forwarding to one
// call of this package's (a wrapper: its callee has the span). Functions
// returning an error are never tiny (see the caller).
func (f *fn) tiny() bool {
	if f.loops > 0 || len(f.kids) > 0 {
		return false
	}
	switch {
	case f.calls == 0:
		return f.nodes <= 80
	case f.calls == 1 && f.callsOut == 0:
		// A wrapper of another package's function (time.Sleep, http.Get)
		// is where time goes and no span of ours would show it: not tiny.
		return len(f.body.List) == 1 && f.nodes <= 40
	}
	return false
}
