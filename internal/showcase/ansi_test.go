package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestANSIHTML(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain <text> & more", "plain &lt;text&gt; &amp; more"},
		{"\x1b[31mfailed\x1b[0m ok", `<span class="c31">failed</span> ok`},
		{"\x1b[1m\x1b[36mmain\x1b[0m", `<span class="b c36">main</span>`},
		{"\x1b[2;33mdim yellow\x1b[m.", `<span class="d c33">dim yellow</span>.`},
		{"a\x1b[Kb", "ab"},       // erase to end of line: not text
		{"torn \x1b[3", "torn "}, // a sequence cut off at the end
		{"\x1b[31mred\x1b[39m plain", `<span class="c31">red</span> plain`},
	} {
		if got := ansiHTML(tc.in); got != tc.want {
			t.Errorf("ansiHTML(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestShowcase renders the showcase into a temporary file, where tmux and
// Chromium are installed (CI installs both).
func TestShowcase(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the showcase builds and runs the demo twice")
	}
	for _, tool := range []string{"tmux", "chromium"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	wd, _ := os.Getwd()
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	png := filepath.Join(t.TempDir(), "showcase.png")
	if err := run(context.Background(), png); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 20000 {
		t.Errorf("showcase.png: %d bytes, PNG header %v; want a real image", len(b), bytes.HasPrefix(b, []byte("\x89PNG")))
	}
}
