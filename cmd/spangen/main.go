// Command spangen rewrites Go source so that every function runs in a span
// of the spantree runtime, and takes that instrumentation out again.
//
// Usage:
//
//	spangen [-w | -d | -l] [-undo] [-replace DIR] [-init] [-tiny] [packages]
//
// Packages are go list patterns (default "."), or Go files, taken as gofmt
// takes them (only those files). With no flag the rewritten files are
// printed; -w writes them back and makes the module's go.mod require the
// runtime (with -replace DIR, a spantree checkout's; without it the runtime
// must resolve, from a replace already in go.mod or a published version,
// and spangen -w refuses, writing nothing, when it does not); -d prints a
// unified diff; -l lists the files that would change. -undo removes the instrumentation; for a gofmt-formatted file
// the original bytes come back exactly. Nothing is written when any file
// fails (a file that does not parse is reported as file:line:col). Only
// the syntax is read: nothing is compiled or type-checked, so a first run
// costs about what gofmt does, and a rerun on files spangen wrote (the
// cache of os.UserCacheDir()/spantree/rewrite knows them) less. On a
// terminal a run of over a second shows how many packages are done.
//
// Exit status: 0 on success, 1 when a file could not be rewritten, 2 on bad
// usage.
//
// spangen go build|test|run|install|vet runs the go command with the
// module's packages instrumented as they compile, the source untouched.
//
// As a go:generate step (after a first spangen -w -replace DIR):
//
//	//go:generate spangen -w .
//
// or as a tool of the module: go get -tool github.com/spantree/spantree/cmd/spangen,
// then go tool spangen -w ./...
package main

import (
	"os"

	"github.com/spantree/spantree/toolexec"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "toolexec": // what go build -toolexec="spangen toolexec" runs
			os.Exit(toolexec.Main(os.Args[2:]))
		case "go": // spangen go build|test|run|install|vet ...
			os.Exit(toolexec.Go(os.Args[2:]))
		}
	}
	os.Exit(run(os.Args[1:]))
}
