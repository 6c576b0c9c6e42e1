package spanhttp

import (
	"net/http"
	"net/url"
	"os"

	spantree "github.com/spantree/spantree/runtime"
)

// W3C Trace Context on outgoing HTTP requests, with no code in the traced
// program: when the runtime is set up, the client side of net/http is made
// to send a traceparent header naming the span that makes the request: the
// span the request's context carries, else the goroutine's current span,
// else the span running on the goroutine that launched this one
// (spantree.Outgoing). The server side is Start, which continues an incoming
// traceparent.
//
// How: http.DefaultTransport is normally an *http.Transport, and a great deal
// of code type-asserts it (http.DefaultTransport.(*http.Transport).Clone()),
// so replacing it with a wrapping RoundTripper would make that code panic.
// Instead its Proxy function, which the transport calls once per request, on
// the goroutine that makes the request and before anything is written, is
// wrapped so that it also sets the headers. That reaches every client whose
// Transport is nil or http.DefaultTransport, and every transport cloned from
// it after set-up (Clone copies Proxy). The Proxy function never sees the
// answer, so those requests get no span of their own: their traceparent
// names the calling span. http.DefaultClient (http.Get and friends) is given
// the Transport wrapper instead, which makes a client span per request
// (client.go), unless the program set its Transport. When
// http.DefaultTransport is something else (another tracing library wrapped
// it), it is itself wrapped in Transport.
//
// Not reached: transports built from scratch (&http.Transport{...}, which is
// what httptest.Server.Client uses), transports cloned before set-up, and
// clients with their own stack; Transport wraps any of them.
//
// A request that already carries a traceparent keeps it: the program (or
// another library) decided. SPANTREE_PROPAGATE=off leaves net/http alone.

// installPropagation is the setup hook.
func installPropagation(spantree.Config) {
	if os.Getenv("SPANTREE_PROPAGATE") == "off" {
		return
	}
	switch t := http.DefaultTransport.(type) {
	case *http.Transport:
		// Set-up runs when the first span starts, normally at the top of
		// main or of a test, before the program makes requests.
		t.Proxy = propagatingProxy(t.Proxy)
		if http.DefaultClient.Transport == nil {
			http.DefaultClient.Transport = &propagator{}
		}
	case *propagator:
		// Already installed (set-up runs once; this guards tests).
	default:
		http.DefaultTransport = &propagator{base: t}
	}
}

// propagatingProxy wraps a transport's Proxy function.
func propagatingProxy(proxy func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		if tp, ts, ok := outgoingContext(r); ok {
			// The request's header map is the caller's; only the two W3C
			// keys are touched, and only when the caller did not set them.
			setW3C(r.Header, tp, ts)
		}
		if proxy == nil {
			return nil, nil
		}
		return proxy(r)
	}
}

// outgoingContext returns the traceparent and tracestate to send with r, and
// false when r is to be left alone: it already has a traceparent, it is a
// sink's own request, or no span is running (spantree.Outgoing).
func outgoingContext(r *http.Request) (traceparent, tracestate string, ok bool) {
	if r.Header == nil || r.Header.Get("traceparent") != "" {
		// A nil Header cannot be added to in place; Client.Do always sets one.
		return "", "", false
	}
	ctx := r.Context()
	if ctx.Value(sinkRequestKey{}) != nil {
		return "", "", false
	}
	return spantree.Outgoing(ctx)
}

// setW3C sets the W3C Trace Context headers.
func setW3C(h http.Header, traceparent, tracestate string) {
	h.Set("traceparent", traceparent)
	if tracestate != "" {
		h.Set("tracestate", tracestate)
	}
}
