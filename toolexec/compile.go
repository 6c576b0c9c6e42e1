package toolexec

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	pathpkg "path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/tools/txtar"

	"github.com/spantree/spantree/internal/gomod"
)

// markerFlag is the compiler flag spangen go gives, through -gcflags, to the
// packages it may instrument: -spantree=ID. It only keys the go command's
// cache; spangen removes it before running the compiler.
const markerFlag = "-spantree="

// compile instruments the package being compiled, if it is one to
// instrument: the files are rewritten into the package's object directory
// (the go command's temporary $WORK/bNNN, removed after the build), each
// starting with a //line directive naming the original file so that every
// position (panics, stack traces, compile errors, coverage, span locations)
// is the original file:line, and the runtime is added to the importcfg.
func (t *tool) compile() error {
	marked := false
	t.args = slices.DeleteFunc(t.args, func(a string) bool {
		if strings.HasPrefix(a, markerFlag) {
			marked = true
			return true
		}
		return false
	})
	if t.viaGo && !marked {
		return nil // not chosen by the -gcflags patterns
	}
	if slices.Contains(t.args, "-std") {
		return nil // the standard library, which the runtime itself uses
	}
	path := importPath(t.args)
	if ownRuntime(path) && !embedded(path) {
		// A package of the runtime module that spangen does not carry
		// (spantest, spanslog), imported by the program itself: it is
		// compiled against the runtime the instrumented code links.
		return t.pinRuntime()
	}
	if path == "" || ownRuntime(path) || t.cfg.Exports[path] != "" {
		return nil
	}
	out, _ := flagValue(t.args, "o")
	_, cfgIdx := flagValue(t.args, "importcfg")
	if out == "" || cfgIdx < 0 {
		return nil
	}
	objdir := filepath.Dir(out)
	if !filepath.IsAbs(objdir) {
		return nil
	}

	// The Go files are the last arguments.
	first := len(t.args)
	for first > 0 && strings.HasSuffix(t.args[first-1], ".go") && !strings.HasPrefix(t.args[first-1], "-") {
		first--
	}
	files := t.args[first:]
	srcs := make([]source, 0, len(files))
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	for i, f := range files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(wd, f) // the compiler runs in the package's directory
		}
		s, ok, err := readSource(f, objdir)
		if err != nil {
			return err
		}
		if ok {
			s.arg = first + i
			srcs = append(srcs, s)
		}
	}
	if len(srcs) == 0 {
		return nil
	}
	mod := gomod.FindModule(filepath.Dir(srcs[0].orig))
	if !t.cfg.Pkgs.Match(path, t.inMain(path, mod)) {
		return nil
	}
	rel := ""
	if mod != nil {
		r, err := filepath.Rel(mod.Dir, filepath.Dir(srcs[0].orig))
		if err == nil && r != "." {
			rel = filepath.ToSlash(r)
		}
	}
	outs, err := instrument(srcs, rel, t.mainLinksHTTP(srcs))
	if err != nil {
		// The rewriter could not parse a file: compile the original files,
		// so the compiler reports the error in its own words.
		return nil
	}
	if len(outs) == 0 {
		return nil
	}
	if err := t.ensureExports(); err != nil {
		return err
	}
	dir := filepath.Join(objdir, "spantree")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("instrument %s: %w", path, err)
	}
	for _, s := range outs {
		name := filepath.Join(dir, filepath.Base(s.orig))
		if err := os.WriteFile(name, s.src, 0o666); err != nil {
			return fmt.Errorf("instrument %s: %w", path, err)
		}
		t.args[s.arg] = name
	}
	imports := Exports{RuntimePath: t.cfg.Exports[RuntimePath]}
	if importsHTTP(outs) {
		hx, err := t.httpExports()
		if err != nil {
			return err
		}
		imports[HTTPPath] = hx[HTTPPath]
	}
	cfgFile, _ := flagValue(t.args, "importcfg")
	newCfg, err := addImports(cfgFile, filepath.Join(dir, "importcfg"), imports)
	if err != nil {
		return err
	}
	setFlagValue(t.args, cfgIdx, "importcfg", newCfg)
	return nil
}

// mainLinksHTTP reports whether the package being compiled is a main
// package whose program links net/http, asking the go command. It runs once
// per main package compiled (a cached compile runs no tool at all), not for
// the other packages.
func (t *tool) mainLinksHTTP(srcs []source) bool {
	if p, _ := flagValue(t.args, "p"); p != "main" {
		return false
	}
	if err := t.ensureExports(); err != nil {
		return false
	}
	args := append([]string{"list", "-deps", "-f", `{{if eq .ImportPath "net/http"}}yes{{end}}`}, t.cfg.Flags...)
	if importPath(t.args) == "command-line-arguments" {
		// go run hello.go: the files named, not their directory's package.
		for _, s := range srcs {
			args = append(args, s.orig)
		}
	} else {
		args = append(args, ".")
	}
	cmd := exec.Command(filepath.Join(t.goroot(), "bin", "go"), args...)
	cmd.Dir = filepath.Dir(srcs[0].orig)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == "TOOLEXEC_IMPORTPATH" || k == envConfig
	})
	out, err := cmd.Output()
	return err == nil && bytes.Contains(out, []byte("yes"))
}

// importsHTTP reports whether an instrumented file imports spanhttp.
func importsHTTP(outs []source) bool {
	q := []byte(strconv.Quote(HTTPPath))
	for _, s := range outs {
		if bytes.Contains(s.src, q) {
			return true
		}
	}
	return false
}

// importPath is the import path of the package being compiled, as the go
// command names it in TOOLEXEC_IMPORTPATH (without the " [p.test]" of test
// variants), or the -p flag (which says main for commands).
func importPath(args []string) string {
	if p := os.Getenv("TOOLEXEC_IMPORTPATH"); p != "" {
		p, _, _ = strings.Cut(p, " ")
		return p
	}
	p, _ := flagValue(args, "p")
	return p
}

// inMain reports whether the package path, whose files are in module mod,
// belongs to a main module.
func (t *tool) inMain(path string, mod *gomod.Module) bool {
	if path == "command-line-arguments" {
		return true // files named on the command line: go run hello.go
	}
	if mod == nil || !inModule(path, mod.Path) {
		return false // no module, or a vendored package
	}
	if t.viaGo {
		for _, m := range t.cfg.Main {
			if m.Dir == mod.Dir {
				return true
			}
		}
		return false
	}
	// A direct -toolexec build: a module on disk, not a downloaded one.
	for _, d := range []string{modCache(), t.goroot()} {
		if d != "" && inDir(mod.Dir, d) {
			return false
		}
	}
	return true
}

// inModule reports whether the package path belongs to the module modPath:
// the module's root package, a package under it, or the external test
// package of one of them (the root's is modPath_test, which is neither).
func inModule(path, modPath string) bool {
	path = strings.TrimSuffix(path, "_test")
	return path == modPath || strings.HasPrefix(path, modPath+"/")
}

// source is a Go file to instrument.
type source struct {
	orig  string // the file as the user wrote it
	src   []byte // what the compiler was given: the file, or the cover tool's copy
	cover bool   // src is the cover tool's copy, which starts with a //line directive
	arg   int    // index in the compiler's arguments
}

// readSource reads a file given to the compiler. Files in the object
// directory were generated by the go command: the cover tool's copies of the
// user's files (which start with "//line /abs/orig.go:1:1") are instrumented
// like the originals; cgo's output and test mains are not.
func readSource(name, objdir string) (source, bool, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return source{}, false, fmt.Errorf("read %s: %w", name, err)
	}
	if !inDir(name, objdir) {
		return source{orig: name, src: b}, true, nil
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	rest, ok := bytes.CutPrefix(first, []byte("//line "))
	if !ok || !bytes.HasSuffix(rest, []byte(":1:1")) {
		return source{}, false, nil
	}
	orig := string(bytes.TrimSuffix(rest, []byte(":1:1")))
	if !filepath.IsAbs(orig) || inDir(orig, objdir) {
		return source{}, false, nil
	}
	return source{orig: orig, src: b, cover: true}, true, nil
}

// ownRuntime reports whether path is a package of the spantree runtime
// module.
func ownRuntime(path string) bool {
	return path == RuntimePath || strings.HasPrefix(path, RuntimePath+"/")
}

// embedded reports whether path is a package of the runtime that spangen
// carries: a directory of the embedded archive (runtime.txtar).
func embedded(path string) bool {
	rel := "."
	if path != RuntimePath {
		var ok bool
		if rel, ok = strings.CutPrefix(path, RuntimePath+"/"); !ok {
			return false
		}
	}
	return embeddedDirs()[rel]
}

// embeddedDirs is the set of directories of the embedded archive.
var embeddedDirs = sync.OnceValue(func() map[string]bool {
	dirs := map[string]bool{}
	for _, f := range txtar.Parse(runtimeArchive).Files {
		dirs[pathpkg.Dir(f.Name)] = true
	}
	return dirs
})

// pinRuntime points the importcfg of the package being compiled at the
// runtime packages spangen built, for a package that imports the runtime
// without being instrumented: the program's own copy of the runtime module
// (a test importing spantest, a program importing spanhttp) would otherwise
// be a second package of the same path, which the linker refuses
// ("fingerprint mismatch").
func (t *tool) pinRuntime() error {
	cfgFile, cfgIdx := flagValue(t.args, "importcfg")
	out, _ := flagValue(t.args, "o")
	if cfgIdx < 0 || out == "" || !filepath.IsAbs(out) {
		return nil
	}
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		return fmt.Errorf("read importcfg: %w", err)
	}
	if !bytes.Contains(b, []byte("packagefile "+RuntimePath)) {
		return nil
	}
	if err := t.ensureExports(); err != nil {
		return err
	}
	ex := t.cfg.Exports
	if bytes.Contains(b, []byte("packagefile "+HTTPPath+"=")) {
		if ex, err = t.httpExports(); err != nil {
			return err
		}
	}
	dir := filepath.Join(filepath.Dir(out), "spantree")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("pin the runtime: %w", err)
	}
	name := filepath.Join(dir, "importcfg")
	if err := writeImportcfg(b, name, ex, false); err != nil {
		return err
	}
	setFlagValue(t.args, cfgIdx, "importcfg", name)
	return nil
}

// addImports writes to name a copy of the importcfg file from, with a
// packagefile line for each of ex that it does not have yet (see
// writeImportcfg).
func addImports(from, name string, ex Exports) (string, error) {
	b, err := os.ReadFile(from)
	if err != nil {
		return "", fmt.Errorf("read importcfg: %w", err)
	}
	return name, writeImportcfg(b, name, ex, true)
}

// writeImportcfg writes to name the importcfg b with every line for a
// package of the runtime module that ex has naming ex's archive, whatever
// archive the go command chose: a program has one runtime, the one spangen
// built. With add, a line is added for each package of ex that b lacks.
func writeImportcfg(b []byte, name string, ex Exports, add bool) error {
	have := map[string]bool{}
	var buf bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "packagefile "); ok {
			p, _, _ := strings.Cut(rest, "=")
			have[p] = true
			if ownRuntime(p) && ex[p] != "" {
				line = "packagefile " + p + "=" + ex[p]
			}
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read importcfg: %w", err)
	}
	if add {
		for _, p := range sortedKeys(ex) {
			if !have[p] {
				fmt.Fprintf(&buf, "packagefile %s=%s\n", p, ex[p])
			}
		}
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o666); err != nil {
		return fmt.Errorf("write importcfg: %w", err)
	}
	return nil
}

func inDir(name, dir string) bool {
	rel, err := filepath.Rel(dir, name)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// modCache is the module cache directory as the go command finds it.
func modCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	gp, _, _ := strings.Cut(gopath, string(os.PathListSeparator))
	return filepath.Join(gp, "pkg", "mod")
}
