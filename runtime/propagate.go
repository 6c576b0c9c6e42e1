package spantree

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
)

// W3C Trace Context on outgoing HTTP requests, with no code in the traced
// program: when the runtime is set up, the client side of net/http is made
// to send a traceparent header naming the span that makes the request: the
// span the request's context carries, else the goroutine's current span,
// else the span running on the goroutine that launched this one. The server side is StartRequest, which continues an
// incoming traceparent.
//
// How: http.DefaultTransport is normally an *http.Transport, and a great deal
// of code type-asserts it (http.DefaultTransport.(*http.Transport).Clone()),
// so replacing it with a wrapping RoundTripper would make that code panic.
// Instead its Proxy function, which the transport calls once per request, on
// the goroutine that makes the request and before anything is written, is
// wrapped so that it also sets the headers. That reaches http.Get and
// friends, http.DefaultClient, every client whose Transport is nil or
// http.DefaultTransport, and every transport cloned from it after set-up.
// When http.DefaultTransport is something else (another tracing library
// wrapped it), it is wrapped in a RoundTripper that sets the headers on a
// copy of the request.
//
// A request that already carries a traceparent keeps it: the program (or
// another library) decided. SPANTREE_PROPAGATE=off leaves net/http alone.

func init() { setupHooks = append(setupHooks, installPropagation) }

// installPropagation is the setup hook.
func installPropagation(Config) {
	if os.Getenv("SPANTREE_PROPAGATE") == "off" {
		return
	}
	switch t := http.DefaultTransport.(type) {
	case *http.Transport:
		// Set-up runs when the first span starts, normally at the top of
		// main or of a test, before the program makes requests.
		t.Proxy = propagatingProxy(t.Proxy)
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
			r.Header.Set("traceparent", tp)
			if ts != "" {
				r.Header.Set("tracestate", ts)
			}
		}
		if proxy == nil {
			return nil, nil
		}
		return proxy(r)
	}
}

// propagator is the RoundTripper used when http.DefaultTransport is not an
// *http.Transport.
type propagator struct{ base http.RoundTripper }

// RoundTrip sets the W3C headers on a copy of r, as RoundTrippers must not
// change the request they are given.
func (p *propagator) RoundTrip(r *http.Request) (*http.Response, error) {
	if tp, ts, ok := outgoingContext(r); ok {
		c := *r
		c.Header = r.Header.Clone()
		if c.Header == nil {
			c.Header = http.Header{}
		}
		c.Header.Set("traceparent", tp)
		if ts != "" {
			c.Header.Set("tracestate", ts)
		}
		r = &c
	}
	return p.base.RoundTrip(r)
}

// outgoingContext returns the traceparent and tracestate to send with r, and
// false when r is to be left alone: it already has a traceparent, it is a
// sink's own request, or no span is running. tracestate is empty when r has
// one of its own or the trace did not continue one.
func outgoingContext(r *http.Request) (traceparent, tracestate string, ok bool) {
	if r.Header == nil || r.Header.Get("traceparent") != "" {
		// A nil Header cannot be added to in place; Client.Do always sets one.
		return "", "", false
	}
	ctx := r.Context()
	if ctx.Value(sinkRequestKey{}) != nil {
		return "", "", false
	}
	s := spanOf(ctx)
	if s == nil {
		s = launcherSpan()
	}
	if s == nil {
		return "", "", false
	}
	local.remember(s)
	// A tracestate the program set is passed on as it is; otherwise the one
	// that came in with the request this trace continues.
	return Traceparent(s.tr.id, s.id), s.tr.tracestate, true
}

// validTracestate returns h when it is a tracestate header worth passing on
// (W3C: at most 32 comma-separated key=value members, 512 characters, no
// control characters), else "". A malformed tracestate is dropped, never
// trusted, like a malformed traceparent.
func validTracestate(h string) string {
	h = strings.TrimSpace(h)
	if h == "" || len(h) > 512 {
		return ""
	}
	members := 0
	for _, m := range strings.Split(h, ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		members++
		k, v, ok := strings.Cut(m, "=")
		if !ok || k == "" || v == "" || members > 32 {
			return ""
		}
		for i := 0; i < len(m); i++ {
			if c := m[i]; c < 0x20 || c > 0x7e {
				return ""
			}
		}
	}
	if members == 0 {
		return ""
	}
	return h
}

// launcherSpan returns the span running on the goroutine that launched this
// one, for requests made on goroutines that run no span of their own (one a
// library started), as the first span on a goroutine would find its parent.
func launcherSpan() *span {
	pid := parentGoid()
	if pid == 0 {
		return nil
	}
	if ps := lookupSlot(pid); ps != nil {
		// The slot may have been freed and claimed by another goroutine
		// since the lookup: the key is checked again after reading.
		if p := ps.cur.Load(); p != nil && ps.key.Load() == pid {
			return p
		}
	}
	return nil
}

// local remembers the spans that recently sent a traceparent, so that a
// handler of this same process receiving it (an httptest server in a test, a
// service calling itself) nests under the calling span in one trace instead of
// printing a second tree with the same trace id.
var local = &localCallers{m: map[SpanID]*span{}}

// localCallers is bounded: when full it is emptied, which only costs the
// in-process nesting of the requests in flight at that moment.
type localCallers struct {
	mu sync.Mutex
	m  map[SpanID]*span
}

const maxLocalCallers = 4096

func (l *localCallers) remember(s *span) {
	l.mu.Lock()
	if len(l.m) >= maxLocalCallers {
		clear(l.m)
	}
	l.m[s.id] = s
	l.mu.Unlock()
}

// take returns the span of this process that sent the traceparent naming
// trace payload and span id, if it is still running.
func (l *localCallers) take(payload [16]byte, id SpanID) *span {
	l.mu.Lock()
	s := l.m[id]
	delete(l.m, id)
	l.mu.Unlock()
	if s == nil || s.tr.id.Payload() != payload || s.end.Load() != 0 || s.tr.closed.Load() {
		return nil
	}
	return s
}
