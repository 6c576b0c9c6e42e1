package toolexec

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuild builds the sample with spangen go build, runs it, and checks
// its spans, the original line of its panic, and that the module's files
// are as they were.
func TestBuild(t *testing.T) {
	dir := loadModule(t, "sample")
	before := snapshot(t, dir)
	bin := filepath.Join(t.TempDir(), "sample")
	mustSucceed(t, "spangen go build", spangen(t, dir, testEnv(), "go", "build", "-o", bin, "."))
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("spangen go build changed the module (-before +after):\n%s", diff)
	}

	sink := filepath.Join(t.TempDir(), "spans.json")
	r := run(t, dir, testEnv("SPANTREE_SINK=json:"+sink), bin)
	mustSucceed(t, "sample", r)
	if r.stdout != "total 6 untagged\n" {
		t.Errorf("sample printed %q; want %q", r.stdout, "total 6 untagged\n")
	}
	got := byName(readSpans(t, sink))
	for name, loc := range map[string]string{
		"main.main": lineOf(t, dir, "main.go", "func main()"),
		"lib.Sum":   lineOf(t, dir, "lib/lib.go", "func Sum("),
		"lib.check": lineOf(t, dir, "lib/lib.go", "func check("),
	} {
		s, ok := got[name]
		if !ok {
			t.Errorf("no span %s; spans: %v", name, got)
			continue
		}
		if s.Location != loc || s.Status != "succeeded" {
			t.Errorf("span %s: location %s, status %s; want %s, succeeded", name, s.Location, s.Status, loc)
		}
	}

	// The panic names the original line, and so does its span.
	sink2 := filepath.Join(t.TempDir(), "spans.json")
	r = run(t, dir, testEnv("SAMPLE_PANIC=1", "SPANTREE_SINK=json:"+sink2), bin)
	if r.code != 2 {
		t.Fatalf("panicking sample: exit %d, want 2\n%s", r.code, r.stderr)
	}
	want := filepath.Join(dir, lineOf(t, dir, "main.go", "panics here"))
	if !strings.Contains(r.stderr, "\n\t"+want+" ") {
		t.Errorf("panic stack does not name %s:\n%s", want, r.stderr)
	}
	if s := byName(readSpans(t, sink2))["main.explode"]; s.Status != "failed" || s.Error == nil || !s.Error.Panic {
		t.Errorf("span main.explode = %+v; want failed with a panic", s)
	}
}

// TestTest runs the sample's tests with spangen go test: subtests get spans
// named as go test names them.
func TestTest(t *testing.T) {
	dir := loadModule(t, "sample")
	before := snapshot(t, dir)
	sink := filepath.Join(t.TempDir(), "spans.json")
	r := spangen(t, dir, testEnv("SPANTREE_SINK=json:"+sink), "go", "test", "-count=1", "./...")
	mustSucceed(t, "spangen go test", r)
	spans := readSpans(t, sink)
	got := byName(spans)
	for _, name := range []string{"lib.TestSum", "lib.TestSum/positive_numbers", "lib.TestSum/negative", "lib.Sum", "cgo.TestLabel", "cgo.Label"} {
		if _, ok := got[name]; !ok {
			t.Errorf("no span %s", name)
		}
	}
	failed := false
	for _, s := range spans {
		failed = failed || s.Name == "lib.check" && s.Status == "failed"
	}
	if !failed {
		t.Errorf("no failed span lib.check (the negative case)")
	}
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("spangen go test changed the module (-before +after):\n%s", diff)
	}
}

// TestRun checks go run and build tags.
func TestRun(t *testing.T) {
	dir := loadModule(t, "sample")
	sink := filepath.Join(t.TempDir(), "spans.json")
	r := spangen(t, dir, testEnv("SPANTREE_SINK=json:"+sink), "go", "run", "-tags", "sample", ".")
	mustSucceed(t, "spangen go run", r)
	if r.stdout != "total 6 TAGGED\n" {
		t.Errorf("spangen go run -tags sample printed %q; want %q", r.stdout, "total 6 TAGGED\n")
	}
	got := byName(readSpans(t, sink))
	if s, ok := got["main.tagged"]; !ok || s.Location != lineOf(t, dir, "tag.go", "func tagged") {
		t.Errorf("span main.tagged = %+v, %v; want one at %s", s, ok, lineOf(t, dir, "tag.go", "func tagged"))
	}
}

// TestRace runs the tests under the race detector.
func TestRace(t *testing.T) {
	dir := loadModule(t, "sample")
	sink := filepath.Join(t.TempDir(), "spans.json")
	r := spangen(t, dir, testEnv("SPANTREE_SINK=json:"+sink), "go", "test", "-race", "-count=1", "./lib")
	mustSucceed(t, "spangen go test -race", r)
	if _, ok := byName(readSpans(t, sink))["lib.TestSum/negative"]; !ok {
		t.Errorf("no span lib.TestSum/negative under -race")
	}
}

// TestCover checks that coverage is the same as without spangen: the same
// percentage and the same blocks, at the original positions.
func TestCover(t *testing.T) {
	dir := loadModule(t, "sample")
	plainProfile := filepath.Join(t.TempDir(), "plain.out")
	plain := run(t, dir, testEnv(), "go", "test", "-count=1", "-cover", "-coverprofile="+plainProfile, "./lib")
	mustSucceed(t, "go test -cover", plain)
	sink := filepath.Join(t.TempDir(), "spans.json")
	profile := filepath.Join(t.TempDir(), "spangen.out")
	r := spangen(t, dir, testEnv("SPANTREE_SINK=json:"+sink), "go", "test", "-count=1", "-cover", "-coverprofile="+profile, "./lib")
	mustSucceed(t, "spangen go test -cover", r)
	pct := regexp.MustCompile(`coverage: [0-9.]+% of statements`)
	if p, g := pct.FindString(plain.stdout), pct.FindString(r.stdout); p == "" || p != g {
		t.Errorf("coverage: spangen %q, plain %q", g, p)
	}
	want, err := os.ReadFile(plainProfile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(profile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("cover profile (-plain +spangen):\n%s", diff)
	}
	if _, ok := byName(readSpans(t, sink))["lib.TestSum"]; !ok {
		t.Errorf("no span lib.TestSum under -cover")
	}
}
