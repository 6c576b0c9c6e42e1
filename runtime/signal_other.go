//go:build !unix

package spantree

import "os"

// watchSignals does nothing where signals cannot be sent again (Windows,
// wasm): the runtime leaves them to the program.
func watchSignals() {}

func reraise(os.Signal) {}

func signalNumber(os.Signal) (int, bool) { return 0, false }

func signalName(sig os.Signal) string { return sig.String() }
