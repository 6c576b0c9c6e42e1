// Package atomicfile writes files so that a reader sees the old content or
// the new, never part of it: the data goes to a temporary file in the same
// directory, which is then renamed over the file.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to name atomically, with permissions perm (not
// filtered by the umask). name's directory must exist; a file already at
// name is replaced whatever its permissions (see [Replace] for the files of
// a user).
func Write(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// Replace replaces the existing file name with data atomically, keeping its
// permissions. It refuses a file that [CheckWritable] refuses.
func Replace(name string, data []byte) error {
	fi, err := CheckWritable(name)
	if err != nil {
		return err
	}
	return Write(name, data, fi.Mode().Perm())
}

// CheckWritable returns name's FileInfo, or an error when name is not a
// regular file its owner may write: a read-only file stays read-only, even
// for root, who could rename over it.
func CheckWritable(name string) (os.FileInfo, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	if fi.Mode().Perm()&0o200 == 0 {
		return nil, fmt.Errorf("%s: file is read-only", name)
	}
	return fi, nil
}
