// Command spangen is a stand-in for cmd/spangen with only the toolexec mode
// (spangen go ..., spangen toolexec ...), for benchmarks and manual tries
// before cmd/spangen dispatches to package toolexec.
package main

import (
	"fmt"
	"os"

	"github.com/spantree/spantree/toolexec"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "toolexec":
			os.Exit(toolexec.Main(os.Args[2:]))
		case "go":
			os.Exit(toolexec.Go(os.Args[2:]))
		}
	}
	fmt.Fprintln(os.Stderr, "usage: spangen go build|test|run|install|vet ... | spangen toolexec TOOL ARGS...")
	os.Exit(2)
}
