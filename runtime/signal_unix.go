//go:build unix

package spantree

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// watchSignals listens for SIGTERM and SIGINT, unless the process started
// with them ignored (see signal.go).
func watchSignals() {
	var sigs []os.Signal
	for _, s := range []os.Signal{syscall.SIGTERM, syscall.SIGINT} {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	go func() {
		for sig := range ch {
			onSignal(sig)
		}
	}()
}

// reraise dies of sig as the process would have without the runtime: the
// default action restored, the signal sent again.
func reraise(sig os.Signal) {
	s, ok := sig.(syscall.Signal)
	if !ok {
		os.Exit(1)
	}
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), s)
	// The default action of SIGTERM and SIGINT ends the process as soon as
	// the signal is delivered; should it not be, exit with the status a
	// shell reports for it.
	time.Sleep(time.Second)
	os.Exit(128 + int(s))
}

func signalNumber(sig os.Signal) (int, bool) {
	s, ok := sig.(syscall.Signal)
	return int(s), ok
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}
