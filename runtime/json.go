package spantree

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/spantree/spantree/runtime/internal/jsonenc"
)

// JSON is the json sink: the wire format of docs/architecture.md, one span per line. A
// trace's lines are written with one Write call, so several processes
// appending to one file (json:PATH opens it with O_APPEND) never interleave
// lines.
type JSON struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	tags []byte // `,"tags":{...}`, added to every line (WithTags)
	enc  Encoder
}

// lines reports whether t carries its spans as json lines (the runtime's
// own traces, when a json sink is configured) rather than as Spans.
func (t *Trace) hasLines() bool { return t.lines != nil }

var _ Sink = (*JSON)(nil)

// NewJSON returns a json sink writing to w.
func NewJSON(w io.Writer) *JSON { return &JSON{w: w} }

// OpenJSONFile returns a json sink appending to the file at path, created if
// missing.
func OpenJSONFile(path string) (*JSON, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open json sink %q: %w", path, err)
	}
	return NewJSON(f), nil
}

// WithTags makes every line j writes carry tags (the process's service and
// SPANTREE_TAGS) as a "tags" object, an added field of the wire format, so
// that the lines of several processes appending to one file keep saying
// whose they are; spantree ingest reads it. It returns j.
func (j *JSON) WithTags(tags map[string]string) *JSON {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.tags = nil
	if len(tags) == 0 {
		return j
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := append([]byte(nil), `,"tags":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, k)
		b = append(b, ':')
		b = jsonenc.AppendString(b, tags[k])
	}
	j.tags = append(b, '}')
	return j
}

// Export writes t's spans, one line each, in one Write.
func (j *JSON) Export(_ context.Context, t *Trace) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if t.hasLines() {
		return j.writeLines(t.lines)
	}
	b := j.buf[:0]
	for i := range t.Spans {
		b = j.enc.AppendSpan(b, &t.Spans[i])
		if len(j.tags) > 0 {
			b = append(b[:len(b)-1], j.tags...) // before the closing brace
			b = append(b, '}')
		}
		b = append(b, '\n')
	}
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

// writeLines writes lines the runtime encoded, adding j's tags to each.
func (j *JSON) writeLines(lines []byte) error {
	if len(j.tags) == 0 {
		_, err := j.w.Write(lines)
		return err
	}
	b := j.buf[:0]
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n')
		b = append(b, lines[:i-1]...) // all but the closing brace
		b = append(b, j.tags...)
		b = append(b, "}\n"...)
		lines = lines[i+1:]
	}
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

// Flush syncs a regular file; other writers (a terminal, a pipe,
// /dev/null) are unbuffered and cannot be synced.
func (j *JSON) Flush(context.Context) error {
	if f, ok := j.w.(*os.File); ok && f != os.Stderr && f != os.Stdout {
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", f.Name(), err)
		}
	}
	return nil
}

// AppendJSON appends d as one JSON object (no newline), the same object
// encoding/json would write for d, without reflection on the common fields.
func (d *SpanData) AppendJSON(b []byte) []byte {
	var e Encoder
	return e.AppendSpan(b, d)
}

// Encoder appends spans as AppendJSON does, remembering what consecutive
// spans share: the trace id's 27 base62 characters (computed once per trace,
// not once per span) and the date and time to the second of the last
// timestamp (only the nanoseconds are formatted again). The zero Encoder is
// ready to use; it is not safe for concurrent use.
type Encoder struct {
	tid     TraceID
	tidText [27]byte
	tidOK   bool
	sec     int64
	secText [19]byte // 2006-01-02T15:04:05
	secOK   bool
}

// AppendSpan appends d as one JSON object (no newline).
func (e *Encoder) AppendSpan(b []byte, d *SpanData) []byte {
	e.setTrace(d.TraceID)
	b = append(b, `{"trace_id":"`...)
	b = append(b, e.tidText[:]...)
	b = append(b, `","span_id":"`...)
	b = jsonenc.AppendHex(b, d.SpanID[:])
	b = append(b, '"')
	if !d.ParentID.IsZero() {
		b = append(b, `,"parent_id":"`...)
		b = jsonenc.AppendHex(b, d.ParentID[:])
		b = append(b, '"')
	}
	b = append(b, `,"name":`...)
	b = jsonenc.AppendString(b, d.Name)
	b = append(b, `,"location":`...)
	b = jsonenc.AppendString(b, d.Location)
	b = append(b, `,"start":"`...)
	b = e.appendTime(b, d.Start)
	b = append(b, '"')
	if !d.End.IsZero() {
		b = append(b, `,"end":"`...)
		b = e.appendTime(b, d.End)
		b = append(b, '"')
	}
	b = append(b, `,"status":`...)
	b = jsonenc.AppendString(b, string(d.Status))
	if d.Error != nil {
		b = append(b, `,"error":`...)
		b = d.Error.appendJSON(b)
	}
	if len(d.HandledErrors) > 0 {
		b = append(b, `,"handled_errors":[`...)
		for i := range d.HandledErrors {
			if i > 0 {
				b = append(b, ',')
			}
			b = d.HandledErrors[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	if d.Level != "" {
		b = append(b, `,"level":`...)
		b = jsonenc.AppendString(b, string(d.Level))
	}
	if len(d.Attrs) > 0 {
		b = append(b, `,"attrs":`...)
		b = appendAny(b, d.Attrs)
	}
	if len(d.Events) > 0 {
		b = append(b, `,"events":`...)
		b = appendAny(b, d.Events)
	}
	if len(d.Links) > 0 {
		b = append(b, `,"links":`...)
		b = appendAny(b, d.Links)
	}
	if d.Goroutine {
		b = append(b, `,"goroutine":true`...)
	}
	if d.Kind != "" {
		b = append(b, `,"kind":`...)
		b = jsonenc.AppendString(b, string(d.Kind))
	}
	if d.Service != "" {
		b = append(b, `,"service":`...)
		b = jsonenc.AppendString(b, d.Service)
	}
	if f := d.Fold; f != nil {
		b = appendFold(b, f)
	}
	return append(b, '}')
}

func appendFold(b []byte, f *Fold) []byte {
	b = append(b, `,"fold":{"count":`...)
	b = strconv.AppendInt(b, f.Count, 10)
	b = append(b, `,"total_ns":`...)
	b = strconv.AppendInt(b, f.TotalNS, 10)
	b = append(b, `,"min_ns":`...)
	b = strconv.AppendInt(b, f.MinNS, 10)
	b = append(b, `,"max_ns":`...)
	b = strconv.AppendInt(b, f.MaxNS, 10)
	return append(b, '}')
}

// setTrace makes tidText the base62 form of id.
func (e *Encoder) setTrace(id TraceID) {
	if !e.tidOK || e.tid != id {
		e.tid, e.tidOK = id, true
		id.appendBase62(e.tidText[:0])
	}
}

// appendTime appends t in UTC as time.RFC3339Nano formats it (nanoseconds
// without trailing zeros, no fraction when they are all zero), reusing the
// formatted second of the previous call when t falls in the same one.
func (e *Encoder) appendTime(b []byte, t time.Time) []byte {
	sec := t.Unix()
	if !e.secOK || e.sec != sec {
		u := t.UTC()
		if y := u.Year(); y < 0 || y > 9999 {
			return u.AppendFormat(b, time.RFC3339Nano)
		}
		u.AppendFormat(e.secText[:0], "2006-01-02T15:04:05")
		e.sec, e.secOK = sec, true
	}
	return e.appendFraction(b, t.Nanosecond())
}

// appendUnixNano is appendTime for a time given as Unix nanoseconds, which
// the runtime's own spans always are (1970 to 2262).
func (e *Encoder) appendUnixNano(b []byte, ns int64) []byte {
	sec, frac := ns/1e9, int(ns%1e9)
	if frac < 0 {
		sec, frac = sec-1, frac+1e9
	}
	if !e.secOK || e.sec != sec {
		time.Unix(sec, 0).UTC().AppendFormat(e.secText[:0], "2006-01-02T15:04:05")
		e.sec, e.secOK = sec, true
	}
	return e.appendFraction(b, frac)
}

// appendFraction appends the formatted second, the nanoseconds ns and Z.
func (e *Encoder) appendFraction(b []byte, ns int) []byte {
	// Written in place, at most 30 bytes: the second, the fraction without
	// its trailing zeros, Z. The eight digits after the first are made in
	// one word (digits8) and their trailing zeros counted in its bits.
	n := len(b)
	b = slices.Grow(b, 30)[:n+30]
	t := b[n : n+30]
	*(*[19]byte)(t) = e.secText
	k := 19
	if ns != 0 {
		u := uint32(ns)
		w := digits8(u % 1e8)
		t[19], t[20] = '.', byte('0'+u/1e8)
		binary.BigEndian.PutUint64(t[21:29], w+0x3030303030303030)
		k = 29 - bits.TrailingZeros64(w)/8 // all eight zero: ".d", and d is not 0
	}
	t[k] = 'Z'
	return b[:n+k+1]
}

// digits8 returns the eight decimal digits of r (below 1e8) as the bytes of
// a word, one digit (0 to 9) per byte, the first in the most significant
// byte. The digits are split in lanes of the word, halves of halves, by
// multiplications that stand for divisions by 100 and 10 in every lane at
// once: x/100 is x*10486>>20 for x < 10000, x/10 is x*103>>10 for x < 100.
func digits8(r uint32) uint64 {
	w := uint64(r/10000)<<32 | uint64(r%10000)
	q := (w * 10486 >> 20) & 0x0000007f0000007f
	w = q<<16 | (w - q*100)
	t := (w * 103 >> 10) & 0x000f000f000f000f
	return t<<8 | (w - t*10)
}

// MarshalJSON encodes d as AppendJSON does, so that encoding/json and the
// json sink agree whatever Go version builds the program.
func (d SpanData) MarshalJSON() ([]byte, error) { return d.AppendJSON(nil), nil }

func (e *ErrorInfo) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = jsonenc.AppendString(b, e.Type)
	b = append(b, `,"message":`...)
	b = jsonenc.AppendString(b, e.Message)
	if e.Panic {
		b = append(b, `,"panic":true`...)
	}
	if e.Stack != "" {
		b = append(b, `,"stack":`...)
		b = jsonenc.AppendString(b, e.Stack)
	}
	if !e.SpanID.IsZero() {
		b = append(b, `,"span_id":"`...)
		b = jsonenc.AppendHex(b, e.SpanID[:])
		b = append(b, '"')
	}
	return append(b, '}')
}

// MarshalJSON omits a zero span id whatever Go version builds the program.
func (e ErrorInfo) MarshalJSON() ([]byte, error) { return e.appendJSON(nil), nil }

// MarshalJSON omits a zero span id whatever Go version builds the program.
func (l Link) MarshalJSON() ([]byte, error) {
	b := append([]byte(`{"trace_id":"`), l.TraceID.appendBase62(nil)...)
	b = append(b, '"')
	if !l.SpanID.IsZero() {
		b = append(b, `,"span_id":"`...)
		b = jsonenc.AppendHex(b, l.SpanID[:])
		b = append(b, '"')
	}
	if l.Ref != "" {
		b = append(b, `,"ref":`...)
		b = jsonenc.AppendString(b, l.Ref)
	}
	return append(b, '}'), nil
}

// appendAny falls back to encoding/json for user data; a value it cannot
// encode is written as its fmt form rather than failing the span.
func appendAny(b []byte, v any) (out []byte) {
	defer func() {
		if r := recover(); r != nil { // a MarshalJSON of the program's that panicked
			out = jsonenc.AppendString(b, fmt.Sprintf("<json: %s panicked: %s>", typeName(v), panicMessage(r)))
		}
	}()
	out, err := json.Marshal(v)
	if err != nil {
		return jsonenc.AppendString(b, fmt.Sprint(v))
	}
	return append(b, out...)
}
