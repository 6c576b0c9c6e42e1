// Package spantree is the runtime that code instrumented by spangen imports.
// It records every call of an instrumented function as a span (name,
// file:line, start, end, status, error, parent), groups the spans of one
// request or run into a trace, and hands finished traces to sinks: a tree on
// a terminal, JSON lines, a test recorder, the spantree receiver, an
// OpenTelemetry backend. It depends on the standard library only, so that
// instrumenting a module adds nothing else to its build.
//
// # What generated code calls
//
// spangen declares one static [Func] descriptor per function, in a
// package-level table, and starts each body with one of:
//
//	__sp := __spantree.Start(&__spantree_fns[0])            // no context parameter
//	ctx, __sp := __spantree.StartContext(ctx, &__spantree_fns[1]) // first context.Context parameter
//	__sp := __spantree.StartLit(__sp, &__spantree_fns[2])   // a function literal
//	if __sp.Live() {
//		defer __sp.Done()                                   // or defer __sp.DoneErr(&err)
//	}
//	return v, __sp.Err(err)                                 // an unnamed error result
//
// [Span] is a three-word value held on the caller's stack. [Span.Live] is
// false for a call made inside a folded call and when tracing is off, so
// that those calls, the bulk of a hot path's, skip the deferred call; code
// written by earlier releases defers Done unconditionally, which is as
// correct and a little slower. Done recovers a
// panic to record it (with its stack) and panics again with the same value;
// an inner span that recorded a panic lets the outer ones pass it on without
// recovering, so a panic costs one re-panic however deep. [Exit] stands in
// for os.Exit and log.Fatal: it flushes first.
//
// # Parents without a context
//
// A function that takes no context finds its parent through a table keyed by
// goroutine id (read from the runtime's g at an offset found at start-up,
// about a nanosecond): the span running on this goroutine, else the span that
// launched the goroutine (go statements, errgroup's Go, worker pools), else
// none, and the span starts a trace of its own. An HTTP handler starts a
// trace of its own, continuing the caller's W3C traceparent
// (runtime/spanhttp; [StartRemote] and [Outgoing] for other transports).
//
// # The user API
//
// [SetAttr], [AddEvent], [AddLink], [SpanContext], [Ref] and [Follow] work on
// the span a context carries, else the goroutine's; each is a no-op without
// one, with a nil context, and when tracing is off. [Configure] and [SetSinks]
// replace the environment's configuration; [Flush] publishes what is running
// and waits for the sinks, bounded by SPANTREE_FLUSH_TIMEOUT.
//
// # Sinks
//
// A [Sink] receives [Trace] values on a goroutine of the runtime's own,
// behind a bounded queue that drops and counts when full; an error or a panic
// of a sink is reported once and never reaches the program. [JSON] writes the
// wire format, one object per line; [NewTree] draws the tree; runtime/spantest
// records traces in tests; runtime/spanhttp registers the http(s):// and
// otlp+http(s):// sinks. The json sink is fed lines encoded straight from the
// span records; other sinks get [SpanData].
//
// # What it costs
//
// Measured with `make bench` (benchmarks/, against the OpenTelemetry SDK
// with a blocking batch processor in the same run; medians of three runs,
// `bench.sh -count=3`) on a 2-core VM shared with other machines
// (2026-12-04, at a load of about 1.5); wall is what the calling goroutine
// pays, CPU includes the runtime's own goroutines (encoding and writing JSON
// lines):
//
//	case                                     wall ns   CPU ns   allocs   vs SDK (wall)
//	recorded span, no context, as JSON           162      330      0        0.15
//	recorded span with a context                 160      344      0        0.15
//	error recorded (folded after three)           88      159      0        0.08
//	folded call (a fast repeated leaf)            25       37      0        0.02
//	a call made inside a folded call             ~12                0
//	sampled-out call                              22       24      0        0.02
//	nested ten deep, per call                     30       44      0
//	OpenTelemetry SDK span (blocking)           1056     1508      3        1
//	one slog JSON line                           963      955      0
//	time.Now                                      49                0
//
// (The folded-call figures include the trace around them, a root per 100
// calls; "inside a folded call" is UnderFold's per-call share. The runtime's
// own BenchmarkFoldedCall, a loop on one goroutine with no trace around it,
// is 13 to 18 ns.)
//
// A folded call is counted in its parent's fold entry and reads the clock
// for one call in sixteen (foldTimeEvery), one in 64 once the entry counted
// a thousand; its fold's total is the sample's mean times the count. A
// function that a slow stretch made fold as a crowd (every call timed)
// folds as fast again once it proves fast (relearn). A loop's folded calls do not look the goroutine up
// in its table: the function's Func names the entry a loop last counted it
// in, with the goroutine's g, and a call that finds its own g there, and
// the entry's parent still current on it, is counted at once. The entry
// leaves the Func when its parent ends (and a g is reused only after every
// span of its goroutine ended), so a call is never counted under another
// goroutine's or an ended parent.
//
// # The records' lifetime
//
// A span record is carved from a slab of records that belongs to the
// goroutine that starts it (one allocation per slabSize spans) and is never
// reused: a record lives as long as anything refers to it, like any Go value.
// That is what makes the runtime safe when a program keeps what it was given:
// a context returned by StartContext, a Span captured by a literal that runs
// after the call returned, or a traceparent sent in a request, can never show
// another call's data. The owner goroutine writes a record until the span
// ends; after that it is read by the dispatcher and by the children that
// point to it, and written only through atomic fields (the failed-children
// list, flags). A trace's finished records are handed to the dispatcher with
// one compare-and-swap each, and the dispatcher alone converts them, in
// publications that it batches: one wake-up and one Write per batch.
//
// # Folding, sampling, caps
//
// A function that proved itself fast (16 fast calls in a row) is not recorded
// call by call under a parent that already has three whole examples of it:
// its calls are counted in a fold entry of the parent, and a parent's fold
// entries become spans with counts when it ends. Failures of one shape (error
// type and message with numbers and quoted text blanked) fold the same way
// after three. Any function, fast or not, called more than 32 times under one
// parent (a loop, a benchmark's b.N) folds after its first 32 calls, which
// are recorded whole (crowdKeep). SPANTREE_SAMPLE keeps a share of traces; a sampled-out trace
// folds every call under the span of its goroutine and is published only if
// it failed or was slow. SPANTREE_MAX_SPANS caps a trace (the rest are
// counted on the root), and a root that runs longer than SPANTREE_PUBLISH is
// published while it runs.
package spantree
