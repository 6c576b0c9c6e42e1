package rewrite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
			if !strings.Contains(got, "\n"+tc.wantGo+"\n") || !strings.Contains(got, RuntimePath) {
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
