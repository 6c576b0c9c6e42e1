// Package filefault damages files for tests of what a program does with a
// corrupt file.
package filefault

import "os"

// Corrupt writes 64 KiB of junk into the middle of the file at path, where
// a database's data pages are rather than its header and schema.
func Corrupt(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(i*7 + 13)
	}
	if _, err := f.WriteAt(junk, fi.Size()/2); err != nil {
		return err
	}
	return f.Close()
}
