package toolexec

import (
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
	name, err := addImports(cfgFile, filepath.Join(filepath.Dir(cfgFile), "importcfg.spantree.link"), t.cfg.Exports)
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
