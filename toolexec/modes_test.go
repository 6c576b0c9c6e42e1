package toolexec

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCache checks that a second identical build is served from the go
// command's cache, that a plain go build afterwards is not instrumented, and
// that spangen go build after that still is.
func TestCache(t *testing.T) {
	dir := loadModule(t, "sample")
	tmp := t.TempDir()
	bin := func(name string) string { return filepath.Join(tmp, name) }
	spans := func(exe string) int {
		sink := filepath.Join(t.TempDir(), "spans.json")
		mustSucceed(t, exe, run(t, dir, testEnv("SPANTREE_SINK=json:"+sink), exe))
		return len(readSpans(t, sink))
	}

	mustSucceed(t, "first build", spangen(t, dir, testEnv(), "go", "build", "-o", bin("first"), "."))
	r := spangen(t, dir, testEnv(), "go", "build", "-x", "-o", bin("second"), ".")
	mustSucceed(t, "second build", r)
	if m := regexp.MustCompile(`(?m)^.*/compile -o .*$`).FindAllString(r.stderr, -1); len(m) > 0 {
		t.Errorf("second identical build compiled %d packages:\n%s", len(m), strings.Join(m, "\n"))
	}
	if n := spans(bin("second")); n == 0 {
		t.Errorf("the cached instrumented build emits no spans")
	}

	mustSucceed(t, "plain build", run(t, dir, testEnv(), "go", "build", "-o", bin("plain"), "."))
	if n := spans(bin("plain")); n != 0 {
		t.Errorf("plain go build after spangen go build emits %d spans; want 0", n)
	}
	nm := run(t, dir, testEnv(), "go", "tool", "nm", bin("plain"))
	mustSucceed(t, "go tool nm", nm)
	if strings.Contains(nm.stdout, "spantree") {
		t.Errorf("plain go build after spangen go build links the spantree runtime")
	}

	mustSucceed(t, "third build", spangen(t, dir, testEnv(), "go", "build", "-o", bin("third"), "."))
	if n := spans(bin("third")); n == 0 {
		t.Errorf("spangen go build after a plain build emits no spans")
	}

	// Another spangen cache extracts the runtime elsewhere, and so builds a
	// runtime archive of its own: packages compiled against the first one
	// must not be linked with it (the linker's "fingerprint mismatch").
	other := testEnv("SPANGEN_CACHE=" + t.TempDir())
	mustSucceed(t, "build with another spangen cache", spangen(t, dir, other, "go", "build", "-o", bin("fourth"), "."))
	if n := spans(bin("fourth")); n == 0 {
		t.Errorf("the build with another spangen cache emits no spans")
	}
}

// TestCompileError checks that a compile error reads as go build's own:
// same message, the user's file:line:col, same exit status.
func TestCompileError(t *testing.T) {
	dir := loadModule(t, "broken")
	plain := run(t, dir, testEnv(), "go", "build", "-o", os.DevNull, ".")
	if plain.code == 0 {
		t.Fatal("go build of a broken module succeeded")
	}
	r := spangen(t, dir, testEnv(), "go", "build", "-o", os.DevNull, ".")
	if r.code != plain.code {
		t.Errorf("spangen go build exit %d; want go's %d", r.code, plain.code)
	}
	if diff := cmp.Diff(plain.stderr, r.stderr); diff != "" {
		t.Errorf("spangen go build error (-go +spangen):\n%s", diff)
	}
}

// TestNotInModule checks that outside a module spangen go fails as go does.
func TestNotInModule(t *testing.T) {
	dir := t.TempDir()
	plain := run(t, dir, testEnv("GO111MODULE=on"), "go", "build", "./...")
	r := spangen(t, dir, testEnv("GO111MODULE=on"), "go", "build", "./...")
	if plain.code == 0 || r.code != plain.code || r.stderr != plain.stderr {
		t.Errorf("spangen go build outside a module: exit %d, %q; want go's exit %d, %q", r.code, r.stderr, plain.code, plain.stderr)
	}
}

// TestVendor checks a vendored dependency: left alone by default,
// instrumented when -pkgs names it.
func TestVendor(t *testing.T) {
	dir := loadModule(t, "vendored")
	before := snapshot(t, dir)
	for _, tc := range []struct {
		pkgs    string
		wantDep bool
	}{
		{"", false},
		{"main,example.com/dep", true},
	} {
		sink := filepath.Join(t.TempDir(), "spans.json")
		args := []string{"go"}
		if tc.pkgs != "" {
			args = append(args, "-pkgs="+tc.pkgs)
		}
		r := spangen(t, dir, testEnv("SPANTREE_SINK=json:"+sink), append(args, "run", ".")...)
		mustSucceed(t, "spangen go run", r)
		got := byName(readSpans(t, sink))
		if _, ok := got["main.greet"]; !ok {
			t.Errorf("-pkgs=%q: no span main.greet", tc.pkgs)
		}
		if _, ok := got["dep.Hello"]; ok != tc.wantDep {
			t.Errorf("-pkgs=%q: span dep.Hello present = %v; want %v", tc.pkgs, ok, tc.wantDep)
		}
	}
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("spangen go run changed the module (-before +after):\n%s", diff)
	}
}

// TestWorkspace checks that every module of a go.work workspace is
// instrumented.
func TestWorkspace(t *testing.T) {
	dir := loadModule(t, "workspace")
	sink := filepath.Join(t.TempDir(), "spans.json")
	r := spangen(t, dir, testEnv("SPANTREE_SINK=json:"+sink), "go", "run", "./app")
	mustSucceed(t, "spangen go run ./app", r)
	got := byName(readSpans(t, sink))
	for name, loc := range map[string]string{"main.main": "main.go:9", "greet.Hello": "greet.go:10"} {
		if s, ok := got[name]; !ok || s.Location != loc {
			t.Errorf("span %s = %+v, %v; want one at %s", name, s, ok, loc)
		}
	}
}

// TestNarrow checks that an exclusion leaves a package out.
func TestNarrow(t *testing.T) {
	dir := loadModule(t, "sample")
	sink := filepath.Join(t.TempDir(), "spans.json")
	r := spangen(t, dir, testEnv("SPANTREE_SINK=json:"+sink, envPkgs+"=main,-example.com/sample/lib"), "go", "run", ".")
	mustSucceed(t, "spangen go run", r)
	got := byName(readSpans(t, sink))
	if _, ok := got["main.main"]; !ok {
		t.Errorf("no span main.main")
	}
	if _, ok := got["lib.Sum"]; ok {
		t.Errorf("span lib.Sum, though -pkgs excludes the package")
	}
}

// TestDirect checks a build with -toolexec given by hand, as the go
// command's documentation describes it.
func TestDirect(t *testing.T) {
	dir := loadModule(t, "sample")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "sample")
	mustSucceed(t, "go build -toolexec", run(t, dir, testEnv(), "go", "build", "-toolexec="+exe+" toolexec", "-o", bin, "."))
	sink := filepath.Join(t.TempDir(), "spans.json")
	mustSucceed(t, "sample", run(t, dir, testEnv("SPANTREE_SINK=json:"+sink), bin))
	if _, ok := byName(readSpans(t, sink))["lib.Sum"]; !ok {
		t.Errorf("no span lib.Sum")
	}
	// The version answers differ from plain ones, so that nothing is shared
	// with plain builds.
	plainV := run(t, dir, testEnv(), filepath.Join(goroot(t), "pkg", "tool", goosArch(t), "compile"), "-V=full")
	v := spangen(t, dir, testEnv(), "toolexec", filepath.Join(goroot(t), "pkg", "tool", goosArch(t), "compile"), "-V=full")
	if !strings.HasPrefix(v.stdout, strings.TrimSpace(plainV.stdout)+" spantree=") {
		t.Errorf("compile -V=full through spangen = %q; want %q plus spantree's", v.stdout, plainV.stdout)
	}
}

func goroot(t *testing.T) string {
	r := run(t, ".", testEnv(), "go", "env", "GOROOT")
	mustSucceed(t, "go env", r)
	return strings.TrimSpace(r.stdout)
}

func goosArch(t *testing.T) string {
	r := run(t, ".", testEnv(), "go", "env", "GOHOSTOS")
	mustSucceed(t, "go env", r)
	r2 := run(t, ".", testEnv(), "go", "env", "GOHOSTARCH")
	return strings.TrimSpace(r.stdout) + "_" + strings.TrimSpace(r2.stdout)
}

// TestSpantest checks that a test importing the runtime module itself
// (spantest, from the module's own require of the runtime) builds and runs
// under spangen go test, where the instrumented code links the runtime
// spangen carries: both must be one package, and plain go test afterwards
// must not reuse what spangen compiled.
func TestSpantest(t *testing.T) {
	rt, err := filepath.Abs("../runtime")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/st\n\ngo 1.22\n\nrequire github.com/spantree/spantree/runtime v0.0.0\n\nreplace github.com/spantree/spantree/runtime => " + rt + "\n",
		"work.go": `package st

import "errors"

// Work fails for negative n, so that it is never tiny.
func Work(n int) (int, error) {
	if n < 0 {
		return 0, errors.New("negative")
	}
	return n * 2, nil
}
`,
		"work_test.go": `package st

import (
	"testing"

	"github.com/spantree/spantree/runtime/spantest"
)

func TestWork(t *testing.T) {
	rec := spantest.Record(t)
	if n, err := Work(2); n != 4 || err != nil {
		t.Fatalf("Work(2) = %d, %v", n, err)
	}
	t.Logf("traces recorded: %d", len(rec.Traces()))
}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	mustSucceed(t, "spangen go test", spangen(t, dir, testEnv(), "go", "test", "-count=1", "./..."))
	mustSucceed(t, "go test after spangen go test", run(t, dir, testEnv(), "go", "test", "-count=1", "./..."))
	mustSucceed(t, "spangen go test again", spangen(t, dir, testEnv(), "go", "test", "-count=1", "./..."))
}
