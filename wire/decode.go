package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// wireSpan mirrors spantree.SpanData with the ids and times as strings, so
// that each bad field is reported by name and span index rather than by
// encoding/json's position-only errors.
type wireSpan struct {
	TraceID       string         `json:"trace_id"`
	SpanID        string         `json:"span_id"`
	ParentID      string         `json:"parent_id"`
	Name          string         `json:"name"`
	Location      string         `json:"location"`
	Start         string         `json:"start"`
	End           string         `json:"end"`
	Status        string         `json:"status"`
	Error         *wireError     `json:"error"`
	HandledErrors []wireError    `json:"handled_errors"`
	Level         string         `json:"level"`
	Kind          string         `json:"kind"`
	Attrs         map[string]any `json:"attrs"`
	Events        []wireEvent    `json:"events"`
	Links         []wireLink     `json:"links"`
	Goroutine     bool           `json:"goroutine"`
	Fold          *spantree.Fold `json:"fold"`
}

type wireError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Panic   bool   `json:"panic"`
	Stack   string `json:"stack"`
	SpanID  string `json:"span_id"`
}

type wireEvent struct {
	Time  string         `json:"time"`
	Level string         `json:"level"`
	Msg   string         `json:"msg"`
	Attrs map[string]any `json:"attrs"`
}

type wireLink struct {
	TraceID string `json:"trace_id"`
	SpanID  string `json:"span_id"`
	Ref     string `json:"ref"`
}

type wireBatch struct {
	Tags  map[string]string `json:"tags"`
	Spans []json.RawMessage `json:"spans"`
}

// MaxTags bounds the tags of one batch, and MaxTagLen their keys and values.
const (
	MaxTags   = 64
	MaxTagLen = 256
)

// DecodeBatch reads the body of POST /v1/spans and validates every span. A
// bad body is a *FieldError naming the field and span index, such as
// "spans[3].span_id: want 16 hex characters"; nothing is returned half.
func DecodeBatch(body []byte) (spantree.Batch, error) {
	// Fast path: one pass into typed spans (scan.go). Only when that
	// gives up is the body decoded again, by encoding/json span by span,
	// to name the bad field and index.
	if tags, spans, ok := fastBatch(body); ok && spans != nil {
		if err := checkTags(tags); err != nil {
			return spantree.Batch{}, err
		}
		b := spantree.Batch{Tags: tags, Spans: make([]spantree.SpanData, len(spans))}
		for i := range spans {
			if err := spans[i].to(&b.Spans[i], "spans["+strconv.Itoa(i)+"]"); err != nil {
				return spantree.Batch{}, err
			}
		}
		return b, nil
	}
	var wb wireBatch
	if err := Unmarshal(body, &wb, ""); err != nil {
		return spantree.Batch{}, err
	}
	if wb.Spans == nil {
		return spantree.Batch{}, &FieldError{Field: "spans", Msg: "missing: want an array of spans"}
	}
	if err := checkTags(wb.Tags); err != nil {
		return spantree.Batch{}, err
	}
	b := spantree.Batch{Tags: wb.Tags, Spans: make([]spantree.SpanData, len(wb.Spans))}
	for i, raw := range wb.Spans {
		prefix := "spans[" + strconv.Itoa(i) + "]"
		if err := DecodeSpan(raw, &b.Spans[i], prefix); err != nil {
			return spantree.Batch{}, err
		}
	}
	return b, nil
}

func checkTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return &FieldError{Field: "tags", Msg: fmt.Sprintf("%d tags, at most %d", len(tags), MaxTags)}
	}
	for k, v := range tags {
		if k == "" || len(k) > MaxTagLen || len(v) > MaxTagLen {
			return &FieldError{Field: "tags", Msg: fmt.Sprintf("tag %.40q: keys must be 1 to %d bytes and values at most %d", k, MaxTagLen, MaxTagLen)}
		}
	}
	return nil
}

// unmarshal decodes JSON, turning encoding/json's errors into FieldErrors
// under prefix. (json.Unmarshal rejects data after the value.)
func Unmarshal(data []byte, v any, prefix string) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	field := prefix
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			field = join(prefix, te.Field)
		}
		return &FieldError{Field: or(field, "body"), Msg: fmt.Sprintf("want %s, got %s", te.Type, te.Value)}
	case errors.As(err, &se):
		return &FieldError{Field: or(field, "body"), Msg: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	}
	return &FieldError{Field: or(field, "body"), Msg: "malformed JSON: " + err.Error()}
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

func or(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

// DecodeSpan reads and validates one wire span; errors name fields under
// prefix ("spans[3]" or "line 12").
func DecodeSpan(raw []byte, d *spantree.SpanData, prefix string) error {
	var w wireSpan
	if fastSpan(raw, &w) {
		return w.to(d, prefix)
	}
	w = wireSpan{}
	if err := Unmarshal(raw, &w, prefix); err != nil {
		*d = spantree.SpanData{}
		return err
	}
	return w.to(d, prefix)
}

// to validates w and converts it into d.
func (w *wireSpan) to(d *spantree.SpanData, prefix string) error {
	*d = spantree.SpanData{}
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: join(prefix, field), Msg: fmt.Sprintf(format, args...)}
	}
	var err error
	if d.TraceID, err = ParseTraceID(w.TraceID); err != nil {
		return bad("trace_id", "%v", err)
	}
	if d.SpanID, err = parseSpanID(w.SpanID, true); err != nil {
		return bad("span_id", "%v", err)
	}
	if d.ParentID, err = parseSpanID(w.ParentID, false); err != nil {
		return bad("parent_id", "%v", err)
	}
	if w.Name == "" {
		return bad("name", "missing")
	}
	d.Name, d.Location = w.Name, w.Location
	if d.Start, err = parseTime(w.Start, true); err != nil {
		return bad("start", "%v", err)
	}
	if d.End, err = parseTime(w.End, false); err != nil {
		return bad("end", "%v", err)
	}
	switch d.Status = spantree.Status(w.Status); d.Status {
	case spantree.StatusStarted:
		if !d.End.IsZero() {
			return bad("end", "set on a span with status started")
		}
	case spantree.StatusSucceeded, spantree.StatusFailed:
		if d.End.IsZero() {
			return bad("end", "missing on a span with status %s", d.Status)
		}
		if d.End.Before(d.Start) {
			return bad("end", "before start")
		}
	default:
		return bad("status", `want "started", "succeeded" or "failed", got %q`, w.Status)
	}
	if d.Level, err = parseLevel(w.Level); err != nil {
		return bad("level", "%v", err)
	}
	switch k := spantree.SpanKind(w.Kind); k {
	case "", spantree.KindServer, spantree.KindClient, "producer", "consumer":
		d.Kind = k
	default:
		return bad("kind", `want "server", "client", "producer" or "consumer", got %q`, w.Kind)
	}
	if w.Error != nil {
		d.Error = new(spantree.ErrorInfo)
		if err := w.Error.to(d.Error); err != nil {
			return bad("error."+err.Field, "%s", err.Msg)
		}
	}
	if len(w.HandledErrors) > 0 {
		d.HandledErrors = make([]spantree.ErrorInfo, len(w.HandledErrors))
		for i := range w.HandledErrors {
			if err := w.HandledErrors[i].to(&d.HandledErrors[i]); err != nil {
				return bad(fmt.Sprintf("handled_errors[%d].%s", i, err.Field), "%s", err.Msg)
			}
		}
	}
	d.Attrs = w.Attrs
	if len(w.Events) > 0 {
		d.Events = make([]spantree.Event, len(w.Events))
		for i, e := range w.Events {
			ev := &d.Events[i]
			if ev.Time, err = parseTime(e.Time, true); err != nil {
				return bad(fmt.Sprintf("events[%d].time", i), "%v", err)
			}
			if ev.Level, err = parseLevel(e.Level); err != nil {
				return bad(fmt.Sprintf("events[%d].level", i), "%v", err)
			}
			ev.Msg, ev.Attrs = e.Msg, e.Attrs
		}
	}
	if len(w.Links) > 0 {
		d.Links = make([]spantree.Link, len(w.Links))
		for i, l := range w.Links {
			if d.Links[i].TraceID, err = ParseTraceID(l.TraceID); err != nil {
				return bad(fmt.Sprintf("links[%d].trace_id", i), "%v", err)
			}
			if d.Links[i].SpanID, err = parseSpanID(l.SpanID, false); err != nil {
				return bad(fmt.Sprintf("links[%d].span_id", i), "%v", err)
			}
			d.Links[i].Ref = l.Ref
		}
	}
	d.Goroutine = w.Goroutine
	if f := w.Fold; f != nil {
		if f.Count < 0 || f.TotalNS < 0 || f.MinNS < 0 || f.MaxNS < f.MinNS {
			return bad("fold", "want non-negative counts with min_ns <= max_ns")
		}
		d.Fold = f
	}
	if field, msg := checkLimits(d); field != "" {
		return bad(field, "%s", msg)
	}
	return nil
}

func (w *wireError) to(e *spantree.ErrorInfo) *FieldError {
	id, err := parseSpanID(w.SpanID, false)
	if err != nil {
		return &FieldError{Field: "span_id", Msg: err.Error()}
	}
	*e = spantree.ErrorInfo{Type: w.Type, Message: w.Message, Panic: w.Panic, Stack: w.Stack, SpanID: id}
	return nil
}

// ParseTraceID parses a trace id of the wire format, a 27-character KSUID
// or 32 hex characters, with errors that say which form was expected. An
// all-zero id is refused.
func ParseTraceID(s string) (spantree.TraceID, error) {
	if s == "" {
		return spantree.TraceID{}, errors.New("missing")
	}
	if len(s) != 27 && len(s) != 32 {
		return spantree.TraceID{}, fmt.Errorf("want a 27-character KSUID or 32 hex characters, got %d characters", len(s))
	}
	id, err := spantree.ParseTraceID(s)
	if err != nil {
		if len(s) == 32 {
			return id, errors.New("want 32 hex characters")
		}
		return id, errors.New("want a 27-character base62 KSUID")
	}
	if id.Payload() == [16]byte{} {
		return id, errors.New("all-zero trace id")
	}
	return id, nil
}

func parseSpanID(s string, required bool) (spantree.SpanID, error) {
	var id spantree.SpanID
	if s == "" {
		if required {
			return id, errors.New("missing")
		}
		return id, nil
	}
	v, err := spantree.ParseSpanID(s)
	if err != nil {
		return id, errors.New("want 16 hex characters")
	}
	if required && v.IsZero() {
		return id, errors.New("all-zero span id")
	}
	return v, nil
}

func parseTime(s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, errors.New("missing")
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("want an RFC 3339 time, got %.40q", s)
	}
	return t, nil
}

func parseLevel(s string) (spantree.Level, error) {
	l := spantree.Level(s)
	if s != "" && l.Rank() == 0 {
		return l, fmt.Errorf(`want "debug", "info", "warn" or "error", got %.20q`, s)
	}
	return l, nil
}

// CheckOTLP validates batches decoded from OTLP (package otlp) as
// DecodeSpan validates wire spans, naming fields as OTLP spells them
// ("resourceSpans[0].spans[3].spanId"). It clears the end of a running span.
func CheckOTLP(batches []spantree.Batch) error {
	for bi := range batches {
		if err := checkTags(batches[bi].Tags); err != nil {
			return err
		}
		for i := range batches[bi].Spans {
			d := &batches[bi].Spans[i]
			bad := func(field, msg string) error {
				return &FieldError{Field: fmt.Sprintf("resourceSpans[%d].spans[%d].%s", bi, i, field), Msg: msg}
			}
			switch {
			case d.TraceID.Payload() == [16]byte{}:
				return bad("traceId", "missing or all zero")
			case d.SpanID.IsZero():
				return bad("spanId", "missing or all zero")
			case d.Name == "":
				return bad("name", "missing")
			case d.Start.IsZero():
				return bad("startTimeUnixNano", "missing")
			}
			// OTLP times are unsigned: one before 1970 is a count over
			// what an int64 holds, wrapped by the decoder.
			if d.Start.Before(minTime) {
				return bad("startTimeUnixNano", otlpOverflowMsg)
			}
			switch d.Status {
			case spantree.StatusStarted:
				d.End = time.Time{}
			case spantree.StatusSucceeded, spantree.StatusFailed:
				if d.End.Before(minTime) {
					return bad("endTimeUnixNano", otlpOverflowMsg)
				}
				if d.End.Before(d.Start) {
					return bad("endTimeUnixNano", "before the start")
				}
			default:
				return bad("status", fmt.Sprintf("unknown status %q", d.Status))
			}
			if field, msg := checkLimits(d); field != "" {
				return bad(otlpField(field), msg)
			}
		}
	}
	return nil
}

// otlpOverflowMsg is the error of an OTLP time over what an int64 holds.
var otlpOverflowMsg = "over 9223372036854775807 nanoseconds (" + maxTime.Format(time.RFC3339Nano) + "), more than an int64 holds"

// otlpFields spells the first part of a field of checkLimits as OTLP does.
var otlpFields = map[string]string{
	"start":          "startTimeUnixNano",
	"end":            "endTimeUnixNano",
	"location":       "attributes[code.filepath]",
	"attrs":          "attributes",
	"error":          "events[exception]",
	"handled_errors": "events",
}

// otlpField renames a field of checkLimits ("attrs[\"k\"]",
// "events[2].time") as OTLP spells it ("attributes[\"k\"]",
// "events[2].timeUnixNano").
func otlpField(f string) string {
	head, rest := f, ""
	if i := strings.IndexAny(f, ".["); i >= 0 {
		head, rest = f[:i], f[i:]
	}
	if o, ok := otlpFields[head]; ok {
		head = o
	}
	switch {
	case strings.HasSuffix(rest, ".time"):
		rest = strings.TrimSuffix(rest, ".time") + ".timeUnixNano"
	case strings.HasSuffix(rest, ".msg"):
		rest = strings.TrimSuffix(rest, ".msg") + ".name"
	case strings.Contains(rest, ".attrs"):
		rest = strings.Replace(rest, ".attrs", ".attributes", 1)
	}
	return head + rest
}
