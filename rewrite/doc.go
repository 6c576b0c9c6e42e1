// Package rewrite instruments Go source so that every function body runs in a
// span of the spantree runtime, and removes that instrumentation again.
//
// [File] rewrites one file given its bytes and needs no type information, so
// the same code serves `spangen -w` (after internal/load has found the files with
// golang.org/x/tools/go/packages) and compile-time instrumentation through
// -toolexec, which sees one package's files at a time ([Files]).
//
// # How the source is changed
//
// The rewrite is a list of edits on the original text, computed from go/ast
// positions, applied, and the result gofmt-formatted. Nothing else in the file
// moves, so every comment stays where it was, and [Undo] can delete exactly
// what was inserted: for a gofmt-formatted file, Undo(File(src)) == src byte
// for byte. (dave/dst, which the design card names, re-prints the whole file
// from its tree; its round trip is not byte-exact on real code and costs
// several times a gofmt, so it is not used for the edits. See the package's
// tests on go-cmp, ksuid and x/sync for the byte-exact check.)
//
// Each instrumented function gets two statements in front of its body:
//
//	__sp := __spantree.Start(&__spantree_fns_file[0])
//	if __sp.Live() {
//		defer __sp.Done()
//	}
//
// (Live is false for a call made inside a folded call, and for every call
// when tracing is off: those calls skip the deferred call, which is most of
// what they would cost. Undo also takes out the shape of earlier releases,
// the defer on its own.)
// A function whose defers the compiler would not open-code (returns times
// defers above 15, a defer in a loop, more than 8 defers) keeps only the
// prologue and `return __spantree_NAME(__sp, args...)`; its body moves
// unchanged to __spantree_NAME, which takes the Span first (see outline.go:
// every return of such a function would otherwise call runtime.deferreturn,
// about 12 ns, folded or not).
// with StartContext (reassigning the first named context.Context parameter,
// except in a function that compares that parameter with == or != or
// asserts its type, or where it escapes (returned, stored, sent, captured by
// a literal that may outlive the call), where `_, __sp :=
// ...StartContext(ctx, ...)` leaves it the caller's: `if ctx == nil` and
// `ctx.(*T)` would see the span's context, and a context kept after the
// call would carry a span that has ended)
// or StartLit (function literals, whose lexical parent is the enclosing __sp)
// in place of Start; an HTTP handler (func(http.ResponseWriter,
// *http.Request)) starts with `w, __sp := __spanhttp.StartHandler(outer, w,
// r, &...)` instead, which makes w record the answer's status on the span
// (__spanhttp.Start(outer, r, &...) when the writer is unnamed; see
// "net/http" below).
// A function whose last result is a named error defers `__sp.DoneErr(&err)` instead; a function
// whose last result is an unnamed error wraps the error of each return
// statement in __sp.Err(...) (a `return f()` of several values goes through
// temporaries __rN; where a goto of the function jumps over that return to
// a label after it, which the compiler forbids across a declaration, the
// temporaries are declared in the init statement of a switch that holds the
// return: `switch __r0, __r1 := f(); { default: return __r0,
// __sp.Err(__r1) }`). The argument of os.Exit goes through the runtime,
// `os.Exit(__spantree.Exiting(code))`, which ends the spans still running
// as failed with the code; log.Fatal* gets `__spantree.Exiting(1)` in front
// and log.Panic* `__spantree.Flush()`. A statement calling signal.Notify or
// signal.NotifyContext gets `__spantree.Handling(sigs...)` in front, with
// the same signals: the runtime, which flushes on SIGTERM and SIGINT and
// then dies of the signal, leaves those to the program's own handler (such
// a function always gets a span). In a deferred function literal,
// `recover()` becomes `__sp.Recovered(recover())`, which records the panic
// it stops on the span of the function that deferred the literal when no
// span recorded it (such a literal always gets a span); and a subtest
// literal whose name is not a constant, `t.Run(tc.name, func(t
// *testing.T) {...})`, renames its span after the prologue,
// `__sp.Rename("pkg." + t.Name())`. The file imports the runtime under
// the fixed name __spantree, in an import declaration of its own after the
// others (and spanhttp in one on the next line where it needs it), and ends
// with one table of descriptors, __spantree_fns_<file>,
// named after the file so that the tables of one package never collide. A
// function whose body was on one line is marked in the table ("// was one
// line") so that Undo can put it back on one line.
//
// # net/http
//
// Everything of the runtime that needs net/http lives in its own package,
// [HTTPPath] (spanhttp): handler spans, W3C traceparent propagation on
// net/http clients and the http(s):// and otlp+http(s):// sinks, the last two
// installed by merely importing it. The core runtime does not import net/http,
// so that instrumenting a program that never uses it (a CLI) does not link
// net/http, crypto/tls and the cgo resolver into it (measured: that made clean
// builds 1.9x and binaries 2.5x those of the plain program). So the rewriter
// imports spanhttp, right after the runtime's import, where the program
// needs it:
//
//   - as __spanhttp in a file with a handler, which calls __spanhttp.StartHandler;
//   - blank (import _ "...") in every other instrumented file that imports
//     net/http itself, so that a program whose own code uses net/http links
//     propagation and the HTTP sinks;
//   - blank in the file of package main that declares func main when
//     [Options.LinksHTTP] says that the program links net/http through its
//     dependencies (spangen -w finds that out with go list; see internal/load).
//
// A file that already imports spanhttp gets no blank import. A program that
// links no spanhttp has the tree, json, json:PATH and off sinks only.
//
// File removes earlier instrumentation before it adds its own, so running it
// twice changes nothing, and a file edited since it was instrumented gets
// fresh names and lines.
//
// # What is skipped, and why
//
//   - Files with the "// Code generated ... DO NOT EDIT." header, and cgo files
//     (import "C"): their source is not the user's to change.
//   - Functions without a body (assembly, linkname pulls): nothing to wrap.
//   - init functions, unless [Options.Init]: they run before main, often
//     before the runtime is configured, and a span each is noise. TestMain:
//     it would make every test one trace.
//   - Functions with compiler directives other than //go:noinline
//     (//go:nosplit, //go:linkname, //go:norace, //go:nowritebarrier...,
//     //go:systemstack, //go:uintptrescapes, //go:fix inline...): a call into
//     the runtime there can overflow a nosplit stack, add a write barrier or
//     race instrumentation where the compiler promised none, or be copied into
//     callers by go fix.
//   - //spangen:ignore in a function's doc comment (or the line above a
//     function literal) skips it and the literals inside it; above the package
//     clause, separated from it, it skips the file; in the package doc comment
//     it skips the whole package.
//   - Function literals in one-line bodies that hold comments: they cannot be
//     put back on one line exactly.
//
// # Tiny functions (the fold rule)
//
// A span costs tens of nanoseconds; functions that are called millions of
// times and do almost nothing would swamp a trace and slow the program. Two
// kinds are left alone by default:
//
//   - methods named String, Error, GoString, Format, Len, Less or Swap (fmt,
//     errors and sort call them in loops);
//   - leaf functions and literals: no calls other than to builtins,
//     conversions (to predeclared types and the package's own), functions
//     of the standard library's pure packages (bytes, strings, strconv,
//     math, math/bits, unicode, utf8, slices, maps, cmp, errors,
//     encoding/binary, encoding/hex, sync/atomic, unsafe) and tiny functions
//     of the same package, no loops, no go, defer or select statements, no channel
//     operations, no function literals, and at most 80 syntax nodes (the
//     inliner's budget is 80). These are the functions the compiler would
//     inline anyway. A longer one is a leaf too when the longest path
//     through it is within 160 nodes (an if counts its larger branch, or
//     ends the path when its body returns; a switch its largest clause):
//     straight-line code runs each node of that path once at most, so a
//     composite literal of twenty byte conversions or an iterator's Next
//     that decodes one record of several kinds costs less than a span
//     would. In a test file, a call of t.Fatalf, t.Errorf, t.Skip and the
//     like counts as none (it runs when the test fails), so that a
//     benchmark's per-item callback stays tiny. Which functions of a
//     package are tiny depends on each other, so [Files] decides it for all
//     the files of a package at once, as the least fixed point over the
//     calls (names resolved without types: a method call counts as tiny
//     when every method of that name in the package is); recursion is never
//     tiny. [File] alone sees one file;
//   - wrappers: a body of one statement making one call of a function or
//     method of this package (at most 40 nodes), such as `return
//     l.less(a, b)`, after guards if any (if statements without else that
//     only return: `if len(s) == 0 || s[0] > ' ' { return s }; return
//     skipSlow(s)`, a fast path that skips the call): the callee has the
//     span, and the wrapper would only add a level. A wrapper of another package's function (`time.Sleep(d)`,
//     `http.Get(url)`) is not tiny: that is where time goes; a call of a pure
//     package (`bytes.Compare(a, b)`) only computes, and counts as none;
//   - callbacks of the standard library's algorithms: a literal passed to
//     sort.Search, sort.Slice, slices.SortFunc, slices.BinarySearchFunc,
//     strings.Map, strings.IndexFunc and the like (stdCallbacks), whose
//     code is straight-line within 160 nodes on its longest path, whatever
//     it calls. The algorithm calls it per item, a B-tree's search five
//     times a node; a span of its own would only repeat its caller's, while
//     the functions it calls keep theirs, beneath that caller.
//
// A function whose last result is an error is never tiny: the error is what
// a trace is for. Unless it cannot fail: every one of its return statements
// gives a literal nil error (a hash's Write, an io.Writer into memory); then
// the rules above decide, so that such a function stays as cheap, inlinable
// and allocation-free as it was.
//
// [Options.Tiny] (spangen -tiny) instruments them too; so does a
// //spangen:name NAME or //spangen:nofold directive on one function.
// Everything else that runs fast and often is folded by the runtime into one
// line with a count; //spangen:nofold (Kind: KindNoFold) prevents that.
//
// # Names
//
// Functions are pkg.Func, pkg.(*T).Method, pkg.T.Method, pkg.(*T[...]).Method
// (pkg is the package name; main for commands). A function literal is named
// after the function it is written in plus its call context:
//
//	mux.HandleFunc("/users", func...)       pkg.Serve.HandleFunc(/users)
//	t.Run("case a", func(t *testing.T)...)  pkg.TestX/case_a (as go test -run names it)
//	t.Run(tc.name, func(t *testing.T)...)   pkg.TestX/* in the table, renamed at run time after t.Name()
//	g.Go(func...), twice                    pkg.Fetch.Go#1, pkg.Fetch.Go#2
//	go func() {...}()                       pkg.F.go#1
//	defer func() {...}()                    pkg.F.defer
//	sort.Slice(s, func...)                  pkg.F.sort.Slice
//	http.HandlerFunc(func...)               pkg.F.http.HandlerFunc
//	T{OnDone: func...}                      pkg.F.OnDone
//	h := func...                            pkg.F.h
//	anything else                           pkg.F.func#1
//
// Names that occur more than once in one function are numbered #1, #2, ...;
// goroutine launches (go statements, Go and TryGo methods) always are.
// //spangen:name NAME in a function's doc comment, or on the line above a
// literal, sets the name.
package rewrite
