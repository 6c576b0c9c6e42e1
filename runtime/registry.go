package spantree

import (
	"sync"
	"time"
)

// registry holds the traces whose root is running, for publication of
// long-running traces and for Flush.
var registry = &traceRegistry{m: map[*trace]struct{}{}}

type traceRegistry struct {
	mu      sync.Mutex
	m       map[*trace]struct{}
	started bool
}

func (r *traceRegistry) add(tr *trace) {
	r.mu.Lock()
	r.m[tr] = struct{}{}
	if !r.started && state.cfg.Publish > 0 {
		r.started = true
		go r.loop(state.cfg.Publish)
	}
	r.mu.Unlock()
}

func (r *traceRegistry) remove(tr *trace) {
	r.mu.Lock()
	delete(r.m, tr)
	r.mu.Unlock()
}

func (r *traceRegistry) snapshot() []*trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*trace, 0, len(r.m))
	for tr := range r.m {
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
