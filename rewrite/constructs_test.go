package rewrite

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spantree/spantree/internal/golden"
)

// constructs holds one small package of Go constructs that instrumenting
// real modules got wrong once (gotos over generated declarations, ...). Each
// file's header says what it shows; constructs_test.go checks the package's
// behaviour, which instrumentation must not change.
const constructs = "testdata/constructs"

// TestConstructsGolden instruments every non-test file of the constructs
// package and compares it with its golden file; the output must also be
// gofmt-clean, idempotent and exactly undoable, and with KeepLines keep
// every line at its number.
func TestConstructsGolden(t *testing.T) {
	for _, name := range constructFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Dir: constructs}
			got, err := File(name, src, opts)
			if err != nil {
				t.Fatalf("File: %v", err)
			}
			golden.Check(t, name+".golden", string(got), *update)
			checkInvariants(t, name, src, got, opts)
			kept, err := File(name, src, Options{Dir: constructs, KeepLines: true})
			if err != nil {
				t.Fatalf("File(KeepLines): %v", err)
			}
			checkLinesKept(t, src, kept)
		})
	}
}

// TestConstructsBehave compiles the constructs package and runs its tests
// three times: as written, instrumented as spangen -w writes it, and as
// spangen toolexec compiles it (KeepLines). Each must pass: instrumented
// code compiles (vet included) and behaves as the original.
func TestConstructsBehave(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test three times")
	}
	rt, err := filepath.Abs("../runtime")
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := filepath.Glob(filepath.Join(constructs, "*.go"))
	if err != nil || len(srcs) == 0 {
		t.Fatalf("no files in %s: %v", constructs, err)
	}
	for _, mode := range []struct {
		name       string
		instrument bool
		opts       Options
	}{
		{"plain", false, Options{}},
		{"source", true, Options{Dir: constructs}},
		{"toolexec", true, Options{Dir: constructs, KeepLines: true}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			// Any version: the replace directive supplies the code.
			gomod := "module example.com/constructs\n\ngo 1.26\n\nrequire " + RuntimePath + " v0.0.0" +
				"\n\nreplace " + RuntimePath + " => " + rt + "\n"
			if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, name := range srcs {
				src, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				if mode.instrument {
					if src, err = File(name, src, mode.opts); err != nil {
						t.Fatalf("File: %v", err)
					}
				}
				if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), src, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// Spans recorded for real: a sink that is off starts none,
			// and the instrumented code would take no path of its own.
			spans := filepath.Join(dir, "spans.jsonl")
			cmd := exec.Command("go", "test", "-count=1", ".")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "SPANTREE_SINK=json:"+spans, "GOFLAGS=-mod=mod")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go test of the %s package: %v\n%s", mode.name, err, out)
			}
			b, err := os.ReadFile(spans)
			if mode.instrument && (err != nil || !strings.Contains(string(b), `"name":"constructs.`)) {
				t.Errorf("no spans of the %s package recorded in %s: %v\n%s", mode.name, spans, err, b)
			}
		})
	}
}

// constructFiles are the non-test Go files of the constructs package.
func constructFiles(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(constructs, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if !strings.HasSuffix(n, "_test.go") {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no files in %s", constructs)
	}
	return out
}
