package rewrite

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

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

	roots   []*fn         // the file's functions (prepare)
	pkgTiny *packageFacts // the tiny functions of the package (tinyPackage)
	edits   []udiff.Edit
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

func (in *instrumenter) line(p token.Pos) int { return in.tf.Line(p) }
func (in *instrumenter) off(p token.Pos) int  { return in.tf.Offset(p) }

// prepare finds the functions of the file, names them and learns what the
// tiny rule needs; the edits come after the package's tiny functions are
// known (tinyPackage).
func (in *instrumenter) prepare() {
	in.roots = in.collect()
	in.markAlignedDecls(in.roots)
	top := &fn{name: in.pkg, kids: in.roots}
	in.nameKids(top)
}

// typeNames returns the names of the types the file declares at top level.
func (in *instrumenter) typeNames() map[string]bool {
	names := map[string]bool{}
	for _, d := range in.f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
			for _, s := range g.Specs {
				names[s.(*ast.TypeSpec).Name.Name] = true
			}
		}
	}
	return names
}

// run computes the edits, after prepare and tinyPackage; it reports false
// when nothing is instrumented.
func (in *instrumenter) run() bool {
	for _, r := range in.roots {
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
		if f.kind == kindPlain || f.kind == kindNoFold {
			f.kind = kindHandler
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
	case in.ctxParam(ps) != "":
		start = in.ctxStart(f, in.ctxParam(ps), ref)
	case f.lit != nil:
		start = fmt.Sprintf("__sp := %s.StartLit(%s, %s)", ImportName, outerSp, ref)
	default:
		start = fmt.Sprintf("__sp := %s.Start(%s)", ImportName, ref)
	}

	errName, wrap := in.errorResult(f.typ)
	done := "__sp.Done()"
	if errName != "" {
		done = fmt.Sprintf("__sp.DoneErr(&%s)", errName)
	}
	// The deferred end only when the span has something to end: a call
	// made inside a folded call (and every call when tracing is off) skips
	// the deferred call, most of what such a call would cost.
	end := "if __sp.Live() { defer " + done + " }"
	rename := ""
	if f.rename != "" && f.nameSet == "" { // //spangen:name wins
		// The span's name as the testing package names the subtest:
		// pkg.TestX/case_a, as the descriptor names constant ones.
		rename = fmt.Sprintf("__sp.Rename(%s + %s.Name())", strconv.Quote(in.pkg+"."), f.rename)
	}

	// Indentation, so that the output of gofmt-formatted input is
	// gofmt-formatted without re-printing the file: a body is indented one
	// tab more than the line of its closing brace; a one-line body being
	// expanded takes the indentation of the line of its opening brace, which
	// may itself be a line of an enclosing one-line body just expanded.
	b := f.body
	lb := in.off(b.Lbrace)
	call, sig, outlined := in.outline(f)
	if outlined && !in.opts.KeepLines && len(b.List) > 0 && in.off(b.List[0].Pos()) < in.lineEnd(b.Lbrace+1) {
		outlined = false // a statement on the line of the brace (not gofmt-formatted)
	}
	if in.opts.KeepLines {
		// Right after the brace, on its line, before anything else there
		// (a statement or a comment).
		text := " " + start + "; " + end + ";"
		if rename != "" {
			text += " " + rename + ";"
		}
		if outlined {
			text += " " + call + " }; " + sig + " {"
		}
		in.add(lb+1, lb+1, text)
	} else if outlined {
		brace := in.lineIndent(b.Rbrace)
		ind := brace + "\t"
		pro := "\n" + ind + start + "\n" + ind + endLines(end, ind)
		if rename != "" {
			pro += "\n" + ind + rename
		}
		pro += "\n" + ind + call + "\n" + brace + "}\n\n" + sig + " {"
		in.add(lb+1, lb+1, pro)
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
		pro := "\n" + ind + start + "\n" + ind + endLines(end, ind) + "\n"
		if rename != "" {
			pro += ind + rename + "\n"
		}
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
		pro := "\n" + ind + start + "\n" + ind + endLines(end, ind)
		if rename != "" {
			pro += "\n" + ind + rename
		}
		if len(b.List) > 0 && in.off(b.List[0].Pos()) < p {
			// A statement on the line of the brace (not gofmt-formatted).
			in.add(lb+1, lb+1, pro+"\n"+ind)
		} else {
			in.add(p, p, pro)
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
		if x.how == osExit {
			// os.Exit(__spantree.Exiting(code)): the spans still running
			// end failed with the code before the process goes.
			a := x.call.Args[0]
			in.add(in.off(a.Pos()), in.off(a.Pos()), ImportName+".Exiting(")
			in.add(in.off(a.End()), in.off(a.End()), ")")
			continue
		}
		p := in.off(x.stmt.Pos())
		sep := "\n" + in.stmtIndent(f, x.stmt)
		if in.opts.KeepLines {
			sep = "; "
		}
		call := ImportName + ".Flush()"
		if x.how == logFatal {
			call = ImportName + ".Exiting(1)" // log.Fatal exits with status 1
		}
		in.add(p, p, call+sep)
	}
	for _, x := range f.signals {
		// __spantree.Handling(sigs...) before signal.Notify(c, sigs...):
		// the runtime lets the program handle those signals itself.
		args := x.call.Args[1:]
		text := ""
		if len(args) > 0 {
			text = string(in.src[in.off(args[0].Pos()):in.off(args[len(args)-1].End())])
			if x.call.Ellipsis.IsValid() {
				text += "..."
			}
		}
		p := in.off(x.stmt.Pos())
		sep := "\n" + in.stmtIndent(f, x.stmt)
		if in.opts.KeepLines {
			sep = "; "
		}
		in.add(p, p, ImportName+".Handling("+text+")"+sep)
	}
	for _, r := range f.recovers {
		in.add(in.off(r.Pos()), in.off(r.Pos()), "__sp.Recovered(")
		in.add(in.off(r.End()), in.off(r.End()), ")")
	}
}

func (in *instrumenter) add(start, end int, text string) {
	in.edits = append(in.edits, udiff.Edit{Start: start, End: end, New: text})
}

// errorResult reports how f's error result is observed: by name in the
// deferred DoneErr, or by wrapping the returned values.
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

// endLines is the conditional deferred end laid out as gofmt lays it out, on
// three lines at indentation ind (the first line's indentation is the
// caller's).
func endLines(end, ind string) string {
	cond, body, _ := strings.Cut(end, " { ")
	return cond + " {\n" + ind + "\t" + strings.TrimSuffix(body, " }") + "\n" + ind + "}"
}
