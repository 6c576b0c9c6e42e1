package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spantree/spantree/internal/atomicfile"
	"github.com/spantree/spantree/internal/load"
	"github.com/spantree/spantree/rewrite"
)

// fixedPoints remembers, per package directory and options, the digest of
// the files of the last run that left them as they were (or wrote them:
// the rewrite is idempotent, so what it wrote it leaves alone). A rerun
// whose files, options and spangen binary are the same skips the package:
// after spangen -w ./..., a second run reads the files and lists the
// packages, and rewrites none. One small file per directory and options,
// under os.UserCacheDir()/spantree/rewrite ($SPANGEN_CACHE/rewrite when
// that is set); a cache that cannot be read or written is no cache.
type fixedPoints struct {
	dir string // "" when there is no cache
	exe string // digest of the running binary: another spangen, other rules
}

// openFixedPoints finds the cache directory and the digest of the binary;
// without either it returns a cache that remembers nothing.
func openFixedPoints() *fixedPoints {
	dir := os.Getenv("SPANGEN_CACHE")
	if dir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return &fixedPoints{}
		}
		dir = filepath.Join(d, "spantree")
	}
	exe, err := executableDigest()
	if err != nil {
		return &fixedPoints{}
	}
	return &fixedPoints{dir: filepath.Join(dir, "rewrite"), exe: exe}
}

func executableDigest() (string, error) {
	name, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// entry is the cache file for the package in dir rewritten with opts.
func (c *fixedPoints) entry(dir string, opts rewrite.Options, undo bool) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%+v\x00%v", dir, opts, undo))
	return filepath.Join(c.dir, hex.EncodeToString(h[:16]))
}

// digest identifies the binary and the files, names and contents.
func (c *fixedPoints) digest(srcs []rewrite.Source) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", c.exe, len(srcs))
	for _, s := range srcs {
		fmt.Fprintf(h, "%s\x00%d\x00", s.Name, len(s.Src))
		h.Write(s.Src)
	}
	return []byte(hex.EncodeToString(h.Sum(nil)))
}

// fixed reports whether a run remembered srcs, the files of p, as a fixed
// point of the rewrite with opts.
func (c *fixedPoints) fixed(p *load.Package, srcs []rewrite.Source, opts rewrite.Options, undo bool) bool {
	if c.dir == "" {
		return false
	}
	b, err := os.ReadFile(c.entry(filepath.Join(p.ModuleDir, p.Dir), opts, undo))
	return err == nil && string(b) == string(c.digest(srcs))
}

// remember records srcs, the files of p, as a fixed point of the rewrite
// with opts. Errors are dropped: the next run does the work again.
func (c *fixedPoints) remember(p *load.Package, srcs []rewrite.Source, opts rewrite.Options, undo bool) {
	if c.dir == "" {
		return
	}
	if err := os.MkdirAll(c.dir, 0o777); err != nil {
		return
	}
	_ = atomicfile.Write(c.entry(filepath.Join(p.ModuleDir, p.Dir), opts, undo), c.digest(srcs), 0o644)
}
