package spantree

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/spantree/spantree/runtime/internal/jsonenc"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
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
}

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
	b := j.buf[:0]
	for i := range t.Spans {
		b = t.Spans[i].AppendJSON(b)
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
	b = append(b, `{"trace_id":"`...)
	b = d.TraceID.appendBase62(b)
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
	b = d.Start.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if !d.End.IsZero() {
		b = append(b, `,"end":"`...)
		b = d.End.UTC().AppendFormat(b, time.RFC3339Nano)
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
	if f := d.Fold; f != nil {
		b = append(b, `,"fold":{"count":`...)
		b = strconv.AppendInt(b, f.Count, 10)
		b = append(b, `,"total_ns":`...)
		b = strconv.AppendInt(b, f.TotalNS, 10)
		b = append(b, `,"min_ns":`...)
		b = strconv.AppendInt(b, f.MinNS, 10)
		b = append(b, `,"max_ns":`...)
		b = strconv.AppendInt(b, f.MaxNS, 10)
		b = append(b, '}')
	}
	return append(b, '}')
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
func appendAny(b []byte, v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		return jsonenc.AppendString(b, fmt.Sprint(v))
	}
	return append(b, out...)
}
