// Package spanslog puts log/slog records on the current span as events, so
// that a program's existing slog calls show up in its trace tree, next to
// the call that logged them:
//
//	slog.SetDefault(slog.New(spanslog.New(slog.NewTextHandler(os.Stderr, nil), nil)))
//
// A record becomes an event of the span that ctx carries (slog.InfoContext
// and friends), else of the span running on the logging goroutine, with the
// record's level, message and attributes; a span's level is the highest
// level of its events. Records logged where no span runs are not recorded.
// Every record is also passed on to the next handler, if there is one, as
// if spanslog were not there.
package spanslog

import (
	"context"
	"log/slog"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// Options configures a Handler. The zero value records Info and above.
type Options struct {
	// Level is the lowest level put on spans (default slog.LevelInfo). It
	// does not filter what the next handler gets: that is the next
	// handler's own business.
	Level slog.Leveler
}

// Handler is a slog.Handler that records on spans. It is safe for
// concurrent use; its zero value is not ready, use New.
type Handler struct {
	next   slog.Handler // may be nil
	level  slog.Leveler
	prefix string      // the open groups, "a.b.", for attribute keys
	attrs  []groupAttr // from WithAttrs
}

// groupAttr is an attribute given to WithAttrs with the groups open then.
type groupAttr struct {
	prefix string
	attr   slog.Attr
}

var _ slog.Handler = (*Handler)(nil)

// New returns a Handler that records on spans and passes every record on to
// next; next may be nil, and then records are only put on spans.
func New(next slog.Handler, opts *Options) *Handler {
	h := &Handler{next: next, level: slog.LevelInfo}
	if opts != nil && opts.Level != nil {
		h.level = opts.Level
	}
	return h
}

// Enabled reports whether a record at level is put on a span or wanted by
// the next handler.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	if level >= h.level.Level() {
		return true
	}
	return h.next != nil && h.next.Enabled(ctx, level)
}

// Handle puts r on the current span and passes it on. Only the next
// handler's error is returned: recording never fails the program's logging.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= h.level.Level() {
		var attrs map[string]any
		if n := len(h.attrs) + r.NumAttrs(); n > 0 {
			attrs = make(map[string]any, n)
			for _, a := range h.attrs {
				addAttr(attrs, a.prefix, a.attr)
			}
			r.Attrs(func(a slog.Attr) bool {
				addAttr(attrs, h.prefix, a)
				return true
			})
		}
		if len(attrs) == 0 {
			attrs = nil
		}
		spantree.AddEvent(ctx, Level(r.Level), r.Message, attrs)
	}
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// WithAttrs returns a Handler whose records carry attrs too.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	c := *h
	c.attrs = make([]groupAttr, 0, len(h.attrs)+len(attrs))
	c.attrs = append(c.attrs, h.attrs...)
	for _, a := range attrs {
		c.attrs = append(c.attrs, groupAttr{h.prefix, a})
	}
	if h.next != nil {
		c.next = h.next.WithAttrs(attrs)
	}
	return &c
}

// WithGroup returns a Handler that puts later attributes under name: on
// spans, as keys "name.key".
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}

// addAttr flattens a into m under prefix, following slog's rules: empty
// attributes are ignored, groups add their key to the prefix, and a group
// with an empty key is inlined.
func addAttr(m map[string]any, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		group := a.Value.Group()
		if len(group) == 0 {
			return
		}
		p := prefix
		if a.Key != "" {
			p = prefix + a.Key + "."
		}
		for _, g := range group {
			addAttr(m, p, g)
		}
		return
	}
	m[prefix+a.Key] = value(a.Value)
}

// value converts a resolved slog.Value to what span attributes hold: the
// JSON-friendly Go value, durations as text ("1.5s"), errors as their
// message.
func value(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		return v.Float64()
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	}
	x := v.Any()
	if err, ok := x.(error); ok {
		return err.Error()
	}
	return x
}

// Level maps a slog level to a span level: below Info is debug, below Warn
// info, below Error warn, and Error and above error.
func Level(l slog.Level) spantree.Level {
	switch {
	case l < slog.LevelInfo:
		return spantree.LevelDebug
	case l < slog.LevelWarn:
		return spantree.LevelInfo
	case l < slog.LevelError:
		return spantree.LevelWarn
	}
	return spantree.LevelError
}
