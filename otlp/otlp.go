// Package otlp reads OpenTelemetry OTLP/HTTP trace export requests into
// spantree's wire format, for the receiver's POST /v1/traces, so that
// services instrumented with the OpenTelemetry SDK (or the runtime's own
// otlp+http sink) can send to `spantree serve`.
//
// The mapping is the reverse of the runtime's OTLP sink (runtime/spanhttp/otlpjson.go):
//
//	resource attributes      batch tags; service.name becomes "service"
//	traceId                  trace_id: the 16 bytes as a KSUID payload, with
//	                         the earliest start of the trace's spans in the
//	                         batch as its time prefix
//	spanId, parentSpanId     span_id, parent_id
//	name, start/end times    name, start, end (no end: status started)
//	code.filepath/lineno     location "file:line" (also code.file.path and
//	                         code.line.number of newer conventions)
//	status ERROR             status failed; the error's type, message and
//	                         stack from the "exception" event, else the
//	                         status message
//	other exception events   handled_errors (exception.escaped is not
//	                         true, or the span did not fail)
//	"handled_error" events   handled_errors
//	other events             events: the name as msg, "level" as level
//	links                    links, spantree.ref as ref
//	spantree.level, .goroutine, .fold.*
//	                         level, goroutine, fold
//	spantree.unfinished      status started, no end (a span still running
//	                         when its program exited)
//	other attributes         attrs, with their Go values (AsRaw); the span
//	                         kind, when not internal, as otel.span_kind
//
// A span's level is the highest of its spantree.level, its events' levels,
// error when it failed and warn when it handled errors.
package otlp

import (
	"encoding/hex"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Content types of OTLP/HTTP requests.
const (
	ContentTypeJSON     = "application/json"
	ContentTypeProtobuf = "application/x-protobuf"
)

// Decode reads an OTLP/HTTP trace export request (JSON or protobuf, by
// contentType) and returns one batch per resource, its resource attributes as
// tags. An empty content type is read as protobuf, OTLP's default.
func Decode(contentType string, body []byte) ([]spantree.Batch, error) {
	mt := ContentTypeProtobuf
	if contentType != "" {
		var err error
		mt, _, err = mime.ParseMediaType(contentType)
		if err != nil {
			return nil, fmt.Errorf("otlp: content type %q: %w", contentType, err)
		}
	}
	var (
		td  ptrace.Traces
		err error
	)
	switch mt {
	case ContentTypeJSON:
		td, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(body)
	case ContentTypeProtobuf:
		td, err = (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
	default:
		return nil, fmt.Errorf("otlp: content type %q: want %s or %s", contentType, ContentTypeJSON, ContentTypeProtobuf)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp: decode %s trace request: %w", mt, err)
	}
	return Batches(td)
}

// Batches converts decoded OTLP traces: one batch per resource.
func Batches(td ptrace.Traces) ([]spantree.Batch, error) {
	rss := td.ResourceSpans()
	out := make([]spantree.Batch, 0, rss.Len())
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		b := spantree.Batch{Tags: tags(rs.Resource().Attributes()), Spans: []spantree.SpanData{}}
		first := firstStarts(rs)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				d, err := span(spans.At(k), first)
				if err != nil {
					return nil, fmt.Errorf("otlp: resourceSpans[%d].scopeSpans[%d].spans[%d]: %w", i, j, k, err)
				}
				b.Spans = append(b.Spans, d)
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// tags turns resource attributes into batch tags.
func tags(attrs pcommon.Map) map[string]string {
	if attrs.Len() == 0 {
		return nil
	}
	m := make(map[string]string, attrs.Len())
	for k, v := range attrs.All() {
		if k == "service.name" {
			k = "service"
		}
		m[k] = v.AsString()
	}
	return m
}

// firstStarts finds the earliest start of each trace in rs, the time prefix
// of its KSUID, so that every span of one trace in a batch gets one id.
func firstStarts(rs ptrace.ResourceSpans) map[pcommon.TraceID]time.Time {
	m := map[pcommon.TraceID]time.Time{}
	sss := rs.ScopeSpans()
	for j := 0; j < sss.Len(); j++ {
		spans := sss.At(j).Spans()
		for k := 0; k < spans.Len(); k++ {
			s := spans.At(k)
			t := s.StartTimestamp().AsTime()
			if f, ok := m[s.TraceID()]; !ok || t.Before(f) {
				m[s.TraceID()] = t
			}
		}
	}
	return m
}

// Attribute keys read back from the runtime's sink and OpenTelemetry's
// conventions.
const (
	keyCodeFunction = "code.function"
	keyCodeFilepath = "code.filepath"
	keyCodeLineno   = "code.lineno"
	keyCodeFilePath = "code.file.path"   // semantic conventions 1.30+
	keyCodeLineNum  = "code.line.number" // semantic conventions 1.30+
	keyCodeFuncName = "code.function.name"
	keyLevel        = "spantree.level"
	keyGoroutine    = "spantree.goroutine"
	keyPanic        = "spantree.panic"
	keyChildSpan    = "spantree.child_span_id"
	keyRef          = "spantree.ref"
	keyUnfinished   = "spantree.unfinished"
	keyFoldCount    = "spantree.fold.count"
	keyFoldTotal    = "spantree.fold.total_ns"
	keyFoldMin      = "spantree.fold.min_ns"
	keyFoldMax      = "spantree.fold.max_ns"
	keyEventLevel   = "level"
	keyExcType      = "exception.type"
	keyExcMessage   = "exception.message"
	keyExcStack     = "exception.stacktrace"
	keyExcEscaped   = "exception.escaped"
)

func traceID(id pcommon.TraceID, first map[pcommon.TraceID]time.Time, fallback time.Time) spantree.TraceID {
	t, ok := first[id]
	if !ok {
		t = fallback
	}
	return spantree.TraceIDFromW3C([16]byte(id), t)
}

// span converts one OTLP span.
func span(s ptrace.Span, first map[pcommon.TraceID]time.Time) (spantree.SpanData, error) {
	if s.TraceID().IsEmpty() {
		return spantree.SpanData{}, fmt.Errorf("traceId: empty")
	}
	if s.SpanID().IsEmpty() {
		return spantree.SpanData{}, fmt.Errorf("spanId: empty")
	}
	d := spantree.SpanData{
		TraceID:  traceID(s.TraceID(), first, s.StartTimestamp().AsTime()),
		SpanID:   spantree.SpanID(s.SpanID()),
		ParentID: spantree.SpanID(s.ParentSpanID()),
		Name:     s.Name(),
		Start:    s.StartTimestamp().AsTime(),
		Status:   spantree.StatusSucceeded,
	}
	if s.EndTimestamp() != 0 {
		d.End = s.EndTimestamp().AsTime()
	} else {
		d.Status = spantree.StatusStarted
	}
	failed := s.Status().Code() == ptrace.StatusCodeError
	if failed {
		d.Status = spantree.StatusFailed
	}

	attrs := s.Attributes()
	var file, fn string
	var line int64
	level := spantree.Level("")
	fold := spantree.Fold{}
	for k, v := range attrs.All() {
		switch k {
		case keyCodeFilepath, keyCodeFilePath:
			file = v.AsString()
		case keyCodeLineno, keyCodeLineNum:
			line = intOf(v)
		case keyCodeFunction, keyCodeFuncName:
			fn = v.AsString()
		case keyLevel:
			level = spantree.Level(v.AsString())
		case keyGoroutine:
			d.Goroutine = v.Type() == pcommon.ValueTypeBool && v.Bool()
		case keyUnfinished:
			if v.Type() == pcommon.ValueTypeBool && v.Bool() && !failed {
				// Sent at the program's exit while it still ran.
				d.Status, d.End = spantree.StatusStarted, time.Time{}
			}
		case keyFoldCount:
			fold.Count = intOf(v)
		case keyFoldTotal:
			fold.TotalNS = intOf(v)
		case keyFoldMin:
			fold.MinNS = intOf(v)
		case keyFoldMax:
			fold.MaxNS = intOf(v)
		default:
			if d.Attrs == nil {
				d.Attrs = make(map[string]any, attrs.Len())
			}
			d.Attrs[k] = v.AsRaw()
		}
	}
	if fn != "" && fn != d.Name {
		// A function name that is not the span's name is kept as data.
		if d.Attrs == nil {
			d.Attrs = map[string]any{}
		}
		d.Attrs[keyCodeFunction] = fn
	}
	if file != "" {
		d.Location = file
		if line > 0 {
			d.Location += ":" + strconv.FormatInt(line, 10)
		}
	}
	if fold.Count > 0 {
		d.Fold = &fold
	}
	if kind := s.Kind(); kind != ptrace.SpanKindInternal && kind != ptrace.SpanKindUnspecified {
		if d.Attrs == nil {
			d.Attrs = map[string]any{}
		}
		d.Attrs["otel.span_kind"] = strings.ToLower(kind.String())
	}

	var exception *spantree.ErrorInfo
	events := s.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		switch ev.Name() {
		case "exception":
			info := errorInfo(ev.Attributes())
			escaped, hasEscaped := ev.Attributes().Get(keyExcEscaped)
			if failed && (!hasEscaped || escaped.Bool()) {
				// The last exception of a failed span is its error.
				if exception != nil {
					d.HandledErrors = append(d.HandledErrors, *exception)
				}
				exception = &info
				continue
			}
			d.HandledErrors = append(d.HandledErrors, info)
		case "handled_error":
			d.HandledErrors = append(d.HandledErrors, errorInfo(ev.Attributes()))
		default:
			e := spantree.Event{Time: ev.Timestamp().AsTime(), Msg: ev.Name()}
			for k, v := range ev.Attributes().All() {
				if k == keyEventLevel {
					e.Level = spantree.Level(v.AsString())
					continue
				}
				if e.Attrs == nil {
					e.Attrs = map[string]any{}
				}
				e.Attrs[k] = v.AsRaw()
			}
			if e.Level.Rank() > level.Rank() {
				level = e.Level
			}
			d.Events = append(d.Events, e)
		}
	}
	if failed {
		info := spantree.ErrorInfo{Message: s.Status().Message()}
		if exception != nil {
			info = *exception
			if info.Message == "" {
				info.Message = s.Status().Message()
			}
		}
		d.Error = &info
		level = spantree.LevelError
	}
	if level == "" && len(d.HandledErrors) > 0 {
		level = spantree.LevelWarn
	}
	d.Level = level

	links := s.Links()
	for i := 0; i < links.Len(); i++ {
		l := links.At(i)
		if l.TraceID().IsEmpty() {
			continue
		}
		link := spantree.Link{
			TraceID: traceID(l.TraceID(), first, d.Start),
			SpanID:  spantree.SpanID(l.SpanID()),
		}
		if v, ok := l.Attributes().Get(keyRef); ok {
			link.Ref = v.AsString()
		}
		d.Links = append(d.Links, link)
	}
	return d, nil
}

// errorInfo reads an exception event's attributes.
func errorInfo(attrs pcommon.Map) spantree.ErrorInfo {
	var info spantree.ErrorInfo
	if v, ok := attrs.Get(keyExcType); ok {
		info.Type = v.AsString()
	}
	if v, ok := attrs.Get(keyExcMessage); ok {
		info.Message = v.AsString()
	}
	if v, ok := attrs.Get(keyExcStack); ok {
		info.Stack = v.AsString()
	}
	if v, ok := attrs.Get(keyPanic); ok && v.Type() == pcommon.ValueTypeBool {
		info.Panic = v.Bool()
	}
	if v, ok := attrs.Get(keyChildSpan); ok {
		var id spantree.SpanID
		if b, err := hex.DecodeString(v.AsString()); err == nil && len(b) == len(id) {
			copy(id[:], b)
			info.SpanID = id
		}
	}
	return info
}

// intOf reads an integer attribute, also when it was sent as a string or a
// double.
func intOf(v pcommon.Value) int64 {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int()
	case pcommon.ValueTypeDouble:
		return int64(v.Double())
	case pcommon.ValueTypeStr:
		n, _ := strconv.ParseInt(v.Str(), 10, 64)
		return n
	}
	return 0
}
