package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, name string)
		wantErr string // "" for success
		perm    os.FileMode
	}{
		{
			name:  "keeps the mode",
			setup: func(t *testing.T, name string) { write(t, name, 0o640) },
			perm:  0o640,
		},
		{
			name:    "read-only file",
			setup:   func(t *testing.T, name string) { write(t, name, 0o444) },
			wantErr: "file is read-only",
		},
		{
			name: "directory",
			setup: func(t *testing.T, name string) {
				if err := os.Mkdir(name, 0o755); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "not a regular file",
		},
		{
			name:    "missing file",
			setup:   func(t *testing.T, name string) {},
			wantErr: "no such file",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "f.go")
			tc.setup(t, name)
			err := Replace(name, []byte("new\n"))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Replace = %v; want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != "new\n" {
				t.Errorf("after Replace, the file holds %q; want %q", b, "new\n")
			}
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.perm {
				t.Errorf("after Replace, mode %v; want %v", fi.Mode().Perm(), tc.perm)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("after Replace, the directory holds %d entries; want the file alone", len(entries))
			}
		})
	}
}

func TestWriteNewFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "memo.json")
	if err := Write(name, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 || fi.Size() != 2 {
		t.Errorf("Write made a file of mode %v and size %d; want 0644 and 2", fi.Mode().Perm(), fi.Size())
	}
	if err := Write(filepath.Join(name+".missing", "x"), nil, 0o644); err == nil {
		t.Error("Write into a missing directory succeeded; want an error")
	}
}

func write(t *testing.T, name string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(name, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(name, perm); err != nil {
		t.Fatal(err)
	}
}
