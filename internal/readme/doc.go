// Package readme runs the README's shell commands, so that the way in that
// the README shows a newcomer cannot stop working unnoticed.
//
// Every fenced block tagged sh is a list of commands; TestREADME runs them
// all, in the order of the README, as one bash session with set -e, as a
// reader typing them would: in a scratch home, with the tools installed
// from a copy of this checkout, on a stand-in for the reader's own module
// (testdata/module.txtar). A command that fails fails the test, and so does
// a tree that spangen -undo did not give back byte for byte.
//
// A few lines cannot run as written in a test: they need the network, a
// server that keeps running, or a terminal. Each is replaced by what the
// test runs instead (the substitutes table in readme_test.go), and the test
// fails when a line of the table is no longer in the README, so that
// nothing is skipped silently. Blocks tagged text or go, or not tagged, are
// output, synopses and code, not commands.
package readme
