package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"spangen": main,
	})
}

var update = flag.Bool("update", false, "rewrite the files that cmp compares in the scripts with what the commands produced")

// TestScript runs the CLI scripts in testdata/script: one behaviour each.
func TestScript(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	goenv := map[string]string{}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", k, err)
		}
		goenv[k] = strings.TrimSpace(string(out))
	}
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			for k, v := range goenv {
				env.Setenv(k, v)
			}
			env.Setenv("GOPROXY", "off")
			env.Setenv("GOFLAGS", "-buildvcs=false")
			env.Setenv("SPANTREE_ROOT", root)
			return nil
		},
	})
}

// TestExitCodes checks the documented exit statuses.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.22\n")
	write("a.go", "package m\n\nfunc F() { println() }\n")
	t.Chdir(dir)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"-l", "."}, 0},
		{[]string{"-bogus"}, 2},
		{[]string{"-w", "-d", "."}, 2},
		{[]string{"-replace", "/x", "."}, 2},
		{[]string{"-l", "./nothing/..."}, 1},
	} {
		if got := run(tc.args); got != tc.want {
			t.Errorf("spangen %s: exit %d; want %d", strings.Join(tc.args, " "), got, tc.want)
		}
	}
}
