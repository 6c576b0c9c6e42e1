package toolexec

import (
	"errors"
	"strings"
)

// valueFlags are the flags of go build, test, run, install and vet (and of
// test binaries, which go test accepts too) that take a value, so that
// "-flag value" is two arguments.
var valueFlags = map[string]bool{
	"C": true, "o": true, "p": true, "asmflags": true, "buildmode": true, "buildvcs": false,
	"compiler": true, "gccgoflags": true, "gcflags": true, "installsuffix": true, "ldflags": true,
	"mod": true, "modfile": true, "overlay": true, "pgo": true, "pkgdir": true, "tags": true,
	"toolexec": true, "covermode": true, "coverpkg": true, "exec": true, "vettool": true,
	"bench": true, "benchtime": true, "blockprofile": true, "blockprofilerate": true, "count": true,
	"coverprofile": true, "cpu": true, "cpuprofile": true, "fuzz": true, "fuzzminimizetime": true,
	"fuzztime": true, "list": true, "memprofile": true, "memprofilerate": true, "mutexprofile": true,
	"mutexprofilefraction": true, "outputdir": true, "parallel": true, "run": true, "shuffle": true,
	"skip": true, "timeout": true, "trace": true, "vet": true, "artifacts": false,
}

// scanned is what spangen go needs to know of the go command's arguments.
type scanned struct {
	args     []string // the arguments without -gcflags
	gcflags  []string // the values of -gcflags, in order
	compile  []string // flags that change how packages compile (see compileFlags)
	modFlags []string // -mod and -modfile, for listing the main modules
}

// scanArgs reads the flags of `go sub args...`. Flags end at the first
// argument that is not one, except for go test, which takes flags after the
// packages too, up to -args. Arguments after the flags (packages, and for
// go run the program's arguments) are left alone.
func scanArgs(sub string, args []string) (scanned, error) {
	var s scanned
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || (sub == "test" && (a == "-args" || a == "--args")) {
			s.args = append(s.args, args[i:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if sub != "test" {
				s.args = append(s.args, args[i:]...)
				break
			}
			s.args = append(s.args, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		name = strings.TrimPrefix(name, "test.")
		words := []string{a}
		if !hasValue && valueFlags[name] && i+1 < len(args) {
			i++
			value = args[i]
			words = append(words, value)
		}
		switch {
		case name == "toolexec":
			return s, errors.New("-toolexec is set by spangen go itself")
		case name == "gcflags":
			s.gcflags = append(s.gcflags, value)
			s.compile = append(s.compile, "-gcflags="+value)
			continue
		case compileFlags[name]:
			if len(words) == 2 {
				s.compile = append(s.compile, "-"+name+"="+value)
			} else {
				s.compile = append(s.compile, a)
			}
		case name == "mod" || name == "modfile":
			s.modFlags = append(s.modFlags, "-"+name+"="+value)
		}
		s.args = append(s.args, words...)
	}
	return s, nil
}
