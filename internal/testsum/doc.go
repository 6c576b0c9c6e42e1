// Command testsum runs go test commands with -json and prints what a person
// waiting for them wants to see: one line per package as it finishes, the
// output of each failing test, a line naming what still runs when nothing
// has finished for a while, and one summary line at the end:
//
//	testsum [-C DIR] go test ARGS... [--- [-C DIR] go test ARGS...]...
//
// Each command runs in turn (in DIR when -C is given) and its -json events
// are read as they come; its stderr passes through. The summary line reads
// "N passed, N failed", counting tests and subtests; a package that fails
// without a failing test (a build failure, a panic outside a test, a
// timeout) counts as one failure, and so does a command that exits non-zero
// with nothing failed. testsum exits 1 when anything failed, 2 on bad usage.
//
// make test uses it so that the three modules' tests end with one line.
package main
