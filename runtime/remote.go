package spantree

import (
	"context"
	"encoding/hex"
	"strings"
	"sync"
)

// Trace context across processes, for any transport. The runtime itself
// speaks no protocol: runtime/spanhttp carries these headers over net/http
// (handlers, the client side of http.DefaultTransport), and other transports
// (gRPC metadata, message headers) can do the same with StartRemote and
// Outgoing. Keeping net/http out of this package keeps it out of programs
// that never use it: their instrumented builds compile and link no more
// than the standard packages listed in go.mod's absence of requirements.

// StartRemote begins the span of work a caller asked for, in a trace of its
// own: traceparent and tracestate are the W3C headers that came with the
// request ("" when none came). The trace continues the caller's when
// traceparent is valid; when the caller is a span of this very process (a
// test calling its own httptest server, a service calling itself), the span
// joins the caller's trace instead, as a goroutine child of the calling span.
// The trace links to outer (the span that registered the handler or started
// the server) or, when outer is the zero Span, to the span that launched the
// serving goroutine. A handler called by another handler on the same
// goroutine (middleware) nests under it.
//
// runtime/spanhttp's Start calls it for HTTP handlers.
func StartRemote(outer Span, traceparent, tracestate string, fn *Func) Span {
	return startRemote(outer.rec, traceparent, tracestate, fn)
}

// Outgoing returns the W3C traceparent and tracestate to send with a request
// made in ctx, and false when no span is running: the span ctx carries, else
// the goroutine's current span, else the span running on the goroutine that
// launched this one. tracestate is the one the trace continued, if any. A
// handler of this process that receives the traceparent (StartRemote) nests
// under the sending span.
func Outgoing(ctx context.Context) (traceparent, tracestate string, ok bool) {
	if !enabled() {
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
	return Traceparent(s.tr.id, s.id), s.tr.tracestate, true
}

// startRemote begins the root span of a request's own trace.
func startRemote(outer *span, traceparent, tracestate string, fn *Func) Span {
	if !enabled() {
		return Span{}
	}
	id, slot, cur := here()
	if cur != nil && cur.fn.Kind == KindHandler && cur.tr.root == cur {
		// A handler called from a handler (middleware): one trace.
		return start(nil, fn, nil)
	}
	if outer == nil && slot == nil {
		outer = launcherSpan()
	}
	payload, remote, continues := ParseTraceparent(traceparent)
	if continues {
		if caller := local.take(payload, remote); caller != nil {
			// The caller is a span of this process: one trace, with the
			// handler as a goroutine child of the calling span.
			return startUnder(caller, fn, outer, id, slot, cur)
		}
	}
	if slot == nil {
		slot = claimSlot(id)
	}
	s := slot.newSpan()
	s.fn, s.prev, s.slot, s.id = fn, cur, slot, slot.nextID()
	s.start = now()
	tr := newTrace(s, nil)
	if continues {
		tr.id = TraceIDFromW3C(payload, tr.wall)
		tr.remote = remote
		tr.tracestate = validTracestate(tracestate)
	}
	if outer != nil {
		tr.links = append(tr.links, Link{TraceID: outer.tr.id, SpanID: outer.id})
	}
	slot.cur.Store(s)
	return Span{rec: s}
}

// ParseTraceparent reads a W3C traceparent header (version 00): the trace id
// payload and the caller's span id. A malformed header, an all-zero id or a
// version it does not know is reported as not ok and must be ignored.
func ParseTraceparent(h string) (trace [16]byte, parent SpanID, ok bool) {
	h = strings.TrimSpace(h)
	// 00-<32 hex>-<16 hex>-<2 hex>
	if len(h) < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-' {
		return trace, parent, false
	}
	if h[:2] == "ff" || !isLowerHex(h[:2]) || (h[:2] == "00" && len(h) != 55) {
		return trace, parent, false
	}
	if !isLowerHex(h[3:35]) || !isLowerHex(h[36:52]) || !isLowerHex(h[53:55]) {
		return trace, parent, false
	}
	hex.Decode(trace[:], []byte(h[3:35]))
	hex.Decode(parent[:], []byte(h[36:52]))
	if trace == ([16]byte{}) || parent.IsZero() {
		return trace, parent, false
	}
	return trace, parent, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Traceparent formats the W3C traceparent header for a span.
func Traceparent(tr TraceID, s SpanID) string {
	return "00-" + tr.Hex() + "-" + s.String() + "-01"
}

// startUnder starts a handler's span as a goroutine child of caller, a span
// of this process that made the request.
func startUnder(caller *span, fn *Func, outer *span, id uint64, slot *gslot, cur *span) Span {
	if slot == nil {
		slot = claimSlot(id)
	}
	s := slot.newSpan()
	s.fn, s.parent, s.prev, s.slot, s.id, s.tr = fn, caller, cur, slot, slot.nextID(), caller.tr
	s.start = now()
	s.setFlag(flagGoroutine)
	if outer != nil {
		s.extra().links = append(s.extra().links, Link{TraceID: outer.tr.id, SpanID: outer.id})
	}
	if !caller.kids.Load() {
		caller.kids.Store(true)
	}
	caller.tr.goroutineStarted(s)
	slot.cur.Store(s)
	return Span{rec: s}
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
	// The launcher's span may have ended before this goroutine started.
	return endedSpan(pid)
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
