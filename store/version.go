package store

import (
	"cmp"
	"strconv"
	"strings"
)

// CompareVersions orders app versions such as "v1.10.2", "1.9" or
// "2026.11.25-rc1": numeric dot-separated parts compare as numbers, other
// parts as text, and a missing part is older than a number but newer than a word
// ("2.0" > "2.0-rc1"). It returns -1, 0 or +1.
func CompareVersions(a, b string) int {
	a, b = strings.TrimPrefix(a, "v"), strings.TrimPrefix(b, "v")
	pa, pb := strings.FieldsFunc(a, isVersionSep), strings.FieldsFunc(b, isVersionSep)
	for i := range max(len(pa), len(pb)) {
		// A missing part is older than a number ("1.2" < "1.2.1") and
		// newer than a pre-release word ("2.0" > "2.0-rc1").
		if i >= len(pa) {
			return preRelease(pb[i])
		}
		if i >= len(pb) {
			return -preRelease(pa[i])
		}
		na, ea := strconv.ParseUint(pa[i], 10, 64)
		nb, eb := strconv.ParseUint(pb[i], 10, 64)
		var c int
		switch {
		case ea == nil && eb == nil:
			c = cmp.Compare(na, nb)
		case ea == nil:
			c = 1 // a release number sorts after a pre-release word
		case eb == nil:
			c = -1
		default:
			c = cmp.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func isVersionSep(r rune) bool { return r == '.' || r == '-' || r == '+' }

// preRelease is +1 for a word such as "rc1", -1 for a number.
func preRelease(part string) int {
	if _, err := strconv.ParseUint(part, 10, 64); err == nil {
		return -1
	}
	return 1
}
