package toolexec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/spantree/spantree/wire"
)

// sharedCache is the spangen cache of this test run (SPANGEN_CACHE), made
// by TestMain, so that the runtime is built once for all tests.
var sharedCache string

// loadModule writes the module of testdata/name.txtar to a new directory.
func loadModule(t *testing.T, name string) string {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("testdata", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range a.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// snapshot returns a digest of every file under dir (name, mode, content),
// to check that a build left the tree as it was.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			files[rel+"/"] = info.Mode().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		files[rel] = info.Mode().String() + " " + hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// result is what a command did.
type result struct {
	stdout, stderr string
	code           int
}

// testEnv is the environment of the commands the tests run: no GOFLAGS
// from outside, this run's spangen cache, and the test binary playing
// spangen.
func testEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "GOFLAGS" || k == "SPANTREE_SINK" || k == envPkgs || k == envConfig || k == "GOWORK" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "SPANGEN_TEST_AS_SPANGEN=1", "SPANGEN_CACHE="+sharedCache)
	return append(env, extra...)
}

// run runs name args in dir.
func run(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return r
}

// spangen runs `spangen args...` (the test binary standing in) in dir.
func spangen(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return run(t, dir, env, exe, args...)
}

// mustSucceed fails the test when r is a failure.
func mustSucceed(t *testing.T, what string, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", what, r.code, r.stdout, r.stderr)
	}
}

// span is the part of the JSON span this package's tests look at.
type span struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	Status   string `json:"status"`
	Error    *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Panic   bool   `json:"panic"`
	} `json:"error"`
}

// readSpans reads the spans of a json:FILE sink, keeping the last copy of
// each (running spans may be written more than once).
func readSpans(t *testing.T, name string) []span {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	var spans []span
	// Test binaries run side by side append to one file, and one that
	// exits while its sink writes tears its line: wire.Lines reads past
	// that as spantree ingest does.
	lines := wire.NewLines(f)
	for lines.Scan() {
		obj, err := lines.Strict()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if obj == nil {
			continue
		}
		var s span
		if err := json.Unmarshal(obj, &s); err != nil {
			t.Fatalf("%s: line %d: %v", name, lines.Line(), err)
		}
		spans = append(spans, s)
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return spans
}

// byName indexes spans by name (the last one wins).
func byName(spans []span) map[string]span {
	m := map[string]span{}
	for _, s := range spans {
		m[s.Name] = s
	}
	return m
}

// lineOf returns "file:N" for the first line of dir/file containing marker.
func lineOf(t *testing.T, dir, file, marker string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, marker) {
			return file + ":" + itoa(i+1)
		}
	}
	t.Fatalf("%s has no line with %q", file, marker)
	return ""
}

func itoa(i int) string { return strconv.Itoa(i) }
