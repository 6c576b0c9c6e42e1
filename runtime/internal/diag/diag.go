// Package diag writes the runtime's own warnings on stderr, prefixed
// "spantree: ": a bad setting, a sink that loses spans. Warnings name what
// went wrong once; counts are given at exit.
package diag

import (
	"fmt"
	"os"
	"sync"
)

// Warnf writes one warning line.
func Warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "spantree: "+format+"\n", args...)
}

var once sync.Map // message key -> struct{}

// WarnOncef warns once per key for the life of the process.
func WarnOncef(key, format string, args ...any) {
	if _, loaded := once.LoadOrStore(key, struct{}{}); loaded {
		return
	}
	Warnf(format, args...)
}
