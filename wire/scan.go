package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	spantree "github.com/spantree/spantree/runtime"
)

// The fast decoder: a hand-written reader of the wire format's JSON into
// wireSpan values, several times quicker than encoding/json's reflection
// (which took a quarter of the receiver's CPU per span), with no
// dependency. It takes only what it is sure of: anything unusual (a type
// that does not fit, a key that encoding/json would match without regard
// to case, a string with escapes it leaves to encoding/json, very deep
// nesting) makes it give up, and the caller decodes with encoding/json
// instead, which also names the bad field. So the two accept the same
// input and decode it the same way; FuzzFastDecode checks that.

// maxFastDepth bounds the nesting of attribute values the fast decoder reads.
const maxFastDepth = 64

// scanner reads JSON from b at i. Its methods return false when the input
// is not what they read (or not JSON): the caller then gives up.
type scanner struct {
	b []byte
	i int
	// names interns the strings that repeat from span to span (keys,
	// names, locations), one allocation each per batch; nil: no interning.
	names map[string]string
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// eat consumes c, the next byte after white space.
func (s *scanner) eat(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) lit(word string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// null consumes a null.
func (s *scanner) null() bool {
	return s.peek() == 'n' && s.lit("null")
}

// raw reads a string and returns its bytes between the quotes, and whether
// they are plain (no escape, ASCII only) so that they are its value.
func (s *scanner) raw() (b []byte, plain, ok bool) {
	if !s.eat('"') {
		return nil, false, false
	}
	start := s.i
	plain = true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], plain, true
		case c == '\\':
			plain = false
			s.i += 2
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			plain = false
			s.i++
		default:
			s.i++
		}
	}
	return nil, false, false
}

// str reads a string value.
func (s *scanner) str() (string, bool) {
	start := s.peekPos()
	b, plain, ok := s.raw()
	if !ok {
		return "", false
	}
	if plain {
		return string(b), true
	}
	// Escapes and non-ASCII text: encoding/json's own rules (invalid
	// UTF-8 becomes U+FFFD), on this string alone.
	var v string
	if json.Unmarshal(s.b[start:s.i], &v) != nil {
		return "", false
	}
	return v, true
}

// name reads a string that often repeats, interned.
func (s *scanner) name() (string, bool) {
	start := s.peekPos()
	b, plain, ok := s.raw()
	if !ok {
		return "", false
	}
	if !plain {
		s.i = start
		return s.str()
	}
	if v, ok := s.names[string(b)]; ok {
		return v, true
	}
	v := string(b)
	if s.names != nil && len(s.names) < 4096 {
		s.names[v] = v
	}
	return v, true
}

func (s *scanner) peekPos() int {
	s.ws()
	return s.i
}

// optView reads a string or null as optStr does, but a string without
// escapes is not copied: *v is a view of the input, for the fields that
// are parsed into other types before the decoder returns (ids, times) and
// are dropped then. The decoder's callers do not change the input while it
// runs, so the views stay valid as long as they are used, with five
// allocations a span fewer.
func (s *scanner) optView(v *string) bool {
	if s.null() {
		return true
	}
	start := s.peekPos()
	b, plain, ok := s.raw()
	if !ok {
		return false
	}
	if !plain {
		s.i = start
		*v, ok = s.str()
		return ok
	}
	*v = unsafe.String(unsafe.SliceData(b), len(b))
	return true
}

// optStr reads a string or null (which leaves *v as it is).
func (s *scanner) optStr(v *string, intern bool) bool {
	if s.null() {
		return true
	}
	var ok bool
	if intern {
		*v, ok = s.name()
	} else {
		*v, ok = s.str()
	}
	return ok
}

func (s *scanner) optBool(v *bool) bool {
	switch s.peek() {
	case 't':
		*v = true
		return s.lit("true")
	case 'f':
		*v = false
		return s.lit("false")
	}
	return s.null()
}

// number reads a JSON number and returns its text.
func (s *scanner) number() (string, bool) {
	start := s.peekPos()
	i := s.i
	digits := func() bool {
		n := i
		for i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(s.b) && s.b[i] == '-' {
		i++
	}
	switch {
	case i < len(s.b) && s.b[i] == '0':
		i++
	case !digits():
		return "", false
	}
	if i < len(s.b) && s.b[i] == '.' {
		i++
		if !digits() {
			return "", false
		}
	}
	if i < len(s.b) && (s.b[i] == 'e' || s.b[i] == 'E') {
		i++
		if i < len(s.b) && (s.b[i] == '+' || s.b[i] == '-') {
			i++
		}
		if !digits() {
			return "", false
		}
	}
	s.i = i
	return string(s.b[start:i]), true
}

// int reads an integer into *v, as encoding/json does into an int64.
func (s *scanner) int(v *int64) bool {
	if s.null() {
		return true
	}
	t, ok := s.number()
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return false
	}
	*v = n
	return true
}

// value reads any JSON value as encoding/json does into an interface{}.
func (s *scanner) value(depth int) (any, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	switch c := s.peek(); {
	case c == '"':
		return s.str()
	case c == '{':
		m := map[string]any{}
		ok := s.object(func(key string) bool {
			v, ok := s.value(depth + 1)
			m[key] = v
			return ok
		})
		return m, ok
	case c == '[':
		a := []any{}
		ok := s.array(func() bool {
			v, ok := s.value(depth + 1)
			a = append(a, v)
			return ok
		})
		return a, ok
	case c == 't' || c == 'f':
		var b bool
		return b, s.optBool(&b)
	case c == 'n':
		return nil, s.null()
	default:
		t, ok := s.number()
		if !ok {
			return nil, false
		}
		f, err := strconv.ParseFloat(t, 64)
		return f, err == nil
	}
}

// skip reads a value of an unknown field.
func (s *scanner) skip() bool {
	_, ok := s.value(0)
	return ok
}

// object reads an object, calling field for each key with the scanner at
// its value, which field must read.
func (s *scanner) object(field func(key string) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		key, ok := s.name()
		if !ok || !s.eat(':') || !field(key) {
			return false
		}
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// array reads an array, calling elem with the scanner at each element.
func (s *scanner) array(elem func() bool) bool {
	if !s.eat('[') {
		return false
	}
	if s.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.eat(']') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// unknown reads the value of a key that is none of fields: skipped, unless
// encoding/json would take it for one of them (it matches keys without
// regard to case).
func (s *scanner) unknown(key string, fields ...string) bool {
	for _, f := range fields {
		if strings.EqualFold(key, f) {
			return false
		}
	}
	return s.skip()
}

var spanFields = []string{"trace_id", "span_id", "parent_id", "name", "location", "start", "end", "status", "error",
	"handled_errors", "level", "kind", "attrs", "events", "links", "goroutine", "fold"}

// span reads one wire span into w.
func (s *scanner) span(w *wireSpan) bool {
	if s.null() {
		return true
	}
	return s.object(func(key string) bool {
		switch key {
		case "trace_id":
			return s.optView(&w.TraceID)
		case "span_id":
			return s.optView(&w.SpanID)
		case "parent_id":
			return s.optView(&w.ParentID)
		case "name":
			return s.optStr(&w.Name, true)
		case "location":
			return s.optStr(&w.Location, true)
		case "start":
			return s.optView(&w.Start)
		case "end":
			return s.optView(&w.End)
		case "status":
			return s.optStr(&w.Status, true)
		case "level":
			return s.optStr(&w.Level, true)
		case "kind":
			return s.optStr(&w.Kind, true)
		case "goroutine":
			return s.optBool(&w.Goroutine)
		case "error":
			if s.null() {
				w.Error = nil
				return true
			}
			if w.Error == nil {
				w.Error = new(wireError)
			}
			return s.wireError(w.Error)
		case "handled_errors":
			if s.null() {
				w.HandledErrors = nil
				return true
			}
			if w.HandledErrors != nil {
				return false // a second array would reuse the first's elements
			}
			w.HandledErrors = []wireError{} // as encoding/json: [] is not null
			return s.array(func() bool {
				w.HandledErrors = append(w.HandledErrors, wireError{})
				return s.wireError(&w.HandledErrors[len(w.HandledErrors)-1])
			})
		case "attrs":
			return s.attrs(&w.Attrs)
		case "events":
			if s.null() {
				w.Events = nil
				return true
			}
			if w.Events != nil {
				return false // a second array would reuse the first's elements
			}
			w.Events = []wireEvent{} // as encoding/json: [] is not null
			return s.array(func() bool {
				w.Events = append(w.Events, wireEvent{})
				return s.event(&w.Events[len(w.Events)-1])
			})
		case "links":
			if s.null() {
				w.Links = nil
				return true
			}
			if w.Links != nil {
				return false // a second array would reuse the first's elements
			}
			w.Links = []wireLink{} // as encoding/json: [] is not null
			return s.array(func() bool {
				w.Links = append(w.Links, wireLink{})
				return s.link(&w.Links[len(w.Links)-1])
			})
		case "fold":
			if s.null() {
				w.Fold = nil
				return true
			}
			if w.Fold == nil {
				w.Fold = new(spantree.Fold)
			}
			return s.fold(w.Fold)
		}
		return s.unknown(key, spanFields...)
	})
}

// attrs reads an attribute object. encoding/json adds the keys of a
// second "attrs" of the same object to the first: so does attrs.
func (s *scanner) attrs(m *map[string]any) bool {
	if s.null() {
		*m = nil
		return true
	}
	if *m == nil {
		*m = map[string]any{}
	}
	return s.object(func(key string) bool {
		v, ok := s.value(1)
		(*m)[key] = v
		return ok
	})
}

func (s *scanner) wireError(e *wireError) bool {
	if s.null() {
		return true
	}
	return s.object(func(key string) bool {
		switch key {
		case "type":
			return s.optStr(&e.Type, true)
		case "message":
			return s.optStr(&e.Message, false)
		case "panic":
			return s.optBool(&e.Panic)
		case "stack":
			return s.optStr(&e.Stack, false)
		case "span_id":
			return s.optStr(&e.SpanID, false)
		}
		return s.unknown(key, "type", "message", "panic", "stack", "span_id")
	})
}

func (s *scanner) event(e *wireEvent) bool {
	if s.null() {
		return true
	}
	return s.object(func(key string) bool {
		switch key {
		case "time":
			return s.optView(&e.Time)
		case "level":
			return s.optStr(&e.Level, true)
		case "msg":
			return s.optStr(&e.Msg, false)
		case "attrs":
			return s.attrs(&e.Attrs)
		}
		return s.unknown(key, "time", "level", "msg", "attrs")
	})
}

func (s *scanner) link(l *wireLink) bool {
	if s.null() {
		return true
	}
	return s.object(func(key string) bool {
		switch key {
		case "trace_id":
			return s.optView(&l.TraceID)
		case "span_id":
			return s.optView(&l.SpanID)
		case "ref":
			return s.optStr(&l.Ref, true)
		}
		return s.unknown(key, "trace_id", "span_id", "ref")
	})
}

func (s *scanner) fold(f *spantree.Fold) bool {
	return s.object(func(key string) bool {
		switch key {
		case "count":
			return s.int(&f.Count)
		case "total_ns":
			return s.int(&f.TotalNS)
		case "min_ns":
			return s.int(&f.MinNS)
		case "max_ns":
			return s.int(&f.MaxNS)
		}
		return s.unknown(key, "count", "total_ns", "min_ns", "max_ns")
	})
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// fastBatch reads a batch body as encoding/json would into
// struct{Tags map[string]string; Spans []wireSpan}. ok is false when it
// gave up (see above).
func fastBatch(body []byte) (tags map[string]string, spans []wireSpan, ok bool) {
	s := &scanner{b: body, names: map[string]string{}}
	ok = s.object(func(key string) bool {
		switch key {
		case "tags":
			if s.null() {
				tags = nil
				return true
			}
			if tags == nil {
				tags = map[string]string{}
			}
			return s.object(func(k string) bool {
				if s.peek() != '"' {
					return false
				}
				v, ok := s.str()
				tags[k] = v
				return ok
			})
		case "spans":
			if s.null() {
				spans = nil
				return true
			}
			if spans != nil {
				return false // a second array would reuse the first's elements
			}
			spans = make([]wireSpan, 0, 16)
			return s.array(func() bool {
				spans = append(spans, wireSpan{})
				return s.span(&spans[len(spans)-1])
			})
		}
		return s.unknown(key, "tags", "spans")
	})
	return tags, spans, ok && s.end()
}

// fastSpan reads one span as encoding/json would into a wireSpan.
func fastSpan(raw []byte, w *wireSpan) bool {
	s := &scanner{b: raw}
	return s.peek() == '{' && s.span(w) && s.end()
}
