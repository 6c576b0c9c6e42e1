package spantree

import (
	"runtime"
	"unsafe"
)

// panic(nil) under GODEBUG=panicnil=1.
//
// Done recovers a panic to record it, then panics again with the same value.
// Under GODEBUG=panicnil=1 (the default of modules whose go line is older
// than 1.21) recover returns nil for panic(nil), and has stopped the panic
// all the same: Done would see a normal return and the program would go on
// as if the function had returned. So in that mode, and only then, Done
// reads whether the goroutine is panicking (runtime.g._panic, a field at a
// fixed offset since Go 1.4, checked at start-up) before it recovers, and
// when recover gives nil while a panic runs and the deferred Done was called
// by the panic (not by a function returning normally inside another panic's
// deferred call), it records the panic and panics with nil again.

// gPanicOff is the offset of runtime.g._panic: after the stack bounds and
// the two stack guards.
const gPanicOff = 4 * unsafe.Sizeof(uintptr(0))

// panicNil is set at set-up when recover returns nil for panic(nil) and the
// offset of g._panic checks out.
var panicNil bool

// gPanicKnown is set at set-up when the offset of g._panic checks out: nil
// outside a panic, set inside one. Done then reads it before it recovers,
// and a folded call that is not panicking (nearly all of them) skips
// recover, which costs more than the read.
var gPanicKnown bool

func probePanicNil() {
	if !haveGetg || idOff < 0 {
		return
	}
	if gPanicking() {
		return // set outside a panic: not the field
	}
	seen := false
	func() {
		defer func() {
			seen = gPanicking()
			recover()
		}()
		panic("spantree: probing runtime.g._panic")
	}()
	if !seen || gPanicking() {
		return
	}
	gPanicKnown = true
	nilRecovered := func() (r bool) {
		defer func() { r = recover() == nil }()
		panic(nil)
	}()
	panicNil = nilRecovered
}

// gPanicking reports whether the running goroutine is panicking.
func gPanicking() bool {
	return *(*unsafe.Pointer)(unsafe.Add(getg(), gPanicOff)) != nil
}

// panicking is gPanicking for the goroutine that owns s, read through its
// g without calling getg: for the owner only.
func (s *gslot) panicking() bool {
	return *(*unsafe.Pointer)(unsafe.Add(s.g, gPanicOff)) != nil
}

// recoveredNilPanic reports, after recover returned nil in Done or DoneErr
// while the goroutine was panicking, whether that recover stopped a
// panic(nil): whether Done was called by the panic, not by its function
// returning normally. It is on the rare path only.
//
//go:noinline
func recoveredNilPanic() bool {
	var pcs [1]uintptr
	// 0 Callers, 1 recoveredNilPanic, 2 Done or DoneErr, 3 who called it.
	if runtime.Callers(3, pcs[:]) == 0 {
		return false
	}
	f, _ := runtime.CallersFrames(pcs[:]).Next()
	return f.Function == "runtime.gopanic"
}
