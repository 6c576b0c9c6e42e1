package toolexec

import (
	"fmt"
	"os"
	"testing"
)

// TestMain lets the test binary stand in for spangen: when the go command
// it starts runs it as the -toolexec program (or a test runs it as spangen
// go), it dispatches as cmd/spangen does.
func TestMain(m *testing.M) {
	if os.Getenv("SPANGEN_TEST_AS_SPANGEN") == "1" && len(os.Args) > 1 {
		switch os.Args[1] {
		case "toolexec":
			os.Exit(Main(os.Args[2:]))
		case "go":
			os.Exit(Go(os.Args[2:]))
		}
		fmt.Fprintf(os.Stderr, "spangen (test binary): unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "spangen-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
