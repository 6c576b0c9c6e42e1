package spantree

import "context"

// Messages between processes (a queue's producer and consumer): the producer
// stamps a message with Ref, the consumer calls Follow with that stamp, and
// the consumer's span gets a link to the producer's span. The two stay in
// their own traces (a consumer's work is not part of the request that
// queued the message), and viewers follow the link from one to the other.
//
//	// producer
//	msg.Headers["spantree-ref"] = spantree.Ref(ctx)
//
//	// consumer
//	spantree.Follow(ctx, msg.Headers["spantree-ref"])
//
// A ref has the form of a W3C traceparent, so a consumer instrumented with
// OpenTelemetry reads it too, and it fits any header or field that can carry
// a short ASCII string.

// Ref returns a reference to the current span (ctx's, else the goroutine's),
// to put in a message; it is "" when no span is running.
func Ref(ctx context.Context) string {
	s := spanOf(ctx)
	if s == nil {
		return ""
	}
	return Traceparent(s.tr.id, s.id)
}

// Follow links the current span (ctx's, else the goroutine's) to the span
// that ref names, with the ref kept on the link. It reports whether it did:
// a ref that is empty or malformed (it is input from outside the process) is
// ignored, as is a call with no span running.
func Follow(ctx context.Context, ref string) bool {
	s := spanOf(ctx)
	if s == nil {
		return false
	}
	payload, producer, ok := ParseTraceparent(ref)
	if !ok {
		return false
	}
	// The KSUID time prefix is not carried; the trace is found by its
	// payload. The producer's trace began no later than now.
	AddLink(ctx, Link{TraceID: TraceIDFromW3C(payload, s.tr.wall), SpanID: producer, Ref: ref})
	return true
}
