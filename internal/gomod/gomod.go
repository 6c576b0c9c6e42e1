// Package gomod edits the go.mod file of a module that spangen -w
// instruments: [Require] adds the runtime's requirement (raising the go line
// where needed, in a way [Unrequire] can undo), [Unrequire] takes it out
// again. It also reads a module's path ([FindModule]).
package gomod

import (
	"bytes"
	"errors"
	"fmt"
	"go/version"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/spantree/spantree/internal/atomicfile"
	"github.com/spantree/spantree/rewrite"
)

// RuntimeVersion is the version of the runtime module an instrumented module
// requires. The runtime is not published yet, so this is the zero
// pseudo-version and a replace directive (-replace) supplies the code.
const RuntimeVersion = "v0.0.0-00010101000000-000000000000"

// MinGoVersion is the go line the runtime's own go.mod declares; a module
// that requires it must declare at least as much.
const MinGoVersion = "1.22"

// Require edits the go.mod file in moduleDir so that the module requires
// the runtime, declares go >= MinGoVersion (where it raises the go line, a
// `godebug default=goOLD` line keeps the GODEBUG defaults the module had, so
// that panic(nil), HTTP/2, TLS and other settings behave as before; Unrequire
// removes it with the go line) and, when checkout is not empty,
// replaces the runtime with checkout/runtime (made absolute). It reports
// whether the file changed; it writes it with [atomicfile.Replace].
func Require(moduleDir, checkout string) (bool, error) {
	return RequireAt(moduleDir, checkout, RuntimeVersion)
}

// RequireAt is Require with the version of the runtime to require when
// go.mod has none yet (the one [ResolveRuntime] found).
func RequireAt(moduleDir, checkout, runtimeVersion string) (bool, error) {
	return editGoMod(moduleDir, func(f *modfile.File) error {
		raised := ""
		if f.Go == nil || version.Compare("go"+f.Go.Version, "go"+MinGoVersion) < 0 {
			raised = goLineNone
			if f.Go != nil {
				raised = f.Go.Version
			}
			if err := f.AddGoStmt(MinGoVersion); err != nil {
				return err
			}
		}
		var req *modfile.Require
		for _, r := range f.Require {
			if r.Mod.Path == rewrite.RuntimePath {
				req = r
			}
		}
		if req == nil {
			if err := f.AddRequire(rewrite.RuntimePath, runtimeVersion); err != nil {
				return err
			}
			for _, r := range f.Require {
				if r.Mod.Path == rewrite.RuntimePath {
					req = r
				}
			}
		}
		if raised == goLineNone || raised != "" && version.Compare("go"+raised, "go"+prunedGoVersion) < 0 {
			if err := listBuildList(moduleDir, f); err != nil {
				return err
			}
		}
		if raised != "" && !hasGodebug(f, "default") {
			// The go line also picks the defaults of the GODEBUG
			// settings (panicnil, http2client, x509sha1, ...): keep the
			// ones the module ran with. Without it a go 1.17 module's
			// recover() of panic(nil) starts returning a
			// *runtime.PanicNilError (testify's TestDidPanic).
			if err := f.AddGodebug("default", godebugDefault(raised)); err != nil {
				return err
			}
		}
		if raised != "" && req != nil && req.Syntax != nil {
			// Said on the requirement, for Unrequire to put the go line back.
			req.Syntax.Comments.Suffix = append(req.Syntax.Comments.Suffix, modfile.Comment{Token: goLineComment + raised})
		}
		if checkout != "" {
			abs, err := filepath.Abs(filepath.Join(checkout, "runtime"))
			if err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
				return fmt.Errorf("-replace %s: no runtime module there: %w", checkout, err)
			}
			if err := f.AddReplace(rewrite.RuntimePath, "", abs, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

// goLineComment starts the comment Require leaves on the runtime's
// requirement when it raised the go line: "// spangen raised go from 1.21",
// or from goLineNone when there was no go line.
const (
	goLineComment = "// spangen raised go from "
	goLineNone    = "none"
)

// Unrequire removes from the go.mod file in moduleDir the requirement and
// the replacement of the runtime that [Require] added, and puts back the go
// line Require raised, as its comment on the requirement says.
func Unrequire(moduleDir string) (bool, error) {
	return editGoMod(moduleDir, func(f *modfile.File) error {
		was := ""
		for _, r := range f.Require {
			if r.Mod.Path != rewrite.RuntimePath || r.Syntax == nil {
				continue
			}
			for _, c := range r.Syntax.Comments.Suffix {
				if v, ok := strings.CutPrefix(c.Token, goLineComment); ok {
					was = strings.TrimSpace(v)
				}
			}
		}
		if err := f.DropRequire(rewrite.RuntimePath); err != nil {
			return err
		}
		if err := f.DropReplace(rewrite.RuntimePath, ""); err != nil {
			return err
		}
		for _, r := range slices.Clone(f.Require) {
			if r.Syntax != nil && len(r.Syntax.Comments.Suffix) > 0 && r.Syntax.Comments.Suffix[0].Token == listedComment {
				if err := f.DropRequire(r.Mod.Path); err != nil {
					return err
				}
			}
		}
		if was != "" {
			for _, g := range f.Godebug {
				if g.Key == "default" && g.Value == godebugDefault(was) {
					if err := f.DropGodebug("default"); err != nil {
						return err
					}
					break
				}
			}
		}
		switch {
		case was == goLineNone:
			f.DropGoStmt()
		case was != "" && f.Go != nil && f.Go.Version == MinGoVersion:
			// Only if nobody changed it since.
			return f.AddGoStmt(was)
		}
		return nil
	})
}

// prunedGoVersion is the go line from which the go command prunes the
// module graph and wants go.mod to list every module that provides a package
// to the build, directly or not.
const prunedGoVersion = "1.17"

// listedComment marks the requirements that Require listed because it
// raised the go line past prunedGoVersion; Unrequire drops them. It starts
// with "indirect;", which keeps them indirect to the go command.
const listedComment = "// indirect; listed by spangen for go 1.17"

// listBuildList adds to f, as indirect requirements marked with
// listedComment, the modules of the build list of the module in dir that f
// does not require yet. It runs before f is written, so the go command
// still reads the go.mod of a go line before 1.17, whose graph is not
// pruned; with the raised go line the go command would refuse to build
// ("updates to go.mod needed") until they are listed: cobra at go 1.15
// needs blackfriday, which only go-md2man requires. (go get go@1.22 lists
// the same modules.)
func listBuildList(dir string, f *modfile.File) error {
	cmd := exec.Command("go", "list", "-m", "-f", "{{if not .Main}}{{.Path}} {{.Version}}{{end}}", "all")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go list -m all (to list the modules go %s wants listed): %w: %s", MinGoVersion, err, bytes.TrimSpace(stderr.Bytes()))
	}
	have := map[string]bool{}
	for _, r := range f.Require {
		have[r.Mod.Path] = true
	}
	for _, line := range strings.Split(string(out), "\n") {
		path, vers, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || have[path] || path == rewrite.RuntimePath {
			continue
		}
		have[path] = true
		f.AddNewRequire(path, vers, true)
		r := f.Require[len(f.Require)-1]
		r.Syntax.Comments.Suffix = []modfile.Comment{{Token: listedComment, Suffix: true}}
	}
	return nil
}

// godebugDefault is the go version whose GODEBUG defaults a module had
// before Require raised its go line from was (a version or goLineNone; a
// main module without a go line is go 1.16 to the go command).
func godebugDefault(was string) string {
	if was == goLineNone {
		return "go1.16"
	}
	return "go" + was
}

func hasGodebug(f *modfile.File, key string) bool {
	for _, g := range f.Godebug {
		if g.Key == key {
			return true
		}
	}
	return false
}

func editGoMod(moduleDir string, change func(*modfile.File) error) (bool, error) {
	name := filepath.Join(moduleDir, "go.mod")
	data, err := os.ReadFile(name)
	if err != nil {
		return false, err // the error names the file
	}
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		return false, err
	}
	if err := change(f); err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	f.Cleanup()
	out, err := f.Format()
	if err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	if bytes.Equal(out, data) {
		return false, nil
	}
	return true, atomicfile.Replace(name, out)
}

// Module is a module on disk.
type Module struct {
	Path string // the module path its go.mod declares
	Dir  string // the directory of its go.mod
}

// ReadModule reads the module path of the go.mod file name.
func ReadModule(name string) (Module, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return Module{}, fmt.Errorf("read the main module: %w", err)
	}
	path := modfile.ModulePath(b)
	if path == "" {
		return Module{}, fmt.Errorf("%s: no module line", name)
	}
	return Module{Path: path, Dir: filepath.Dir(name)}, nil
}

// FindModule returns the module of the nearest go.mod at or above dir, or
// nil when there is none or that go.mod declares no module path.
func FindModule(dir string) *Module {
	for d := dir; ; {
		name := filepath.Join(d, "go.mod")
		if _, err := os.Stat(name); err == nil {
			if m, err := ReadModule(name); err == nil {
				return &m
			}
			return nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil
		}
		d = parent
	}
}

// ErrRuntimeUnresolved is the error of [ResolveRuntime] when the go command
// cannot find the runtime module.
var ErrRuntimeUnresolved = errors.New("the spantree runtime module cannot be resolved")

// ResolveRuntime tells which version of the runtime the module in moduleDir
// can require without a replace directive: "" when its go.mod already
// replaces or requires the runtime (nothing to choose), else the latest
// version the go command resolves. When there is none (the runtime is not
// published, or the module proxy is off), the error wraps
// ErrRuntimeUnresolved and says what to do instead, so that spangen -w never
// leaves a go.mod that go build cannot satisfy.
func ResolveRuntime(moduleDir string) (string, error) {
	name := filepath.Join(moduleDir, "go.mod")
	data, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		return "", err
	}
	for _, r := range f.Replace {
		if r.Old.Path == rewrite.RuntimePath {
			return "", nil
		}
	}
	for _, r := range f.Require {
		if r.Mod.Path == rewrite.RuntimePath && r.Mod.Version != RuntimeVersion {
			return "", nil
		}
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", rewrite.RuntimePath+"@latest")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return v, nil
	}
	why := strings.TrimSpace(stderr.String())
	if why == "" && err != nil {
		why = err.Error()
	}
	return "", fmt.Errorf("%s: %w (%s).\nPass -replace DIR with a spantree checkout to use the runtime from there, or build without rewriting: spangen go build ./... (or go test, go run)",
		name, ErrRuntimeUnresolved, firstLine(why))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
