package toolexec

import (
	"fmt"
	"strings"
)

// Patterns choose the packages to instrument. Each is an import path
// pattern as the go command writes them ("example.com/m/...": the package
// and everything below it), the word "main" for the packages of the main
// modules (the default), or either one prefixed with "-" to leave matching
// packages out. A package is instrumented when the last pattern it matches
// is not an exclusion.
type Patterns []string

// ParsePatterns parses a comma-separated list of patterns; an empty list
// is the default, "main".
func ParsePatterns(s string) (Patterns, error) {
	var ps Patterns
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name := strings.TrimPrefix(p, "-")
		if name == "" || strings.ContainsAny(name, " \t\"'") || name == "all" || name == "std" || name == "cmd" {
			return nil, fmt.Errorf("bad package pattern %q: want an import path pattern or main, optionally prefixed with -", p)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		ps = Patterns{"main"}
	}
	return ps, nil
}

func (ps Patterns) String() string { return strings.Join(ps, ",") }

// Match reports whether the package with import path path is to be
// instrumented; inMain tells whether it belongs to a main module.
func (ps Patterns) Match(path string, inMain bool) bool {
	ok := false
	for _, p := range ps {
		name, exclude := strings.CutPrefix(p, "-")
		var m bool
		if name == "main" {
			m = inMain
		} else {
			m = matchPattern(name, path)
		}
		if m {
			ok = !exclude
		}
	}
	return ok
}

// matchPattern reports whether path matches the go command's package
// pattern: "..." matches any string, and a pattern ending in "/..." also
// matches the path before it and that package's external tests (path_test,
// which the go command's pattern leaves out).
func matchPattern(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok && (path == base || path == base+"_test") {
		return true
	}
	return matchGlob(pattern, path)
}

func matchGlob(pattern, s string) bool {
	i := strings.Index(pattern, "...")
	if i < 0 {
		return pattern == s
	}
	prefix, rest := pattern[:i], pattern[i+3:]
	if !strings.HasPrefix(s, prefix) {
		return false
	}
	s = s[len(prefix):]
	for j := 0; j <= len(s); j++ {
		if matchGlob(rest, s[j:]) {
			return true
		}
	}
	return false
}
