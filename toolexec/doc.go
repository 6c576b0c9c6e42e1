// Package toolexec instruments a Go build at compile time, without touching
// the source tree: `spangen go build ./...` runs the go command with
// -toolexec pointing back at spangen, and spangen, called for every tool the
// go command runs, rewrites the files of the packages to instrument before it
// hands them to the real compiler.
package toolexec
