package spantree

import (
	"io"
	"testing"
	"time"
)

// BenchmarkAppendLine is the json encoding of one plain span straight from
// its record, what a json sink costs per span on the dispatcher.
func BenchmarkAppendLine(b *testing.B) {
	wall := time.Now()
	tr := &trace{id: NewTraceID(wall), wall: wall, wallNS: wall.UnixNano(), mono: 1000}
	fn := &Func{Name: "benchmarks.recorded", Loc: "benchmarks/spantree_test.go:75"}
	root := &span{fn: fn, tr: tr, id: SpanID{1, 2, 3, 4, 5, 6, 7, 8}, start: 1000}
	tr.root = root
	s := &span{fn: fn, tr: tr, parent: root, id: SpanID{9, 2, 3, 4, 5, 6, 7, 8}, start: 123456789}
	s.end.Store(123459999)
	j := &pubJob{tr: tr}
	v := view{s: s, parent: root.id, start: s.start, end: s.end.Load()}
	var p publication
	buf := make([]byte, 0, 1<<16)
	b.ReportAllocs()
	for range b.N {
		buf = p.appendLine(buf[:0], j, &v)
	}
	b.SetBytes(int64(len(buf)))
}

var benchFns = [...]Func{
	{Name: "bench.root", Loc: "bench.go:1"},
	{Name: "bench.leaf", Loc: "bench.go:2"},
}

func benchLeaf() {
	__sp := Start(&benchFns[1])
	defer __sp.Done()
}

// BenchmarkFoldedCall is the cost of a call that folds, on the calling
// goroutine alone: a fast leaf called over and over under one root.
func BenchmarkFoldedCall(b *testing.B) {
	restore := SetSinks(NewJSON(io.Discard))
	defer restore()
	sp := Start(&benchFns[0])
	for range 100 {
		benchLeaf() // learns that it is fast
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		benchLeaf()
	}
	b.StopTimer()
	sp.Done()
	Flush()
}

var recFnsB = [...]Func{
	{Name: "bench.root", Loc: "bench.go:10"},
	{Name: "bench.recorded", Loc: "bench.go:11", Kind: KindNoFold},
}

func benchRecorded() {
	__sp := Start(&recFnsB[1])
	defer __sp.Done()
}

func benchRoot(n int) {
	__sp := Start(&recFnsB[0])
	defer __sp.Done()
	for range n {
		benchRecorded()
	}
}

// BenchmarkRecordedCall is a recorded span, a hundred under each root, with
// the json sink writing to io.Discard: the whole process's cost per span.
func BenchmarkRecordedCall(b *testing.B) {
	restore := SetSinks(NewJSON(io.Discard))
	defer restore()
	b.ReportAllocs()
	for i := 0; i < b.N; i += 100 {
		benchRoot(min(100, b.N-i))
	}
	Flush()
}

// BenchmarkRootCall is a trace of one span: what each request or test pays
// for its trace, the whole process's cost.
func BenchmarkRootCall(b *testing.B) {
	restore := SetSinks(NewJSON(io.Discard))
	defer restore()
	b.ReportAllocs()
	for range b.N {
		benchRoot(0)
	}
	Flush()
}

var underFns = [...]Func{
	{Name: "bench.root", Loc: "bench.go:1"},
	{Name: "bench.ften", Loc: "bench.go:2"},
	{Name: "bench.under", Loc: "bench.go:3"},
}

func benchUnder() {
	__sp := Start(&underFns[2])
	if __sp.Live() {
		defer __sp.Done()
	}
}

// benchTen folds once it proved fast; the calls it makes are inside a
// folded call.
func benchTen() {
	__sp := Start(&underFns[1])
	if __sp.Live() {
		defer __sp.Done()
	}
	for range 10 {
		benchUnder()
	}
}

// BenchmarkUnderFold is a folded call that makes ten calls, which record
// nothing: the per-op cost of a fast function with callees in a loop.
func BenchmarkUnderFold(b *testing.B) {
	restore := SetSinks(NewJSON(io.Discard))
	defer restore()
	sp := Start(&underFns[0])
	for range 100 {
		benchTen()
	}
	b.ResetTimer()
	for range b.N {
		benchTen()
	}
	b.StopTimer()
	sp.Done()
	Flush()
}

var parFns = [...]Func{
	{Name: "bench.parRoot", Loc: "bench.go:20"},
	{Name: "bench.parLeaf", Loc: "bench.go:21"},
}

func parLeaf() {
	__sp := Start(&parFns[1])
	if __sp.Live() {
		defer __sp.Done()
	}
}

// BenchmarkFoldedCallParallel is FoldedCall on every P at once, each
// goroutine calling the same function under a root of its own: what a
// server's concurrent requests pay for a hot function they share.
func BenchmarkFoldedCallParallel(b *testing.B) {
	restore := SetSinks(NewJSON(io.Discard))
	defer restore()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		sp := Start(&parFns[0])
		for range 100 {
			parLeaf()
		}
		for pb.Next() {
			parLeaf()
		}
		sp.Done()
	})
	Flush()
}
