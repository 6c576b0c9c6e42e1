package benchmarks

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// tenMillion is the length of the loop the issue asks about: a trace that
// grows without bound must keep memory bounded and say what it dropped.
const tenMillion = 10_000_000

// Indices into memFns.
const (
	memRoot = iota
	memLeaf
	memParent
	memChild
)

// memFns are the descriptors of the functions the memory benchmark calls,
// apart from fns so that their fold state is their own.
var memFns = [...]spantree.Func{
	memRoot:   {Name: "benchmarks.loopRoot", Loc: "benchmarks/memory_test.go:35"},
	memLeaf:   {Name: "benchmarks.leaf", Loc: "benchmarks/memory_test.go:46"},
	memParent: {Name: "benchmarks.parent", Loc: "benchmarks/memory_test.go:54"},
	memChild:  {Name: "benchmarks.child", Loc: "benchmarks/memory_test.go:62"},
}

// loopRoot calls call n times under one root span.
func loopRoot(ctx context.Context, n int, call func()) {
	_, __sp := spantree.StartContext(ctx, &memFns[memRoot])
	if __sp.Live() {
		defer __sp.Done()
	}
	for range n {
		call()
	}
}

// leaf is fast and has no children: its calls fold.
func leaf() {
	__sp := spantree.Start(&memFns[memLeaf])
	if __sp.Live() {
		defer __sp.Done()
	}
}

// parent has a child, so it never folds: every call is a recorded span.
func parent() {
	__sp := spantree.Start(&memFns[memParent])
	if __sp.Live() {
		defer __sp.Done()
	}
	child()
}

func child() {
	__sp := spantree.Start(&memFns[memChild])
	if __sp.Live() {
		defer __sp.Done()
	}
}

// peakMemory samples the heap while f runs and returns the highest HeapInuse
// and Sys seen, and HeapInuse before f started.
func peakMemory(f func()) (base, heapInuse, sys uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, heapInuse, sys = ms.HeapInuse, ms.HeapInuse, ms.Sys
	var (
		mu   sync.Mutex
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		heapInuse, sys = max(heapInuse, ms.HeapInuse), max(sys, ms.Sys)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	f()
	sample()
	close(done)
	wg.Wait()
	return base, heapInuse, sys
}

// BenchmarkMemory10M runs a loop of ten million calls under one root span,
// once per op, and reports the peak memory it reaches, with the spans the
// sinks received and the spans the trace said it dropped.
func BenchmarkMemory10M(b *testing.B) {
	for _, bc := range []struct {
		name string
		call func()
	}{
		{name: "Folded", call: leaf},
		{name: "Recorded", call: parent}, // 20M spans: parent and child
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			spans := exported.spans.Load()
			var base, peakHeap, peakSys uint64
			for b.Loop() {
				b0, h, s := peakMemory(func() { loopRoot(context.Background(), tenMillion, bc.call) })
				base, peakHeap, peakSys = b0, max(peakHeap, h), max(peakSys, s)
			}
			b.StopTimer()
			spantree.Flush()
			const mb = 1 << 20
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/tenMillion, "ns/call")
			b.ReportMetric(float64(base)/mb, "base-HeapInuse-MB")
			b.ReportMetric(float64(peakHeap)/mb, "peak-HeapInuse-MB")
			b.ReportMetric(float64(peakSys)/mb, "peak-Sys-MB")
			b.ReportMetric(float64(exported.spans.Load()-spans)/float64(b.N), "spans-exported/op")
			b.ReportMetric(float64(exported.dropped.Load()), "spans-dropped/op")
		})
	}
}
