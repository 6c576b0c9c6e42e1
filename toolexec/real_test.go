package toolexec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestRealModules runs the test suites of published modules, copied
// untouched from the module cache, with spangen go test: they must pass,
// with spans emitted, and their files must be left as they were.
func TestRealModules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests three real modules")
	}
	for _, m := range []struct {
		path, version string
		span          string // a span the suite must emit
	}{
		{"github.com/segmentio/ksuid", "v1.0.4", "ksuid.New"},
		{"golang.org/x/sync", "v0.24.0", "errgroup.(*Group).Go"},
		{"github.com/google/go-cmp", "v0.7.0", "cmp.Equal"},
	} {
		t.Run(filepath.Base(m.path), func(t *testing.T) {
			dir := downloadModule(t, m.path, m.version)
			before := snapshot(t, dir)
			sink := filepath.Join(t.TempDir(), "spans.json")
			r := spangen(t, dir, testEnv("SPANTREE_SINK=json:"+sink), "go", "test", "-count=1", "-timeout=4m", "./...")
			mustSucceed(t, "spangen go test ./...", r)
			if _, ok := byName(readSpans(t, sink))[m.span]; !ok {
				t.Errorf("no span %s", m.span)
			}
			after := snapshot(t, dir)
			if len(after) != len(before) {
				t.Errorf("spangen go test changed the module's files")
			}
			for k, v := range before {
				if after[k] != v {
					t.Errorf("spangen go test changed %s", k)
				}
			}
		})
	}
}

// downloadModule copies path@version from the module cache (downloading it
// through the module proxy if needed) into a writable directory.
func downloadModule(t *testing.T, path, version string) string {
	t.Helper()
	r := run(t, ".", testEnv(), "go", "mod", "download", "-json", path+"@"+version)
	mustSucceed(t, "go mod download", r)
	var info struct{ Dir string }
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || info.Dir == "" {
		t.Fatalf("go mod download %s@%s: %v\n%s", path, version, err, r.stdout)
	}
	dir := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.CopyFS(dir, os.DirFS(info.Dir)); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
