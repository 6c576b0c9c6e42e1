package spantree

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"sync/atomic"
)

// Signals. A server stopped with SIGTERM (or a program interrupted with
// Ctrl-C) dies without running deferred functions or returning from main:
// the spans of its last requests would never reach a sink. The runtime
// listens for SIGTERM and SIGINT (watchSignals) and on either flushes the
// sinks, within SPANTREE_FLUSH_TIMEOUT, before the program goes on as it
// would have without the runtime:
//
//   - a program that handles the signal itself (signal.Notify or
//     signal.NotifyContext, through Notify and NotifyContext, which spangen
//     writes in their place) keeps its own shutdown: the runtime only
//     publishes what runs at that moment, and the spans end as the program
//     ends them;
//   - a program that does not dies of the signal, with the same status: the
//     runtime ends the spans still running as failed (process.exit.code
//     128+N, the shell's convention), flushes, restores the default action
//     and sends the signal again.
//
// A signal the process started with ignored (nohup, a background job's
// SIGINT) stays ignored. A library that installs its own handler without
// the program's code calling signal.Notify is not seen: SPANTREE_SIGNALS=off
// leaves signals alone.

// handledSignals has a bit per signal number that the program handles
// itself (Notify); bit 0 stands for every signal (Notify without a list).
var handledSignals atomic.Uint64

// Handling notes that the program handles sig itself (every signal when
// none is given). Generated code calls it before each signal.Notify and
// signal.NotifyContext of the program, with the same signals.
func Handling(sig ...os.Signal) { markHandled(sig) }

// Notify is signal.Notify, noting that the program handles sig itself.
// Generated code calls it in place of signal.Notify.
func Notify(c chan<- os.Signal, sig ...os.Signal) {
	markHandled(sig)
	signal.Notify(c, sig...)
}

// NotifyContext is signal.NotifyContext, noting that the program handles
// sig itself. Generated code calls it in place of signal.NotifyContext.
func NotifyContext(parent context.Context, sig ...os.Signal) (context.Context, context.CancelFunc) {
	markHandled(sig)
	return signal.NotifyContext(parent, sig...)
}

func markHandled(sigs []os.Signal) {
	var bits uint64
	if len(sigs) == 0 {
		bits = 1
	}
	for _, s := range sigs {
		if n, ok := signalNumber(s); ok && n > 0 && n < 64 {
			bits |= 1 << n
		}
	}
	for { // atomic.Uint64.Or is go1.23; the runtime builds with go1.22
		old := handledSignals.Load()
		if old|bits == old || handledSignals.CompareAndSwap(old, old|bits) {
			return
		}
	}
}

// handles reports whether the program handles sig itself. A test binary
// that fuzzes does: the fuzzing engine stops on SIGINT and reports.
func handles(sig os.Signal) bool {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return true
	}
	h := handledSignals.Load()
	if h&1 != 0 {
		return true
	}
	n, ok := signalNumber(sig)
	return ok && n > 0 && n < 64 && h&(1<<n) != 0
}

// onSignal is what the runtime does when sig arrives.
func onSignal(sig os.Signal) {
	if handles(sig) {
		Flush() // the program's own shutdown follows; its spans end as it ends them
		return
	}
	n, _ := signalNumber(sig)
	ex := &exitInfo{code: 128 + n, signal: signalName(sig), at: now()}
	byTrace := runningSpans()
	for _, tr := range registry.snapshot() {
		tr.publishExit(ex, byTrace[tr])
	}
	flushSinks()
	reraise(sig)
}
