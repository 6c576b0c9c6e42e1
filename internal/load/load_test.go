package load

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeModule writes files (name -> content) under a new temporary
// directory and returns it.
func writeModule(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLinksHTTP checks which packages Packages marks as commands that link
// net/http: through a dependency or directly, but not through test files,
// and never a library.
func TestLinksHTTP(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.22\n",
		"lib/lib.go": `package lib

import "net/http"

func Get(url string) (*http.Response, error) { return http.Get(url) }
`,
		"mid/mid.go": `package mid

import "example.com/m/lib"

var Get = lib.Get
`,
		"cmd/web/main.go": `package main

import "example.com/m/mid"

func main() { mid.Get("http://localhost") }
`,
		"cmd/direct/main.go": `package main

import "net/http"

func main() { http.ListenAndServe(":0", nil) }
`,
		"cmd/cli/main.go": `package main

import "fmt"

func main() { fmt.Println("cli") }
`,
		"cmd/cli/main_test.go": `package main

import (
	"net/http/httptest"
	"testing"
)

func TestCLI(t *testing.T) { httptest.NewRecorder() }
`,
	})
	for _, tc := range []struct {
		findHTTP bool
		want     map[string]bool
	}{
		{
			findHTTP: true,
			want: map[string]bool{
				"example.com/m/cmd/cli":    false,
				"example.com/m/cmd/direct": true,
				"example.com/m/cmd/web":    true,
				"example.com/m/lib":        false,
				"example.com/m/mid":        false,
			},
		},
		{
			findHTTP: false,
			want: map[string]bool{
				"example.com/m/cmd/cli":    false,
				"example.com/m/cmd/direct": false,
				"example.com/m/cmd/web":    false,
				"example.com/m/lib":        false,
				"example.com/m/mid":        false,
			},
		},
	} {
		pkgs, err := Packages(Config{Dir: dir, FindHTTP: tc.findHTTP}, "./...")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, p := range pkgs {
			got[p.Path] = p.LinksHTTP
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Packages(FindHTTP: %v) LinksHTTP by package (-want +got):\n%s", tc.findHTTP, diff)
		}
	}
}

// BenchmarkPackages measures what FindHTTP adds to the load of spangen -w, on
// this module.
func BenchmarkPackages(b *testing.B) {
	if _, err := Packages(Config{Dir: "../..", FindHTTP: true}, "./..."); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"plain", Config{Dir: "../.."}},
		{"FindHTTP", Config{Dir: "../..", FindHTTP: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Packages(bc.cfg, "./..."); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
