package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progressAfter is how long a run goes on before it shows its progress.
const progressAfter = time.Second

// progress shows, on a terminal, how many packages of a run are done, once
// the run has taken more than progressAfter: one line, rewritten in place,
// and cleared at the end. Elsewhere (a pipe, a file, a CI log) it prints
// nothing.
type progress struct {
	mu    sync.Mutex
	w     io.Writer // nil: not a terminal
	start time.Time
	n, of int
	shown bool
}

// newProgress counts of packages on w, when tty says w is a terminal.
func newProgress(w io.Writer, tty bool, of int) *progress {
	p := &progress{start: time.Now(), of: of}
	if tty {
		p.w = w
	}
	return p
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// done counts one package done.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.w == nil || time.Since(p.start) < progressAfter {
		return
	}
	fmt.Fprintf(p.w, "\rspangen: %d/%d packages", p.n, p.of)
	p.shown = true
}

// end clears the progress line, if one was shown.
func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
