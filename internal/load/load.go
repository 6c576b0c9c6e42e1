// Package load finds the Go files of the packages that spangen rewrites in
// place (spangen -w, -d, -l): the packages of the main module that go list
// patterns match, with their tests and the files of other build
// configurations, grouped by directory.
package load

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Package is one directory of Go files to rewrite: a package with its tests
// and the files other build configurations use.
type Package struct {
	// Path is the import path of the package.
	Path string
	// ModuleDir is the root directory of the package's module.
	ModuleDir string
	// ModulePath is the path of the package's module.
	ModulePath string
	// Dir is the package's directory relative to ModuleDir, slash-separated
	// ("" for the root): the rewrite.Options.Dir of its files.
	Dir string
	// Files are the absolute names of its Go files, sorted.
	Files []string
	// LinksHTTP reports that the package is a command (package main) whose
	// dependencies include net/http: its files are rewritten with
	// rewrite.Options.LinksHTTP. [Packages] finds it out when Config.FindHTTP
	// is set.
	LinksHTTP bool
}

// Config configures [Packages].
type Config struct {
	// Dir is the directory patterns are relative to; "" means the current one.
	Dir string
	// FindHTTP sets Package.LinksHTTP: the load then takes in the import
	// graph of every package (about a tenth more time).
	FindHTTP bool
}

// Packages lists the packages that patterns (as for go list: ".", "./...")
// match, with their test files and the Go files that other build
// configurations use, grouped by directory. Only packages of main modules
// are allowed. A pattern that matches nothing, a package with errors or one
// outside a module is an error.
func Packages(cfg Config, patterns ...string) ([]*Package, error) {
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	files, others, err := splitFiles(cfg.Dir, patterns)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		return filePackages(cfg, files, others)
	}
	// Names and files only: the rewrite asks nothing of types, and having
	// the go command compile every package (and its tests) to report type
	// errors first made a first run on golang.org/x/tools take 18-27 s
	// where gofmt -l takes half a second.
	mode := packages.NeedName | packages.NeedFiles | packages.NeedModule
	if cfg.FindHTTP {
		// The import graph, for Package.LinksHTTP. Measured on
		// golang.org/x/tools (835 files, warm cache, spangen -l): +50ms
		// over 540ms, where a second go list of the commands' Deps cost
		// +125ms.
		mode |= packages.NeedImports | packages.NeedDeps
	}
	pkgs, err := packages.Load(&packages.Config{Mode: mode, Dir: cfg.Dir, Tests: true}, patterns...)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", strings.Join(patterns, " "), err)
	}
	var errs []error
	byDir := map[string]*Package{}
	commands := map[string]*Package{} // import path -> package main
	for _, p := range pkgs {
		for _, e := range p.Errors {
			errs = append(errs, loadError(e))
		}
		if len(p.Errors) > 0 || strings.HasSuffix(p.ID, ".test") {
			continue // the generated test main
		}
		files := slices.Concat(p.GoFiles, p.IgnoredFiles)
		if len(files) == 0 {
			continue
		}
		if p.Module == nil {
			errs = append(errs, fmt.Errorf("%s: not in a module (no go.mod)", p.PkgPath))
			continue
		}
		if !p.Module.Main {
			errs = append(errs, fmt.Errorf("%s: not in the main module %s (it belongs to %s)", p.PkgPath, mainModule(pkgs), p.Module.Path))
			continue
		}
		dir := filepath.Dir(files[0])
		t := byDir[dir]
		if t == nil {
			rel, err := filepath.Rel(p.Module.Dir, dir)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", dir, err)
			}
			rel = filepath.ToSlash(rel)
			if rel == "." {
				rel = ""
			}
			t = &Package{Path: p.PkgPath, ModuleDir: p.Module.Dir, ModulePath: p.Module.Path, Dir: rel}
			byDir[dir] = t
		}
		if p.Name == "main" && p.ID == p.PkgPath { // not a test variant
			commands[p.ID] = t
		}
		for _, f := range files {
			if strings.HasSuffix(f, ".go") && filepath.Dir(f) == dir {
				t.Files = append(t.Files, f)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(dedupe(errs)...)
	}
	if len(byDir) == 0 {
		if gomod, err := goEnv(cfg.Dir, "GOMOD"); err == nil && (gomod == "" || gomod == os.DevNull) {
			return nil, fmt.Errorf("no go.mod in %s or above: spangen instruments the packages of a module", displayDir(cfg.Dir))
		}
		return nil, fmt.Errorf("%s: matched no packages", strings.Join(patterns, " "))
	}
	if cfg.FindHTTP {
		findHTTP(pkgs, commands)
	}
	out := make([]*Package, 0, len(byDir))
	for _, t := range byDir {
		slices.Sort(t.Files)
		t.Files = slices.Compact(t.Files)
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ModuleDir+"/"+out[i].Dir < out[j].ModuleDir+"/"+out[j].Dir })
	return out, nil
}

// findHTTP sets LinksHTTP of the commands whose dependencies include
// net/http, from the import graph of the loaded packages.
func findHTTP(pkgs []*packages.Package, commands map[string]*Package) {
	links := map[*packages.Package]bool{}
	var visit func(p *packages.Package) bool
	visit = func(p *packages.Package) bool {
		if v, ok := links[p]; ok {
			return v
		}
		links[p] = false // a cycle (there is none in a graph that loaded) ends here
		v := p.PkgPath == "net/http"
		for _, q := range p.Imports {
			v = visit(q) || v
		}
		links[p] = v
		return v
	}
	for _, p := range pkgs {
		if t := commands[p.ID]; t != nil && visit(p) {
			t.LinksHTTP = true
		}
	}
}

func goEnv(dir, key string) (string, error) {
	cmd := exec.Command("go", "env", key)
	cmd.Dir = dir
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

func displayDir(dir string) string {
	if dir == "" {
		return "the current directory"
	}
	return dir
}

func mainModule(pkgs []*packages.Package) string {
	for _, p := range pkgs {
		if p.Module != nil && p.Module.Main {
			return p.Module.Path
		}
	}
	return "(none)"
}

// loadError turns a go/packages error into file:line:col: message lines,
// without the "# pkg" headers the go command puts above compiler output.
func loadError(e packages.Error) error {
	msg := strings.TrimSpace(e.Msg)
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(l, "# ") || strings.TrimSpace(l) == "" {
			continue
		}
		lines = append(lines, l)
	}
	msg = strings.Join(lines, "\n")
	if e.Pos != "" && e.Pos != "-" && !strings.HasPrefix(msg, e.Pos) {
		msg = e.Pos + ": " + msg
	}
	return errors.New(msg)
}

func dedupe(errs []error) []error {
	seen := map[string]bool{}
	var out []error
	for _, e := range errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

// splitFiles separates the arguments that name Go files (as gofmt takes
// them) from the package patterns; files come back absolute.
func splitFiles(dir string, patterns []string) (files map[string]bool, others []string, err error) {
	for _, p := range patterns {
		if !strings.HasSuffix(p, ".go") {
			others = append(others, p)
			continue
		}
		abs := p
		if !filepath.IsAbs(abs) {
			base := dir
			if base == "" {
				if base, err = os.Getwd(); err != nil {
					return nil, nil, err
				}
			}
			abs = filepath.Join(base, p)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		if !fi.Mode().IsRegular() {
			others = append(others, p) // a directory named like a file: a pattern
			continue
		}
		if files == nil {
			files = map[string]bool{}
		}
		files[abs] = true
	}
	return files, others, nil
}

// filePackages loads the packages of the directories of files, keeping
// only those files of them, and the packages of the other patterns whole.
func filePackages(cfg Config, files map[string]bool, others []string) ([]*Package, error) {
	dirs := map[string]bool{}
	for f := range files {
		dirs[filepath.Dir(f)] = true
	}
	var pats []string
	for d := range dirs {
		pats = append(pats, d)
	}
	slices.Sort(pats)
	named, err := Packages(cfg, pats...)
	if err != nil {
		return nil, err
	}
	var out []*Package
	for _, p := range named {
		keep := p.Files[:0:0]
		for _, f := range p.Files {
			if files[f] {
				keep = append(keep, f)
			}
		}
		if len(keep) > 0 {
			p.Files = keep
			out = append(out, p)
		}
	}
	if len(others) == 0 {
		return out, nil
	}
	whole, err := Packages(cfg, others...)
	if err != nil {
		return nil, err
	}
	byDir := map[string]*Package{}
	for _, p := range out {
		byDir[filepath.Join(p.ModuleDir, p.Dir)] = p
	}
	for _, p := range whole {
		if q := byDir[filepath.Join(p.ModuleDir, p.Dir)]; q != nil {
			*q = *p // named as a file and matched as a package: all of it
			continue
		}
		out = append(out, p)
	}
	return out, nil
}
