package toolexec

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
)

// link adds the runtime and the packages it imports to the importcfg of a
// link. The go command knows nothing of the runtime the instrumented
// packages import, so the importcfg it wrote lists only the packages it
// built; the linker needs an archive for every package reachable from main.
// Lines for packages no instrumented code imports are harmless: the linker
// loads only what main reaches. Packages the build already has keep the
// archive the go command chose (they were compiled with the same flags).
func (t *tool) link() error {
	cfgFile, i := flagValue(t.args, "importcfg")
	if i < 0 {
		return nil
	}
	if err := t.ensureExports(); err != nil {
		return err
	}
	ex := t.cfg.Exports
	if linksNetHTTP(cfgFile) {
		// Instrumented files that use net/http import spanhttp; a program
		// without net/http cannot have any, and does not pay for building it.
		hx, err := t.httpExports()
		if err != nil {
			return err
		}
		ex = hx // its closure includes the runtime's
	}
	name, err := addImports(cfgFile, filepath.Join(filepath.Dir(cfgFile), "importcfg.spantree.link"), ex)
	if err != nil {
		return err
	}
	setFlagValue(t.args, i, "importcfg", name)
	return nil
}

func sortedKeys(m Exports) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// linksNetHTTP reports whether the link's importcfg, which lists every
// package of the program, has net/http.
func linksNetHTTP(cfgFile string) bool {
	b, err := os.ReadFile(cfgFile)
	line := []byte("packagefile net/http=")
	return err == nil && (bytes.HasPrefix(b, line) || bytes.Contains(b, append([]byte("\n"), line...)))
}
