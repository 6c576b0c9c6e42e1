// Package realmod holds the end-to-end test of spangen on published modules:
// copies of go-cmp, ksuid and golang.org/x/sync from the module cache are
// instrumented with spangen -w, must stay gofmt-clean, build, pass their own
// test suites while emitting spans that meet the wire contract, and come
// back byte for byte with -undo. `go test -short` skips it.
package realmod
