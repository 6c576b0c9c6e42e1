package benchmarks

import (
	"context"
	"errors"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
)

// perTrace is how many measured calls run under one root span. Ending a root
// turns its trace into SpanData and queues it for the sinks; a hundred calls
// per trace amortizes that into the per-call cost, as in a real program.
const perTrace = 100

// Indices into fns.
const (
	fnRoot = iota
	fnRootParallel
	fnRecorded
	fnRecordedCtx
	fnFolded
	fnFailing
	fnFailingNamed
	fnNest0     // fnNest0 .. fnNest0+9: a call chain ten deep
	fnFoldedTen = fnNest0 + 10
	fnUnder     = fnNest0 + 11
)

// fns are the descriptors, as spangen writes them: one per function, built
// once. The recorded functions are marked KindNoFold (//spangen:nofold):
// otherwise a fast leaf called over and over under one parent folds, which
// is what the Folded benchmark measures.
var fns = [...]spantree.Func{
	fnRoot:         {Name: "benchmarks.root", Loc: "benchmarks/spantree_test.go:57"},
	fnRootParallel: {Name: "benchmarks.rootParallel", Loc: "benchmarks/spantree_test.go:69"},
	fnRecorded:     {Name: "benchmarks.recorded", Loc: "benchmarks/spantree_test.go:83", Kind: spantree.KindNoFold},
	fnRecordedCtx:  {Name: "benchmarks.recordedCtx", Loc: "benchmarks/spantree_test.go:90", Kind: spantree.KindNoFold},
	fnFolded:       {Name: "benchmarks.folded", Loc: "benchmarks/spantree_test.go:98"},
	fnFailing:      {Name: "benchmarks.failing", Loc: "benchmarks/spantree_test.go:126"},
	fnFailingNamed: {Name: "benchmarks.failingNamed", Loc: "benchmarks/spantree_test.go:134"},
	fnNest0 + 0:    {Name: "benchmarks.nest0", Loc: "benchmarks/spantree_test.go:142"},
	fnNest0 + 1:    {Name: "benchmarks.nest1", Loc: "benchmarks/spantree_test.go:150"},
	fnNest0 + 2:    {Name: "benchmarks.nest2", Loc: "benchmarks/spantree_test.go:158"},
	fnNest0 + 3:    {Name: "benchmarks.nest3", Loc: "benchmarks/spantree_test.go:166"},
	fnNest0 + 4:    {Name: "benchmarks.nest4", Loc: "benchmarks/spantree_test.go:174"},
	fnNest0 + 5:    {Name: "benchmarks.nest5", Loc: "benchmarks/spantree_test.go:182"},
	fnNest0 + 6:    {Name: "benchmarks.nest6", Loc: "benchmarks/spantree_test.go:190"},
	fnNest0 + 7:    {Name: "benchmarks.nest7", Loc: "benchmarks/spantree_test.go:198"},
	fnNest0 + 8:    {Name: "benchmarks.nest8", Loc: "benchmarks/spantree_test.go:206"},
	fnNest0 + 9:    {Name: "benchmarks.nest9", Loc: "benchmarks/spantree_test.go:214"},
	fnFoldedTen:    {Name: "benchmarks.foldedTen", Loc: "benchmarks/spantree_test.go:107"},
	fnUnder:        {Name: "benchmarks.under", Loc: "benchmarks/spantree_test.go:117"},
}

// root is the root span of one trace: it calls call n times.
func root(ctx context.Context, n int, call func(context.Context)) {
	ctx, __sp := spantree.StartContext(ctx, &fns[fnRoot])
	if __sp.Live() {
		defer __sp.Done()
	}
	for range n {
		call(ctx)
	}
}

// rootParallel is root for b.RunParallel: it calls call up to perTrace
// times, and reports false when pb has no more iterations.
func rootParallel(ctx context.Context, pb *testing.PB, call func(context.Context)) bool {
	ctx, __sp := spantree.StartContext(ctx, &fns[fnRootParallel])
	if __sp.Live() {
		defer __sp.Done()
	}
	for range perTrace {
		if !pb.Next() {
			return false
		}
		call(ctx)
	}
	return true
}

func recorded() {
	__sp := spantree.Start(&fns[fnRecorded])
	if __sp.Live() {
		defer __sp.Done()
	}
}

func recordedCtx(ctx context.Context) {
	ctx, __sp := spantree.StartContext(ctx, &fns[fnRecordedCtx])
	if __sp.Live() {
		defer __sp.Done()
	}
	_ = ctx
}

func folded() {
	__sp := spantree.Start(&fns[fnFolded])
	if __sp.Live() {
		defer __sp.Done()
	}
}

// foldedTen is a folded call that calls under ten times: the calls a folded
// call makes record nothing (UnderFold).
func foldedTen() {
	__sp := spantree.Start(&fns[fnFoldedTen])
	if __sp.Live() {
		defer __sp.Done()
	}
	for range 10 {
		under()
	}
}

func under() {
	__sp := spantree.Start(&fns[fnUnder])
	if __sp.Live() {
		defer __sp.Done()
	}
}

var errBench = errors.New("benchmark error")

func failing() error {
	__sp := spantree.Start(&fns[fnFailing])
	if __sp.Live() {
		defer __sp.Done()
	}
	return __sp.Err(errBench)
}

func failingNamed() (err error) {
	__sp := spantree.Start(&fns[fnFailingNamed])
	if __sp.Live() {
		defer __sp.DoneErr(&err)
	}
	return errBench
}

func nest0() {
	__sp := spantree.Start(&fns[fnNest0+0])
	if __sp.Live() {
		defer __sp.Done()
	}
	nest1()
}

func nest1() {
	__sp := spantree.Start(&fns[fnNest0+1])
	if __sp.Live() {
		defer __sp.Done()
	}
	nest2()
}

func nest2() {
	__sp := spantree.Start(&fns[fnNest0+2])
	if __sp.Live() {
		defer __sp.Done()
	}
	nest3()
}

func nest3() {
	__sp := spantree.Start(&fns[fnNest0+3])
	if __sp.Live() {
		defer __sp.Done()
	}
	nest4()
}

func nest4() {
	__sp := spantree.Start(&fns[fnNest0+4])
	if __sp.Live() {
		defer __sp.Done()
	}
	nest5()
}

func nest5() {
	__sp := spantree.Start(&fns[fnNest0+5])
	if __sp.Live() {
		defer __sp.Done()
	}
	nest6()
}

func nest6() {
	__sp := spantree.Start(&fns[fnNest0+6])
	if __sp.Live() {
		defer __sp.Done()
	}
	nest7()
}

func nest7() {
	__sp := spantree.Start(&fns[fnNest0+7])
	if __sp.Live() {
		defer __sp.Done()
	}
	nest8()
}

func nest8() {
	__sp := spantree.Start(&fns[fnNest0+8])
	if __sp.Live() {
		defer __sp.Done()
	}
	nest9()
}

func nest9() {
	__sp := spantree.Start(&fns[fnNest0+9])
	if __sp.Live() {
		defer __sp.Done()
	}
}

// underRoots calls call b.N times, perTrace calls under each root span.
func underRoots(b *testing.B, call func(context.Context)) {
	b.Helper()
	ctx := context.Background()
	b.ResetTimer()
	m := startMeter(b)
	for i := 0; i < b.N; i += perTrace {
		root(ctx, min(perTrace, b.N-i), call)
	}
	m.stopSpantree()
}

func BenchmarkSpantree(b *testing.B) {
	// Root is a trace of one span: a root that starts, ends and is exported.
	b.Run("Root", func(b *testing.B) {
		ctx := context.Background()
		m := startMeter(b)
		for b.Loop() {
			root(ctx, 0, nil)
		}
		m.stopSpantree()
	})
	// Start is a span in a function that takes no context: its parent is
	// found through the goroutine.
	b.Run("Start", func(b *testing.B) {
		underRoots(b, func(context.Context) { recorded() })
	})
	// StartContext is a span in a function that takes a context.
	b.Run("StartContext", func(b *testing.B) {
		underRoots(b, recordedCtx)
	})
	// Nested10 is one call chain ten deep per op: ten spans.
	b.Run("Nested10", func(b *testing.B) {
		underRoots(b, func(context.Context) { nest0() })
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10, "ns/span")
	})
	// Parallel is Start on every P at once, each goroutine with traces of
	// its own.
	b.Run("Parallel", func(b *testing.B) {
		m := startMeter(b)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for rootParallel(ctx, pb, func(context.Context) { recorded() }) {
			}
		})
		m.stopSpantree()
	})
	// Folded is a fast leaf called over and over under one parent, once the
	// runtime has learned that it folds: its calls become one span with
	// counts.
	b.Run("Folded", func(b *testing.B) {
		root(context.Background(), perTrace, func(context.Context) { folded() })
		underRoots(b, func(context.Context) { folded() })
	})
	// UnderFold is a call made by a folded call, per call: foldedTen folds
	// and calls under ten times (an op is one foldedTen).
	b.Run("UnderFold", func(b *testing.B) {
		root(context.Background(), perTrace, func(context.Context) { foldedTen() })
		underRoots(b, func(context.Context) { foldedTen() })
	})
	// SampledOut is Start in traces that sampling drops (SPANTREE_SAMPLE=0).
	b.Run("SampledOut", func(b *testing.B) {
		spantree.SetSample(0)
		defer spantree.SetSample(1)
		underRoots(b, func(context.Context) { recorded() })
	})
	// Err is a span whose function returns an error through __sp.Err (an
	// unnamed error result), handled by its caller.
	b.Run("Err", func(b *testing.B) {
		underRoots(b, func(context.Context) { _ = failing() })
	})
	// EndErr is a span whose function returns an error through a named
	// result, handled by its caller.
	b.Run("EndErr", func(b *testing.B) {
		underRoots(b, func(context.Context) { _ = failingNamed() })
	})
}
