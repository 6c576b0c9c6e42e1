//go:build amd64 || arm64

package spantree

import "unsafe"

// getg returns the running goroutine's runtime.g, read from TLS (amd64) or
// the g register (arm64). It is only ever used as an opaque base pointer for
// reading the goroutine id at an offset found by probe.
func getg() unsafe.Pointer

const haveGetg = true
