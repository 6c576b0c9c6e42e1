package spantree

import (
	"runtime"
	"time"
)

// rootGrace is how long a root that ended with goroutines still running waits
// for them before its trace is published without them.
const rootGrace = 50 * time.Millisecond

// waitGrace waits for the grace period of an ended root, if it has one, and
// publishes the trace. It does not wait for subtests, which cannot run
// before the test that waits here returns.
func (tr *trace) waitGrace() {
	deadline := time.Now().Add(rootGrace)
	for !tr.graceOver() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	tr.endGrace()
}

// testYields is how many times a test's root lets the scheduler run before
// its trace is published without the goroutines still running. A goroutine
// that is finishing (its deferred wg.Done ran, its span's end has not) needs
// a turn or two; one that goes on (a cache's janitor) is named as having
// outlived the test at once, instead of holding every such test for
// rootGrace, and sends its spans later, as an update, if it ends.
const testYields = 16

// yieldGrace is waitGrace for a test: it yields the processor instead of
// sleeping.
func (tr *trace) yieldGrace() {
	for i := 0; i < testYields && !tr.graceOver(); i++ {
		runtime.Gosched()
	}
	tr.endGrace()
}

// graceOver reports whether the grace of an ended root has nothing left to
// wait for: no grace, or only subtests running.
func (tr *trace) graceOver() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return !tr.grace || len(tr.running) == 0 || tr.runsOnlyTests()
}

// runsTests reports whether subtests of the trace still run. tr.mu is held.
func (tr *trace) runsTests() bool {
	for g := range tr.running {
		if g.fn.Kind == KindTest {
			return true
		}
	}
	return false
}

// runsOnlyTests reports whether every goroutine of the trace still running
// is a subtest. tr.mu is held.
func (tr *trace) runsOnlyTests() bool {
	for g := range tr.running {
		if g.fn.Kind != KindTest {
			return false
		}
	}
	return true
}

// endGrace publishes a trace whose root has ended, once: the goroutines still
// running then are named as having outlived it. Subtests are not: the
// testing package runs a parallel subtest (t.Parallel) only after its parent
// returned, so the trace waits for them instead, and is published when the
// last one ends.
func (tr *trace) endGrace() {
	tr.mu.Lock()
	if !tr.grace {
		tr.mu.Unlock()
		return
	}
	if tr.runsTests() {
		tr.waitTests = true
		tr.mu.Unlock()
		return
	}
	tr.grace = false
	for g := range tr.running {
		tr.outlived = append(tr.outlived, g.fn.Name)
	}
	tr.mu.Unlock()
	tr.publish(true)
}
