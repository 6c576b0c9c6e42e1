package toolexec

import (
	"fmt"
	"os"
	"path/filepath"
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

// writeFileAtomic writes data to name through a temporary file in the same
// directory renamed into place, so readers never see a half-written file.
func writeFileAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(name)+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
