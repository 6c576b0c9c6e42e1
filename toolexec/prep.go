package toolexec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Exports maps import paths to the files holding their compiled archives
// (export data and object code), as `go list -export` reports them.
type Exports map[string]string

// compileFlags are the go build flags that change how the runtime and the
// standard packages it imports are compiled. The runtime must be compiled
// exactly like the packages it is linked with, or the linker rejects it
// ("fingerprint mismatch"), so these are passed on to the go command that
// builds it.
var compileFlags = map[string]bool{
	"race": true, "msan": true, "asan": true, "tags": true, "trimpath": true,
	"gcflags": true, "asmflags": true, "buildmode": true, "linkshared": true,
	"installsuffix": true, "compiler": true,
}

// prepare builds pkg, a package of the embedded runtime (RuntimePath or
// HTTPPath), and the standard packages it imports with the go command of
// goroot, as a build with flags would, and returns their archives. The go
// command's own cache holds the archives; a small memo in the spangen cache,
// checked against the files it names, spares running the go command again
// for the same package, toolchain, environment and flags.
func prepare(goroot string, flags []string, pkg string) (Exports, error) {
	dir, err := cacheDir()
	if err != nil {
		return nil, err
	}
	key := prepKey(goroot, flags, pkg)
	memo := filepath.Join(dir, "exports", key+".json")
	if ex, ok := readMemo(memo, pkg); ok {
		return ex, nil
	}
	src, err := extractRuntime(dir)
	if err != nil {
		return nil, err
	}
	args := append([]string{"list", "-export", "-deps", "-f", "{{if .Export}}{{.ImportPath}}\t{{.Export}}{{end}}"}, flags...)
	args = append(args, pkg)
	cmd := exec.Command(filepath.Join(goroot, "bin", "go"), args...)
	cmd.Dir = src
	cmd.Env = append(cleanEnv(os.Environ()), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("build the spantree runtime (go %s): %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	ex := Exports{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, file, ok := strings.Cut(line, "\t")
		if ok {
			ex[path] = file
		}
	}
	if ex[pkg] == "" {
		return nil, fmt.Errorf("build the spantree runtime: go list reported no archive for %s", pkg)
	}
	b, err := json.Marshal(ex)
	if err != nil {
		return nil, err
	}
	if err := writeCache(memo, b); err != nil {
		return nil, err
	}
	return ex, nil
}

// readMemo reads a memo of exports, valid only while every file it names is
// still in the go command's cache (go clean -cache, or trimming, removes them).
func readMemo(name, pkg string) (Exports, bool) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, false
	}
	var ex Exports
	if json.Unmarshal(b, &ex) != nil || ex[pkg] == "" {
		return nil, false
	}
	for _, f := range ex {
		if _, err := os.Stat(f); err != nil {
			return nil, false
		}
	}
	return ex, true
}

// cleanEnv drops from env what must not reach the go command that builds the
// runtime: GOFLAGS (the relevant flags are passed explicitly; -toolexec,
// -mod or -modfile would break it) and the variables the go command sets for
// the tools it runs.
func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOFLAGS", "GOWORK", "GOTOOLCHAIN", "TOOLEXEC_IMPORTPATH", envConfig:
			continue
		}
		out = append(out, kv)
	}
	return out
}

// prepKey identifies a build configuration of a runtime package: the
// package, the embedded source, the toolchain, the environment variables that configure the go
// command (GO*, CGO_*, CC...) and its go env file, and the flags.
func prepKey(goroot string, flags []string, pkg string) string {
	h := sha256.New()
	fmt.Fprintf(h, "runtime %s\npackage %s\ngoroot %s\n", runtimeHash(), pkg, goroot)
	if id, ok := fileID(filepath.Join(goroot, "bin", "go")); ok {
		fmt.Fprintf(h, "go %s\n", id)
	}
	for _, kv := range goEnviron("CC", "CXX", "AR", "PKG_CONFIG") {
		fmt.Fprintf(h, "env %s\n", kv)
	}
	if cfg, err := os.UserConfigDir(); err == nil {
		if b, err := os.ReadFile(filepath.Join(cfg, "go", "env")); err == nil {
			fmt.Fprintf(h, "goenv %q\n", b)
		}
	}
	for _, f := range flags {
		fmt.Fprintf(h, "flag %q\n", f)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
