package spantree

import (
	"sync"
	"time"
)

// registry holds the traces whose root is running, for publication of
// long-running traces and for Flush: a list linked through the traces
// themselves, so that adding and removing one (once per trace) costs a few
// stores under the lock, not a map's hashing.
var registry = &traceRegistry{}

type traceRegistry struct {
	mu      sync.Mutex
	head    *trace
	n       int
	started bool
}

// regLink is a trace's place in the registry, guarded by registry.mu.
type regLink struct {
	prev, next *trace
	listed     bool
}

func (r *traceRegistry) add(tr *trace) {
	r.mu.Lock()
	tr.reg = regLink{next: r.head, listed: true}
	if r.head != nil {
		r.head.reg.prev = tr
	}
	r.head = tr
	r.n++
	if !r.started && state.cfg.Publish > 0 {
		r.started = true
		go r.loop(state.cfg.Publish)
	}
	r.mu.Unlock()
}

func (r *traceRegistry) remove(tr *trace) {
	r.mu.Lock()
	if l := tr.reg; l.listed {
		if l.prev != nil {
			l.prev.reg.next = l.next
		} else {
			r.head = l.next
		}
		if l.next != nil {
			l.next.reg.prev = l.prev
		}
		tr.reg = regLink{}
		r.n--
	}
	r.mu.Unlock()
}

func (r *traceRegistry) snapshot() []*trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*trace, 0, r.n)
	for tr := r.head; tr != nil; tr = tr.reg.next {
		out = append(out, tr)
	}
	return out
}

// loop publishes the traces that have run longer than every.
func (r *traceRegistry) loop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		t := now()
		for _, tr := range r.snapshot() {
			tr.mu.Lock()
			due := t-max(tr.lastPub, tr.root.start) >= int64(every)
			tr.mu.Unlock()
			if due && !tr.closed.Load() {
				tr.publish(false)
			}
		}
	}
}

// publishRunning publishes every trace in progress, as Flush does at exit.
func publishRunning() {
	for _, tr := range registry.snapshot() {
		if !tr.closed.Load() {
			tr.publish(false)
		} else {
			tr.endGrace()
		}
	}
}
