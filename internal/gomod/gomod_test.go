package gomod

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spantree/spantree/rewrite"
)

// Require and Unrequire round-trip go.mod: the requirement goes and, when
// Require raised the go line, the go line comes back as it was.
func TestRequireRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name, gomod string
		wantGo      string // the go line after Require
		raised      bool   // Require says it raised the go line
		godebug     string // the godebug default line after Require, if any
	}{
		{"old go line", "module example.com/m\n\ngo 1.21\n", "go 1.22", true, "godebug default=go1.21"},
		{"no go line", "module example.com/m\n", "go 1.22", true, "godebug default=go1.16"},
		{"recent go line", "module example.com/m\n\ngo 1.24.0\n\nrequire golang.org/x/sync v0.10.0\n", "go 1.24.0", false, ""},
		{"own godebug default", "module example.com/m\n\ngo 1.17\n\ngodebug default=go1.20\n", "go 1.22", true, "godebug default=go1.20"},
		{"other godebug", "module example.com/m\n\ngo 1.20\n\ngodebug (\n\tpanicnil=0\n\thttp2client=0\n)\n", "go 1.22", true, "default=go1.20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "go.mod")
			if err := os.WriteFile(name, []byte(tc.gomod), 0o644); err != nil {
				t.Fatal(err)
			}
			for range 2 { // a second Require changes nothing more
				if _, err := Require(dir, ""); err != nil {
					t.Fatal(err)
				}
			}
			b, _ := os.ReadFile(name)
			got := string(b)
			if !strings.Contains(got, "\n"+tc.wantGo+"\n") || !strings.Contains(got, rewrite.RuntimePath) {
				t.Errorf("after Require:\n%s\nwant %q and the runtime's requirement", got, tc.wantGo)
			}
			if n := strings.Count(got, "default=go"); (tc.godebug == "") != (n == 0) || n > 1 || !strings.Contains(got, tc.godebug) {
				t.Errorf("after Require:\n%s\nwant the GODEBUG defaults of the old go line (%q)", got, tc.godebug)
			}
			if n := strings.Count(got, goLineComment); n != map[bool]int{true: 1, false: 0}[tc.raised] {
				t.Errorf("after Require, %d comments saying the go line was raised:\n%s", n, got)
			}
			if _, err := Unrequire(dir); err != nil {
				t.Fatal(err)
			}
			b, _ = os.ReadFile(name)
			if diff := cmp.Diff(tc.gomod, string(b)); diff != "" {
				t.Errorf("after Unrequire (-original +got):\n%s", diff)
			}
		})
	}
}

// A go line raised from before 1.17 turns on module graph pruning: go.mod
// must then list every module that provides a package, or the go command
// refuses to build ("updates to go.mod needed"; cobra at go 1.15). Require
// lists them, and Unrequire takes them out again.
func TestRequireListsBuildList(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.15\n\nrequire example.com/a v1.0.0\n\n" +
			"replace (\n\texample.com/a => ./a\n\texample.com/b => ./b\n)\n",
		"m.go":     "package m\n\nimport \"example.com/a\"\n\nvar X = a.A\n",
		"a/go.mod": "module example.com/a\n\ngo 1.15\n\nrequire example.com/b v1.0.0\n",
		"a/a.go":   "package a\n\nimport \"example.com/b\"\n\nvar A = b.B\n",
		"b/go.mod": "module example.com/b\n\ngo 1.15\n",
		"b/b.go":   "package b\n\nvar B = 1\n",
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Require(dir, "../.."); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if want := "example.com/b v1.0.0 " + listedComment; !strings.Contains(string(b), want) {
		t.Errorf("after Require:\n%s\nwant a line %q", b, want)
	}
	cmd := exec.Command("go", "list", "-deps", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go list after Require: %v\n%s\ngo.mod:\n%s", err, out, b)
	}
	if _, err := Unrequire(dir); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "go.mod"))
	if diff := cmp.Diff(files["go.mod"], string(b)); diff != "" {
		t.Errorf("after Unrequire (-original +got):\n%s", diff)
	}
}

func TestReadModule(t *testing.T) {
	for _, tc := range []struct {
		name, gomod string
		want        string // module path; "" means an error
	}{
		{"plain", "module example.com/m\n\ngo 1.22\n", "example.com/m"},
		{"quoted with comments", "// the module\nmodule \"example.com/q\" // here\ngo 1.22\n", "example.com/q"},
		{"no module line", "go 1.22\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "go.mod")
			if err := os.WriteFile(name, []byte(tc.gomod), 0o666); err != nil {
				t.Fatal(err)
			}
			m, err := ReadModule(name)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("ReadModule = %+v; want an error", m)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Module{Path: tc.want, Dir: dir}, m); diff != "" {
				t.Errorf("ReadModule (-want +got):\n%s", diff)
			}
		})
	}
}
