package toolexec

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spantree/spantree/internal/atomicfile"
)

// cacheDir is where spangen keeps what it builds for toolexec mode: the
// extracted runtime module, the runtime's export lists per build
// configuration, and the configurations of builds. SPANGEN_CACHE overrides
// the default, os.UserCacheDir()/spantree/toolexec.
func cacheDir() (string, error) {
	if d := os.Getenv("SPANGEN_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache directory (set SPANGEN_CACHE): %w", err)
	}
	return filepath.Join(d, "spantree", "toolexec"), nil
}

// writeCache writes data to name, a file of the cache, atomically (readers
// are other toolexec processes of the same or another build), creating its
// directory.
func writeCache(name string, data []byte) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return atomicfile.Write(name, data, 0o644)
}

// fileID identifies the file at path by path, size, modification time and
// inode: memo keys use it, so a rebuilt binary is a new file. ok is false
// when the file cannot be stat'ed.
func fileID(path string) (id string, ok bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%s %d %d %d", path, fi.Size(), fi.ModTime().UnixNano(), inode(fi)), true
}

// goEnviron returns, sorted, the variables of the environment that
// configure the go command and its tools (GO*, CGO_*) and those named in
// extra, without GOFLAGS unless extra names it, and never the variables the
// go command sets for the tools it runs.
func goEnviron(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case slices.Contains(extra, k):
		case k == "GOFLAGS" || k == "TOOLEXEC_IMPORTPATH" || k == envConfig:
			continue
		case !strings.HasPrefix(k, "GO") && !strings.HasPrefix(k, "CGO_"):
			continue
		}
		env = append(env, kv)
	}
	sort.Strings(env)
	return env
}
