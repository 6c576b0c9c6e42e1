package readme

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// link is a Markdown link's target: [text](target).
var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestLinks checks that every relative link of the README and of docs/
// names a file that exists and, with #anchor, a heading of that file.
func TestLinks(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, md := range append([]string{filepath.Join(root, "README.md")}, docs...) {
		text, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(outsideCode(string(text)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := md
			if file != "" {
				path = filepath.Join(filepath.Dir(md), file)
			}
			rel, _ := filepath.Rel(root, md)
			b, err := os.ReadFile(path)
			if err != nil {
				if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
					continue
				}
				t.Errorf("%s: link %s: no such file", rel, target)
				continue
			}
			if anchor != "" && !headings(string(b))[anchor] {
				t.Errorf("%s: link %s: no heading with that anchor in %s", rel, target, file)
			}
		}
	}
}

// outsideCode drops fenced blocks and inline code, where brackets are not
// links.
func outsideCode(md string) string {
	var b strings.Builder
	fenced := false
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			b.WriteString(regexp.MustCompile("`[^`]*`").ReplaceAllString(l, "") + "\n")
		}
	}
	return b.String()
}

// headings returns the anchors of a Markdown text's headings, as GitHub
// makes them: lower case, punctuation dropped, spaces as hyphens.
func headings(md string) map[string]bool {
	out := map[string]bool{}
	fenced := false
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
		}
		if fenced || !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(l, "#"))
		out[anchorOf(h)] = true
	}
	return out
}

func anchorOf(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestAnchorOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Instrumenting code", "instrumenting-code"},
		{"`spangen -w`: rewrite the source", "spangen--w-rewrite-the-source"},
		{"HTTP API", "http-api"},
		{"Libraries, and why", "libraries-and-why"},
	}
	for _, tt := range tests {
		if got := anchorOf(tt.in); got != tt.want {
			t.Errorf("anchorOf(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
