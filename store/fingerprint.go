package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	spantree "github.com/spantree/spantree/runtime"
)

// GroupingVersion is stored with every error group. Bump it when
// [Fingerprint] changes, so that groups made by the old rule can be told apart.
const GroupingVersion = 1

// Fingerprint identifies an error group: a hash of the error type, the span
// name and the in-app function names of the stack, innermost first. Line
// numbers, file paths, argument values and goroutine ids are left out, so the
// fingerprint survives code moving around and a new build; the message is
// left out because it often carries ids and values.
func Fingerprint(spanName string, e *spantree.ErrorInfo) string {
	h := sha256.New()
	h.Write([]byte("v" + strconv.Itoa(GroupingVersion) + "\x00" + e.Type + "\x00" + spanName))
	for _, fn := range StackFunctions(e.Stack) {
		h.Write([]byte("\x00" + fn))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// StackFunctions returns the in-app function names of a Go stack trace as
// runtime/debug.Stack prints it: each frame's function without its
// arguments, skipping the standard library, the spantree runtime and
// "created by" lines.
func StackFunctions(stack string) []string {
	var fns []string
	for line := range strings.Lines(stack) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '\t' || line[0] == ' ' || strings.HasPrefix(line, "goroutine ") || strings.HasPrefix(line, "created by ") {
			continue
		}
		// Drop the argument list: the last "(" of the line opens it.
		if i := strings.LastIndexByte(line, '('); i > 0 && strings.HasSuffix(line, ")") {
			line = line[:i]
		}
		if !inApp(line) {
			continue
		}
		fns = append(fns, line)
	}
	return fns
}

// inApp reports whether fn (a qualified Go function name) belongs to the
// program: not the standard library (whose import paths have no dot in their
// first element, except main) and not spantree's runtime.
func inApp(fn string) bool {
	if strings.HasPrefix(fn, "main.") {
		return true
	}
	if strings.HasPrefix(fn, "github.com/spantree/spantree/runtime") {
		return false
	}
	// With no slash the package is one path element ("fmt.Errorf"): the
	// standard library. Otherwise a dot in the first element ("example.com/x")
	// marks a module path.
	first, _, ok := strings.Cut(fn, "/")
	return ok && strings.Contains(first, ".")
}
