package spantree

import (
	"encoding/hex"
	"net/http"
	"strings"
)

// startRequest begins the root span of an HTTP handler's own trace.
func startRequest(outer *span, r *http.Request, fn *Func) Span {
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
	var payload [16]byte
	var remote SpanID
	continues := false
	if r != nil {
		payload, remote, continues = ParseTraceparent(r.Header.Get("traceparent"))
	}
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
	s := &span{fn: fn, prev: cur, slot: slot, id: newSpanID(), start: now()}
	tr := newTrace(s, nil)
	if r != nil {
		if payload, parent, ok := payload, remote, continues; ok {
			tr.id = TraceIDFromW3C(payload, tr.wall)
			tr.remote = parent
			tr.tracestate = validTracestate(r.Header.Get("tracestate"))
		}
	}
	if outer != nil {
		tr.links = append(tr.links, Link{TraceID: outer.tr.id, SpanID: outer.id})
	}
	slot.cur.Store(s)
	return Span{rec: s, fn: fn, start: s.start}
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
	s := &span{fn: fn, parent: caller, prev: cur, slot: slot, id: newSpanID(), start: now(), tr: caller.tr}
	s.setFlag(flagGoroutine)
	if outer != nil {
		s.extra().links = append(s.extra().links, Link{TraceID: outer.tr.id, SpanID: outer.id})
	}
	if !caller.kids.Load() {
		caller.kids.Store(true)
	}
	caller.tr.goroutineStarted(s)
	slot.cur.Store(s)
	return Span{rec: s, fn: fn, start: s.start}
}
