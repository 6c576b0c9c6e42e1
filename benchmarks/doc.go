// Package benchmarks compares the cost of a spantree span with what a Go
// program would otherwise pay to trace or log a call: a span of the
// OpenTelemetry SDK, the OpenTelemetry no-op tracer, one slog JSON line, and
// the clock reads that bound any timing from below.
//
// It is a module of its own, like zap's benchmarks, so that the competitors
// never enter the go.mod of spantree or of the programs it instruments. Each
// competitor has one file; all of them run in the same process, so that the
// numbers are comparable on a noisy machine:
//
//	cd benchmarks && go test -run '^$' -bench . -benchmem
//
// spantree spans are written exactly as spangen generates them: a
// package-level array of [spantree.Func] descriptors, one Start and one
// deferred Done per function. The runtime exports to its json sink writing
// to io.Discard, so what is measured is the cost paid by the traced program
// and, in cpu-ns/op, by the whole process, including encoding every span as
// a json line on the runtime's own goroutines. The SDK is measured with its
// batch span processor in default mode (it drops spans when its queue is
// full: spans/op says how many) and with WithBlocking (every span exported),
// the anchor spantree is compared with. Measured spans run a hundred to a root span (perTrace),
// so the cost of ending and exporting a trace is spread over its spans.
//
// bench.sh runs everything once and prints each result with its ratio to the
// SDK's span and to the slog line; `make bench` runs it.
//
// To add a competitor, add one file, name_test.go, with a BenchmarkName whose
// sub-benchmarks use the names of the others where they measure the same
// thing (Start, Error, Parallel), and configure it in that file. The spantree
// runtime is configured once, in TestMain, with the json sink.
package benchmarks
