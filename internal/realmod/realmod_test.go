package realmod

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/wire"
)

// modules are the published modules instrumented; skip lists tests of theirs
// that cannot pass instrumented, with the reason.
var modules = []struct {
	path, version string
	skip          string
}{
	// go-cmp's TestDiff/Transformer/Cyclic* recurse 65536 frames deep and
	// end in a panic: a check that the panic is re-raised once, not once
	// per frame (Span.Done).
	{path: "github.com/google/go-cmp", version: "v0.7.0"},
	{path: "github.com/segmentio/ksuid", version: "v1.0.4"},
	{path: "golang.org/x/sync", version: "v0.18.0"},
}

func TestRealModules(t *testing.T) {
	if testing.Short() {
		t.Skip("instruments and tests whole modules; skipped with -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	spangen := filepath.Join(t.TempDir(), "spangen")
	run(t, root, nil, "go", "build", "-o", spangen, "./cmd/spangen")

	for _, m := range modules {
		t.Run(filepath.Base(m.path), func(t *testing.T) {
			orig := download(t, m.path+"@"+m.version)
			dir := filepath.Join(t.TempDir(), "mod")
			copyTree(t, orig, dir)
			before := gofmtList(t, dir)

			run(t, dir, nil, spangen, "-w", "-replace", root, "./...")
			if diff := newEntries(before, gofmtList(t, dir)); len(diff) > 0 {
				t.Errorf("gofmt -l lists files that were formatted before: %v", diff)
			}
			if out := run(t, dir, nil, spangen, "-l", "./..."); out != "" {
				t.Errorf("second spangen -l lists files (not idempotent):\n%s", out)
			}

			sink := filepath.Join(t.TempDir(), "spans.json")
			args := []string{"test", "-count=1"}
			if m.skip != "" {
				args = append(args, "-skip", m.skip)
			}
			args = append(args, "./...")
			run(t, dir, []string{"SPANTREE_SINK=json:" + sink}, "go", args...)
			checkSpans(t, sink)

			run(t, dir, nil, spangen, "-w", "-undo", "./...")
			compareTrees(t, orig, dir)
		})
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

func download(t *testing.T, mod string) string {
	t.Helper()
	out := run(t, ".", nil, "go", "mod", "download", "-json", mod)
	var info struct{ Dir, Error string }
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.Dir == "" {
		t.Fatalf("go mod download %s: %v %s", mod, err, info.Error)
	}
	return info.Dir
}

// copyTree copies the module (read-only in the cache) to dst, writable.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func gofmtList(t *testing.T, dir string) []string {
	t.Helper()
	out := run(t, dir, nil, "gofmt", "-l", ".")
	return strings.Fields(out)
}

func newEntries(before, after []string) []string {
	var n []string
	for _, a := range after {
		if !slices.Contains(before, a) {
			n = append(n, a)
		}
	}
	return n
}

// checkSpans validates every line of a json sink file against the wire
// contract: ids, parents within the trace, RFC 3339 times, statuses.
func checkSpans(t *testing.T, name string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatalf("no spans written: %v", err)
	}
	defer f.Close()
	type key struct {
		trace [16]byte // the payload: continued traces differ in their KSUID time prefix
		span  spantree.SpanID
	}
	spans := map[key]spantree.SpanData{}
	var order []key
	// go test ./... runs test binaries side by side, appending to one
	// file, and one that exits while its sink writes tears its line:
	// wire.Lines reads past that as spantree ingest does.
	lines := wire.NewLines(f)
	for lines.Scan() {
		line := lines.Line()
		b, err := lines.Strict()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		for _, field := range []string{"start", "end"} {
			if s, ok := raw[field].(string); ok {
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
					t.Errorf("line %d: %s %q is not RFC 3339: %v", line, field, s, err)
				}
			}
		}
		var d spantree.SpanData
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("line %d: does not decode as SpanData: %v", line, err)
		}
		if d.TraceID.IsZero() || d.SpanID.IsZero() || d.Name == "" || d.Location == "" || d.Start.IsZero() {
			t.Errorf("line %d: missing trace_id, span_id, name, location or start: %s", line, b)
		}
		switch d.Status {
		case spantree.StatusStarted:
		case spantree.StatusSucceeded, spantree.StatusFailed:
			if d.End.IsZero() || d.End.Before(d.Start) {
				t.Errorf("line %d: ended span without a valid end: %s", line, b)
			}
		default:
			t.Errorf("line %d: status %q", line, d.Status)
		}
		k := key{d.TraceID.Payload(), d.SpanID}
		if _, ok := spans[k]; !ok {
			order = append(order, k)
		}
		spans[k] = d
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	if len(spans) == 0 {
		t.Fatal("the instrumented tests wrote no spans")
	}
	missing := 0
	for _, k := range order {
		d := spans[k]
		if d.ParentID.IsZero() {
			continue
		}
		if _, ok := spans[key{d.TraceID.Payload(), d.ParentID}]; !ok {
			missing++
			if missing <= 5 {
				t.Errorf("span %s %q: parent %s not in trace %s", d.SpanID, d.Name, d.ParentID, d.TraceID)
			}
		}
	}
	t.Logf("%d spans in %d lines, %d with a parent missing", len(spans), lines.Line(), missing)
}

// compareTrees checks that every file of orig is in dir with the same bytes
// (go.mod may keep a raised go line) and that dir has no other files.
func compareTrees(t *testing.T, orig, dir string) {
	t.Helper()
	seen := map[string]bool{}
	filepath.WalkDir(orig, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(orig, p)
		seen[rel] = true
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if rel == "go.mod" {
			if bytes.Contains(got, []byte("spantree")) {
				t.Errorf("go.mod still mentions spantree after -undo:\n%s", got)
			}
			return nil
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs from the original after -undo", rel)
		}
		return nil
	})
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !seen[rel] && rel != "go.sum" {
			t.Errorf("%s: left behind", rel)
		}
		return nil
	})
}
