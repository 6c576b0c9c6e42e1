package spantree

import (
	"context"
	"time"
)

// The API for code that wants more than the generated spans. Every function
// is safe with a nil context, a context without a span and a disabled
// runtime: it then does nothing.

// SetAttr sets an attribute on the current span (ctx's, else the goroutine's).
func SetAttr(ctx context.Context, key string, value any) {
	s := spanOf(ctx)
	if s == nil {
		return
	}
	s.tr.mu.Lock()
	x := s.extra()
	if x.attrs == nil {
		x.attrs = map[string]any{}
	}
	x.attrs[key] = value
	s.tr.mu.Unlock()
}

// AddEvent records an event, such as a log record, on the current span. The
// span's level becomes the highest level of its events.
func AddEvent(ctx context.Context, level Level, msg string, attrs map[string]any) {
	s := spanOf(ctx)
	if s == nil {
		return
	}
	ev := Event{Time: time.Now(), Level: level, Msg: msg, Attrs: attrs}
	s.tr.mu.Lock()
	x := s.extra()
	x.events = append(x.events, ev)
	if level.Rank() > x.level.Rank() {
		x.level = level
	}
	s.tr.mu.Unlock()
}

// AddLink links the current span to another span, for example the producer
// of a message being consumed.
func AddLink(ctx context.Context, l Link) {
	s := spanOf(ctx)
	if s == nil {
		return
	}
	s.tr.mu.Lock()
	x := s.extra()
	x.links = append(x.links, l)
	s.tr.mu.Unlock()
}

// SpanContext identifies the current span: its trace and span ids. ok is
// false when there is none.
func SpanContext(ctx context.Context) (trace TraceID, span SpanID, ok bool) {
	s := spanOf(ctx)
	if s == nil {
		return trace, span, false
	}
	return s.tr.id, s.id, true
}
