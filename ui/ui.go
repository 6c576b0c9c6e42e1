// Package ui is the terminal UI of `spantree ui` (issue 7).
package ui

import (
	"fmt"
	"io"
)

// Main runs `spantree ui` with the arguments after "ui" and returns the exit
// status.
func Main(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "spantree ui: not built yet")
	return 1
}
