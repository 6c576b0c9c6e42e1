package toolexec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/spantree/spantree/internal/gomod"
)

// envConfig names the environment variable through which `spangen go` hands
// the configuration file of a build to the spangen toolexec processes the go
// command starts.
const envConfig = "SPANGEN_TOOLEXEC_CONFIG"

// envPkgs is the environment variable holding the -pkgs patterns when no
// flag gives them (the only way to pass them through a plain
// `go build -toolexec="spangen toolexec"`, besides flags after toolexec).
const envPkgs = "SPANGEN_PKGS"

// Module is a main module of a build: its path and directory.
type Module = gomod.Module

// Config is what the toolexec processes of one build share.
type Config struct {
	// ID identifies spangen, the runtime and this configuration; it keys the
	// go command's cache (see [Config.hash]).
	ID string
	// Pkgs are the package patterns to instrument (see [Patterns]).
	Pkgs Patterns
	// Main are the main modules. Empty means unknown (a direct
	// -toolexec build): then a package whose directory is in a module on
	// disk, outside the module cache, GOROOT and vendor directories, counts.
	Main []Module
	// Exports are the archives of the runtime and of the packages it imports,
	// built with the build's flags. Nil means not built yet (direct mode).
	Exports Exports
	// Flags are the go build flags that change how packages compile (race,
	// tags, gcflags...; see compileFlags), for building spanhttp when a
	// package needs it and for asking the go command about dependencies.
	Flags []string
}

// hash is a short digest of everything in c that changes the output of an
// instrumented compile: spangen itself (its executable and the runtime it
// carries) and the choice of packages. It is not affected by Exports, which
// the go command's own cache keys already cover (same flags, same archives).
func (c *Config) hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "spangen %s\n", selfID())
	fmt.Fprintf(h, "pkgs %q\n", c.Pkgs.String())
	// The runtime is extracted into the spangen cache and compiled from
	// there; its archive (and so the fingerprint the instrumented packages
	// are compiled against) differs from one cache directory to another.
	if dir, err := cacheDir(); err == nil {
		fmt.Fprintf(h, "cache %q\n", dir)
	}
	for _, m := range c.Main {
		fmt.Fprintf(h, "main %q %q\n", m.Path, m.Dir)
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}

func (c *Config) save() (string, error) {
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	name := filepath.Join(dir, "config", hex.EncodeToString(sum[:12])+".json")
	if _, err := os.Stat(name); err == nil {
		return name, nil
	}
	return name, writeCache(name, b)
}

func loadConfig(name string) (*Config, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read spangen configuration: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read spangen configuration %s: %w", name, err)
	}
	return &c, nil
}

var selfIDOnce = sync.OnceValue(computeSelfID)

// selfID identifies this spangen: its module version when it was installed
// from a tagged release, else a digest of its executable (so that every
// rebuild of a development spangen gets fresh cache entries), plus the
// embedded runtime.
func selfID() string { return selfIDOnce() }

func computeSelfID() string {
	id := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" && !strings.Contains(bi.Main.Version, "+dirty") {
		id = bi.Main.Version
	} else if exe, err := os.Executable(); err == nil {
		if d := exeDigest(exe); d != "" {
			id = "exe-" + d
		}
	}
	return id + "+runtime-" + runtimeHash()
}

// exeDigest is a digest of the executable file exe. Hashing megabytes on
// every build would cost more than a warm build itself, so the digest is
// memoized in the spangen cache under the file's identity (path, size,
// modification time, inode): a rebuilt spangen is a new file.
func exeDigest(exe string) string {
	id, ok := fileID(exe)
	if !ok {
		return ""
	}
	var memo string
	if dir, err := cacheDir(); err == nil {
		k := sha256.Sum256([]byte(id))
		memo = filepath.Join(dir, "self", hex.EncodeToString(k[:12]))
		if b, err := os.ReadFile(memo); err == nil && len(b) == 16 {
			return string(b)
		}
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	d := hex.EncodeToString(h.Sum(nil)[:8])
	if memo != "" {
		_ = writeCache(memo, []byte(d)) // a memo that cannot be written is recomputed next time
	}
	return d
}
