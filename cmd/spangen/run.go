package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/spantree/spantree/internal/atomicfile"
	"github.com/spantree/spantree/internal/gomod"
	"github.com/spantree/spantree/internal/load"
	"github.com/spantree/spantree/rewrite"
)

const usage = `usage: spangen [-w | -d | -l] [-undo] [-replace DIR] [-init] [-tiny] [packages | files]
       spangen go build|test|run|install|vet [go flags] [packages]
       spangen toolexec ...   (what go build -toolexec="spangen toolexec" runs)

The first form rewrites the Go files of packages (go list patterns, default
".") or the files named (as gofmt does) so that every function runs in a
span; -undo takes the instrumentation out again. Without -w, -d or -l the
result is printed. -w also makes go.mod require the runtime: with -replace
DIR from a spantree checkout, else the runtime must resolve (spangen -w
refuses, writing nothing, when it does not).

spangen go runs the go command with the module's packages instrumented
while they compile, the source left as it is (zero-touch): spangen go test
./..., spangen go run .

Flags of the first form:
`

// flags are the command line of one run.
type flags struct {
	write, diff, list, undo bool
	replace                 string
	opts                    rewrite.Options
	patterns                []string
}

func parseFlags(args []string) (*flags, error) {
	fs := flag.NewFlagSet("spangen", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var f flags
	fs.BoolVar(&f.write, "w", false, "write the result to the files instead of printing it")
	fs.BoolVar(&f.diff, "d", false, "print a unified diff instead of the result")
	fs.BoolVar(&f.list, "l", false, "list the files whose content would change")
	fs.BoolVar(&f.undo, "undo", false, "remove the instrumentation instead of adding it")
	fs.StringVar(&f.replace, "replace", "", "with -w, also replace the runtime module by `DIR`/runtime (a spantree checkout) in go.mod")
	fs.BoolVar(&f.opts.Init, "init", false, "instrument init functions too")
	fs.BoolVar(&f.opts.Tiny, "tiny", false, "instrument tiny functions too (String, Len, leaf helpers; see the rewrite package)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	n := 0
	for _, b := range []bool{f.write, f.diff, f.list} {
		if b {
			n++
		}
	}
	if n > 1 {
		return nil, usageError(fs, "-w, -d and -l exclude each other")
	}
	if f.replace != "" && !f.write {
		return nil, usageError(fs, "-replace needs -w")
	}
	if f.replace != "" && f.undo {
		return nil, usageError(fs, "-replace and -undo exclude each other")
	}
	f.patterns = fs.Args()
	return &f, nil
}

func usageError(fs *flag.FlagSet, msg string) error {
	fmt.Fprintf(fs.Output(), "spangen: %s\n", msg)
	fs.Usage()
	return flag.ErrHelp
}

// change is the new content of one file.
type change struct {
	name     string
	old, new []byte
}

func run(args []string) int {
	log.SetFlags(0)
	log.SetPrefix("spangen: ")
	f, err := parseFlags(args)
	if err != nil {
		return 2
	}
	cache := openFixedPoints()
	pkgs, modules, err := rewriteAll(f, cache)
	if err != nil {
		log.Print(err)
		return 1
	}
	var changes []change
	for _, p := range pkgs {
		changes = append(changes, p.changes...)
	}
	switch {
	case f.list:
		for _, c := range changes {
			if !bytes.Equal(c.old, c.new) {
				fmt.Println(display(c.name))
			}
		}
	case f.diff:
		for _, c := range changes {
			if !bytes.Equal(c.old, c.new) {
				name := display(c.name)
				fmt.Print(udiff.Unified(name+".orig", name, string(c.old), string(c.new)))
			}
		}
	case f.write:
		// Without -replace, the module must be able to get the runtime
		// (published, or replaced already): refuse before writing anything
		// rather than leave a module that go build cannot satisfy.
		versions := map[string]string{}
		if !f.undo && f.replace == "" {
			for _, dir := range modules {
				v, err := gomod.ResolveRuntime(dir)
				if err != nil {
					log.Print(err)
					return 1
				}
				versions[dir] = v
			}
		}
		if err := writeAll(changes); err != nil {
			log.Print(err)
			return 1
		}
		for _, p := range pkgs {
			p.remember(cache, f.undo)
		}
		for _, dir := range modules {
			var err error
			if f.undo {
				_, err = gomod.Unrequire(dir)
			} else {
				v := versions[dir]
				if v == "" {
					v = gomod.RuntimeVersion
				}
				_, err = gomod.RequireAt(dir, f.replace, v)
			}
			if err != nil {
				log.Print(err)
				return 1
			}
		}
	default:
		for _, c := range changes {
			os.Stdout.Write(c.new)
		}
	}
	return 0
}

// rewriteAll computes the new content of every file of the packages, and the
// module directories they belong to. Any error stops everything: nothing is
// written unless every file could be rewritten. The packages are rewritten
// in parallel (one at a time per processor), their results kept in order.
//
// Nothing here needs type information: every question the rewrite asks
// (which functions take a context, return an error, are tiny) is answered
// from the syntax, so the packages are only listed (go list), never
// compiled, and a first run costs about what a second one does.
func rewriteAll(f *flags, cache *fixedPoints) ([]*pkgChanges, []string, error) {
	pkgs, err := load.Packages(load.Config{FindHTTP: !f.undo}, f.patterns...)
	if err != nil {
		return nil, nil, err
	}
	var (
		modules []string
		seenMod = map[string]bool{}
	)
	for _, p := range pkgs {
		if !seenMod[p.ModuleDir] {
			seenMod[p.ModuleDir] = true
			modules = append(modules, p.ModuleDir)
		}
	}
	results := make([]*pkgChanges, len(pkgs))
	prog := newProgress(os.Stderr, isTerminal(os.Stderr), len(pkgs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(pkgs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = rewritePackage(pkgs[i], f, cache)
				prog.done()
			}
		}()
	}
	for i := range pkgs {
		work <- i
	}
	close(work)
	wg.Wait()
	prog.end()
	var errs []error
	for _, r := range results {
		errs = append(errs, r.errs...)
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return results, modules, nil
}

// pkgChanges are the new contents of the files of one package.
type pkgChanges struct {
	pkg     *load.Package
	opts    rewrite.Options
	changes []change
	errs    []error
}

// rewritePackage computes the new content of the files of p; when the
// cache knows them as a fixed point, that is what they are.
func rewritePackage(p *load.Package, f *flags, cache *fixedPoints) *pkgChanges {
	r := &pkgChanges{pkg: p, opts: f.opts}
	r.opts.Dir = p.Dir
	r.opts.LinksHTTP = p.LinksHTTP
	srcs := make([]rewrite.Source, 0, len(p.Files))
	for _, name := range p.Files {
		b, err := os.ReadFile(name)
		if err != nil {
			r.errs = append(r.errs, err)
			continue
		}
		srcs = append(srcs, rewrite.Source{Name: name, Src: b})
	}
	if len(r.errs) > 0 {
		return r
	}
	out := srcs
	if !cache.fixed(p, srcs, r.opts, f.undo) {
		var err error
		out, err = rewrite.Files(srcs, r.opts, f.undo)
		if err != nil {
			r.errs = append(r.errs, err)
			return r
		}
	}
	r.changes = make([]change, len(out))
	for i, o := range out {
		r.changes[i] = change{name: o.Name, old: srcs[i].Src, new: o.Src}
	}
	if !r.changed() {
		cache.remember(p, srcs, r.opts, f.undo)
	}
	return r
}

// changed reports whether the rewrite changes a file of the package.
func (r *pkgChanges) changed() bool {
	for _, c := range r.changes {
		if !bytes.Equal(c.old, c.new) {
			return true
		}
	}
	return false
}

// remember records, once the new contents are written, that they are a
// fixed point of the rewrite (File is idempotent).
func (r *pkgChanges) remember(cache *fixedPoints, undo bool) {
	if !r.changed() {
		return // remembered when computed
	}
	srcs := make([]rewrite.Source, len(r.changes))
	for i, c := range r.changes {
		srcs[i] = rewrite.Source{Name: c.name, Src: c.new}
	}
	cache.remember(r.pkg, srcs, r.opts, undo)
}

// writeAll writes the changed files, after checking that every one of them
// can be written.
func writeAll(changes []change) error {
	var errs []error
	for _, c := range changes {
		if !bytes.Equal(c.old, c.new) {
			if _, err := atomicfile.CheckWritable(c.name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, c := range changes {
		if !bytes.Equal(c.old, c.new) {
			if err := atomicfile.Replace(c.name, c.new); err != nil {
				return err
			}
		}
	}
	return nil
}

// display names a file relative to the current directory when it is below it.
func display(name string) string {
	wd, err := os.Getwd()
	if err != nil {
		return name
	}
	rel, err := filepath.Rel(wd, name)
	if err != nil || strings.HasPrefix(rel, "..") {
		return name
	}
	return rel
}
