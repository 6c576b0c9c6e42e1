package toolexec

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "regenerate runtime.txtar and golden files")

// TestRuntimeArchive checks that runtime.txtar is the runtime module as it is
// in ../runtime; -update regenerates it.
func TestRuntimeArchive(t *testing.T) {
	got, err := archiveRuntime(filepath.Join("..", "runtime"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("runtime.txtar", got, 0o666); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, runtimeArchive) {
		old := map[string][]byte{}
		for _, f := range txtar.Parse(runtimeArchive).Files {
			old[f.Name] = f.Data
		}
		for _, f := range txtar.Parse(got).Files {
			if !bytes.Equal(old[f.Name], f.Data) {
				t.Errorf("runtime.txtar: %s differs from ../runtime/%s", f.Name, f.Name)
			}
			delete(old, f.Name)
		}
		for n := range old {
			t.Errorf("runtime.txtar: %s is no longer in ../runtime", n)
		}
		t.Fatal("runtime.txtar is stale: run go generate ./toolexec")
	}
}

func TestExtractRuntime(t *testing.T) {
	dir := t.TempDir()
	p, err := extractRuntime(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range txtar.Parse(runtimeArchive).Files {
		b, err := os.ReadFile(filepath.Join(p, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, f.Data) {
			t.Errorf("extracted %s differs from the archive", f.Name)
		}
	}
	// A second call reuses the copy and leaves no temporary directory.
	p2, err := extractRuntime(dir)
	if err != nil || p2 != p {
		t.Fatalf("second extractRuntime = %q, %v; want %q, nil", p2, err, p)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("cache holds %d entries, want 1", len(ents))
	}
}
