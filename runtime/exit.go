package spantree

import (
	"os"
	"strconv"
)

// The end of the process. A program that ends in os.Exit or log.Fatal does
// not return from its spans: they would stay "running" forever in every
// viewer, and a failed run would not count as failed. Generated code passes
// the exit code through Exiting on those paths; the last publication of
// every trace then ends each span still running at that moment, failed with
// the exit status (succeeded for status 0), with the code as the
// process.exit.code attribute (OpenTelemetry's name for it).

// exitInfo marks a publication as the process's last.
type exitInfo struct {
	code   int
	signal string // the signal that ends the process (SIGTERM), if any
	at     int64  // monotonic time of the exit
}

// Exit flushes, ending the spans still running with code, and then calls
// os.Exit(code).
func Exit(code int) {
	os.Exit(Exiting(code))
}

// Exiting is called right before the process exits with code: it publishes
// every trace in progress with its running spans ended by the exit, waits
// for the sinks (SPANTREE_FLUSH_TIMEOUT) and returns code. Generated code
// wraps the argument of os.Exit with it and calls it with 1 before
// log.Fatal:
//
//	os.Exit(__spantree.Exiting(code))
func Exiting(code int) int {
	if !enabled() {
		return code
	}
	ex := &exitInfo{code: code, at: now()}
	byTrace := runningSpans()
	for _, tr := range registry.snapshot() {
		tr.publishExit(ex, byTrace[tr])
	}
	flushSinks()
	return code
}

// runningSpans returns, by trace, the spans running on every goroutine of
// the goroutine table: each goroutine's current span and the ones it runs
// under. A span's prev is written before the span is stored as its
// goroutine's current one, so reading it after loading cur is ordered.
func runningSpans() map[*trace][]*span {
	out := map[*trace][]*span{}
	add := func(sl *gslot) {
		for s := sl.cur.Load(); s != nil; s = s.prev {
			if s.end.Load() == 0 {
				out[s.tr] = append(out[s.tr], s)
			}
		}
	}
	for i := range gkeys {
		if gkeys[i].Load() != 0 {
			if sl := gslots[i].Load(); sl != nil && sl.key.Load() != 0 {
				add(sl)
			}
		}
	}
	if overflow.n.Load() > 0 {
		overflow.Lock()
		for _, sl := range overflow.m {
			add(sl)
		}
		overflow.Unlock()
	}
	return out
}

// publishExit is publish for the process's last publication.
func (tr *trace) publishExit(ex *exitInfo, running []*span) {
	list := tr.head.Swap(nil)
	dropped := tr.dropped.Swap(0)
	tr.mu.Lock()
	for s := range tr.running {
		running = append(running, s)
	}
	outlived := append([]string(nil), tr.outlived...)
	tr.mu.Unlock()
	dispatch(&pubJob{tr: tr, list: list, running: running, outlived: outlived, dropped: dropped, rootEnded: true, exit: ex})
}

// exited fills d, a span still running when the process exited, as ended
// by the exit.
func (ex *exitInfo) exited(d *SpanData, tr *trace) {
	d.End = wallAt(tr.wall, tr.mono, ex.at)
	d.Status = StatusSucceeded
	switch {
	case ex.signal != "":
		d.Status = StatusFailed
		d.Error = &ErrorInfo{Type: "signal", Message: "terminated by " + ex.signal}
		d.Level = LevelError
	case ex.code != 0:
		d.Status = StatusFailed
		d.Error = &ErrorInfo{Type: "exit", Message: "exit status " + strconv.Itoa(ex.code)}
		d.Level = LevelError
	}
	d.setAttr("process.exit.code", ex.code)
}
