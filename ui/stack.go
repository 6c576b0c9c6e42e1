package ui

import (
	"fmt"
	"strings"
)

// stackLines are the lines of a Go stack for the detail pane: the program's
// own frames (function and file lines), and each run of frames of the
// standard library and of spantree's runtime folded into one dim line, so
// that the frames that matter come first. The goroutine header stays.
func stackLines(stack string) []string {
	lines := strings.Split(strings.TrimRight(stack, "\n"), "\n")
	var out []string
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], "goroutine ") {
		out = append(out, lines[i])
		i++
	}
	folded := 0
	flush := func() {
		if folded > 0 {
			out = append(out, styles.dim.Render(fmt.Sprintf("… %d %s of the standard library and the runtime", folded, plural(folded, "frame"))))
			folded = 0
		}
	}
	for ; i < len(lines); i++ {
		fn := lines[i]
		var file string
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\t") {
			file = lines[i+1]
			i++
		}
		if fn == "" {
			continue
		}
		if !ownFrame(fn) {
			folded++
			continue
		}
		flush()
		out = append(out, fn)
		if file != "" {
			out = append(out, file)
		}
	}
	flush()
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// ownFrame reports whether the function line of a stack frame belongs to
// the program: not to the standard library, not to spantree's runtime.
func ownFrame(fn string) bool {
	name := strings.TrimPrefix(fn, "created by ")
	if i := strings.IndexByte(name, '('); i > 0 && !strings.HasSuffix(name[:i], ".") {
		name = name[:i]
	}
	slash := strings.LastIndexByte(name, '/')
	pkg := name
	if dot := strings.IndexByte(name[slash+1:], '.'); dot >= 0 {
		pkg = name[:slash+1+dot]
	}
	if pkg == "github.com/spantree/spantree/runtime" || strings.HasPrefix(pkg, "github.com/spantree/spantree/runtime/") {
		return false
	}
	first, _, _ := strings.Cut(pkg, "/")
	return !stdRoots[first]
}

// stdRoots are the first elements of the standard library's import paths.
var stdRoots = map[string]bool{}

func init() {
	for _, r := range strings.Fields(`archive bufio builtin bytes cmp compress container context crypto database debug embed
		encoding errors expvar flag fmt go hash html image index internal io iter log maps math mime net os path plugin
		reflect regexp runtime slices sort strconv strings structs sync syscall testing text time unicode unique unsafe weak`) {
		stdRoots[r] = true
	}
}
