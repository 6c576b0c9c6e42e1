package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestSummary feeds recorded go test -json streams to a summary and
// compares what it prints with testdata/NAME.golden: mixed.json has a
// passing, a skipped and a failing subtest, a build failure and a package
// without tests; panic.json a test that never ended (a timeout).
func TestSummary(t *testing.T) {
	for _, name := range []string{"mixed", "pass", "panic"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out strings.Builder
			s := newSummary(&out)
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var e event
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Fatalf("%s: %v", sc.Text(), err)
				}
				s.event(e, time.Time{})
			}
			s.done(90 * time.Second)
			golden.Check(t, filepath.Join("testdata", name+".golden"), out.String(), *update)
		})
	}
}

// TestRunning checks the line printed while nothing finishes: per package,
// the top-level test that has run longest (subtests are its parts).
func TestRunning(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSummary(new(strings.Builder))
	for _, e := range []struct {
		event
		at time.Duration
	}{
		{event{Action: "run", Package: "github.com/spantree/spantree/toolexec", Test: "TestRealModules"}, 0},
		{event{Action: "run", Package: "github.com/spantree/spantree/toolexec", Test: "TestRealModules/ksuid"}, 0},
		{event{Action: "run", Package: "github.com/spantree/spantree/toolexec", Test: "TestCache"}, 10 * time.Second},
		{event{Action: "run", Package: "github.com/spantree/spantree/ui", Test: "TestTmux"}, 20 * time.Second},
		{event{Action: "run", Package: "github.com/spantree/spantree/store", Test: "TestDone"}, 0},
		{event{Action: "pass", Package: "github.com/spantree/spantree/store", Test: "TestDone"}, 5 * time.Second},
	} {
		s.event(e.event, t0.Add(e.at))
	}
	got := s.running(t0.Add(95 * time.Second))
	want := "toolexec TestRealModules 1m35s, ui TestTmux 1m15s"
	if got != want {
		t.Errorf("running() = %q; want %q", got, want)
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		want    []command
		wantErr bool
	}{
		{args: []string{"go", "test", "./..."}, want: []command{{args: []string{"go", "test", "-json", "./..."}}}},
		{
			args: []string{"-C", "runtime", "go", "test", "-race", "./...", "---", "go", "test", "."},
			want: []command{
				{dir: "runtime", args: []string{"go", "test", "-json", "-race", "./..."}},
				{args: []string{"go", "test", "-json", "."}},
			},
		},
		{args: nil, wantErr: true},
		{args: []string{"go", "vet", "./..."}, wantErr: true},
		{args: []string{"-C", "runtime"}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseArgs(%q) error = %v; want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(command{})); diff != "" {
			t.Errorf("parseArgs(%q) (-want +got):\n%s", tt.args, diff)
		}
	}
}

// TestRunExit runs testsum on a command that cannot start: it counts as a
// failure, and testsum exits 1 with the summary line.
func TestRunExit(t *testing.T) {
	var out, errOut strings.Builder
	code := run([]string{"-C", t.TempDir(), "false-go-that-does-not-exist", "test", "./..."}, &out, &errOut)
	if code != 1 || !strings.Contains(out.String(), "0 passed, 1 failed") {
		t.Errorf("run = %d\n%s%s; want 1 and 0 passed, 1 failed", code, out.String(), errOut.String())
	}
}
