package toolexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPatternsMatch(t *testing.T) {
	for _, tc := range []struct {
		pkgs   string
		path   string
		inMain bool
		want   bool
	}{
		{"", "example.com/m/lib", true, true},
		{"", "example.com/dep", false, false},
		{"main,-example.com/m/lib/...", "example.com/m/lib/sub", true, false},
		{"main,-example.com/m/lib/...", "example.com/m/cmd", true, true},
		{"main,example.com/dep", "example.com/dep", false, true},
		{"example.com/dep/...", "example.com/dep", false, true},
		{"example.com/dep/...", "example.com/m", true, false},
		{"example.com/.../x", "example.com/a/b/x", false, true},
		{"example.com/dep/...", "example.com/dep_test", false, true},
		{"example.com/dep/...", "example.com/depot", false, false},
	} {
		ps, err := ParsePatterns(tc.pkgs)
		if err != nil {
			t.Fatalf("ParsePatterns(%q): %v", tc.pkgs, err)
		}
		if got := ps.Match(tc.path, tc.inMain); got != tc.want {
			t.Errorf("ParsePatterns(%q).Match(%q, %v) = %v; want %v", tc.pkgs, tc.path, tc.inMain, got, tc.want)
		}
	}
	for _, bad := range []string{"all", "-", "std", "a b"} {
		if _, err := ParsePatterns(bad); err == nil {
			t.Errorf("ParsePatterns(%q) succeeded; want an error", bad)
		}
	}
}

func TestScanArgs(t *testing.T) {
	for _, tc := range []struct {
		sub  string
		args []string
		want scanned
	}{
		{"build", []string{"-race", "-o", "bin", "-gcflags", "all=-N", "./..."}, scanned{
			args: []string{"-race", "-o", "bin", "./..."}, gcflags: []string{"all=-N"},
			compile: []string{"-race", "-gcflags=all=-N"}}},
		{"run", []string{"-tags=x", ".", "-gcflags", "prog-arg"}, scanned{
			args: []string{"-tags=x", ".", "-gcflags", "prog-arg"}, compile: []string{"-tags=x"}}},
		{"test", []string{"./...", "-run", "X", "-trimpath", "-mod=vendor", "-args", "-gcflags=x"}, scanned{
			args:    []string{"./...", "-run", "X", "-trimpath", "-mod=vendor", "-args", "-gcflags=x"},
			compile: []string{"-trimpath"}, modFlags: []string{"-mod=vendor"}}},
	} {
		got, err := scanArgs(tc.sub, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(scanned{})); diff != "" {
			t.Errorf("scanArgs(%q, %q) (-want +got):\n%s", tc.sub, tc.args, diff)
		}
	}
	if _, err := scanArgs("build", []string{"-toolexec", "x"}); err == nil {
		t.Errorf("scanArgs with -toolexec succeeded; want an error")
	}
}

func TestMarkerGcflags(t *testing.T) {
	cfg := &Config{ID: "abc", Pkgs: Patterns{"main", "-example.com/a/x", "example.com/dep/..."},
		Main: []Module{{Path: "example.com/a"}, {Path: "example.com/b"}}}
	got := markerGcflags(cfg, []string{"all=-N -l", ""})
	want := []string{
		"-gcflags=example.com/a/...=-spantree=abc",
		"-gcflags=example.com/a_test=-spantree=abc",
		"-gcflags=example.com/b/...=-spantree=abc",
		"-gcflags=example.com/b_test=-spantree=abc",
		"-gcflags=example.com/dep/...=-spantree=abc",
		"-gcflags=example.com/dep_test=-spantree=abc",
		"-gcflags=github.com/spantree/spantree/runtime/...=-spantree=abc",
		"-gcflags=all=-N -l -spantree=abc",
		"-gcflags=-spantree=abc",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("markerGcflags (-want +got):\n%s", diff)
	}
}

func TestCheckVersion(t *testing.T) {
	for v, ok := range map[string]bool{"go1.26.8": true, "go1.22": true, "go1.21.13": false, "go1.18": false, "devel go1.27-abc": true} {
		if err := checkVersion(v); (err == nil) != ok {
			t.Errorf("checkVersion(%q) = %v; want ok=%v", v, err, ok)
		}
	}
}

func TestMarkVersion(t *testing.T) {
	for in, want := range map[string]string{
		"compile version go1.26.8":                       "compile version go1.26.8 spantree=id",
		"compile version devel go1.27-abc buildID=aa/bb": "compile version devel go1.27-abc buildID=aa/bb.spantree-id",
		"link version go1.22.0 X:boringcrypto":           "link version go1.22.0 X:boringcrypto spantree=id",
	} {
		if got := markVersion(in, "id"); got != want {
			t.Errorf("markVersion(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestSplitQuoted(t *testing.T) {
	words := []string{"-tags=a", "-gcflags=all=-N -l", `it's`}
	got, err := splitQuoted(joinQuoted(words))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(words, got); diff != "" {
		t.Errorf("splitQuoted(joinQuoted(words)) (-want +got):\n%s", diff)
	}
}

// The memo of go env's answer is keyed by what the answer depends on: the
// go.mod of the directory and of its parents, and the environment.
func TestGoEnvKey(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(sub, 0o777); err != nil {
		t.Fatal(err)
	}
	key := func() string {
		t.Helper()
		k, ok := goEnvKey(gobin, sub)
		if !ok {
			t.Fatal("goEnvKey: not ok")
		}
		return k
	}
	k0 := key()
	if key() != k0 {
		t.Fatal("goEnvKey differs for the same situation")
	}
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.22\n")
	k1 := key()
	write("go.mod", "module example.com/m\n\ngo 1.22\n\ntoolchain go1.26.0\n")
	k2 := key()
	t.Setenv("GOFLAGS", "-tags=x")
	k3 := key()
	write("go.work", "go 1.22\n\nuse .\n")
	k4 := key()
	seen := map[string]string{}
	for name, k := range map[string]string{"no go.mod": k0, "go.mod": k1, "toolchain line": k2, "GOFLAGS": k3, "go.work": k4} {
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share a key", name, other)
		}
		seen[k] = name
	}
}

func TestInModule(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"example.com/rootpkg", true},
		{"example.com/rootpkg_test", true},
		{"example.com/rootpkg/sub", true},
		{"example.com/rootpkg/sub_test", true},
		{"example.com/rootpkgx", false},
		{"example.com/rootpkgx_test", false},
		{"example.com/other", false},
	} {
		if got := inModule(tc.path, "example.com/rootpkg"); got != tc.want {
			t.Errorf("inModule(%q, example.com/rootpkg) = %v; want %v", tc.path, got, tc.want)
		}
	}
}
