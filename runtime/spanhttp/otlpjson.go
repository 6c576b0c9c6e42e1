package spanhttp

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/internal/jsonenc"
)

// The OTLP/HTTP JSON encoding of spans (the protobuf JSON mapping with OTLP's
// exceptions: trace and span ids as hex, enums as numbers, 64-bit integers as
// strings). It is written by hand, like the json sink, so that the runtime
// needs nothing beyond the standard library and a span costs no reflection.
//
// The mapping (issue 8):
//
//	trace_id            traceId: the KSUID's 16-byte payload (TraceID.Hex)
//	span_id, parent_id  spanId, parentSpanId
//	name                name, and the attribute code.function
//	location            code.filepath and code.lineno
//	start, end          startTimeUnixNano, endTimeUnixNano
//	status failed       status {code: ERROR, message}, and an event
//	                    "exception" (exception.type, exception.message,
//	                    exception.stacktrace, spantree.panic)
//	handled_errors      events "handled_error" (exception.type,
//	                    exception.message, spantree.child_span_id)
//	level               spantree.level
//	attrs               attributes, as they are
//	events              events named by msg, with their attrs and "level"
//	links               links; a message ref as the attribute spantree.ref
//	goroutine           spantree.goroutine
//	fold                spantree.fold.count, .total_ns, .min_ns, .max_ns
//	kind                kind: SERVER for handler spans, CLIENT for the
//	                    client spans of Transport (server.address set, no
//	                    kind), else INTERNAL
//
// Running spans (status started) are not encoded: see OTLP.Export.

// OTLP attribute keys the sink writes and the otlp package reads back.
const (
	otlpCodeFunction = "code.function"
	otlpCodeFilepath = "code.filepath"
	otlpCodeLineno   = "code.lineno"
	otlpLevel        = "spantree.level"
	otlpGoroutine    = "spantree.goroutine"
	otlpPanic        = "spantree.panic"
	otlpChildSpan    = "spantree.child_span_id"
	otlpRef          = "spantree.ref"
	otlpUnfinished   = "spantree.unfinished"
	otlpFoldCount    = "spantree.fold.count"
	otlpFoldTotal    = "spantree.fold.total_ns"
	otlpFoldMin      = "spantree.fold.min_ns"
	otlpFoldMax      = "spantree.fold.max_ns"
	otlpEventLevel   = "level"
	otlpScope        = "github.com/spantree/spantree/runtime"
)

// otlpStatusError is STATUS_CODE_ERROR; SPAN_KIND_INTERNAL is 1.
const (
	otlpStatusError  = 2
	otlpKindInternal = 1
)

// appendOTLPPrefix writes the start of an ExportTraceServiceRequest with one
// resource (the process's tags) and one scope, up to the opening of its
// spans array. "service" becomes service.name; the other tags keep their
// keys.
func appendOTLPPrefix(b []byte, tags map[string]string) []byte {
	b = append(b, `{"resourceSpans":[{"resource":{"attributes":[`...)
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	first := true
	attr := func(k, v string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendOTLPKey(b, k)
		b = append(b, `{"stringValue":`...)
		b = jsonenc.AppendString(b, v)
		b = append(b, `}}`...)
	}
	for _, k := range keys {
		if k == "service" {
			attr("service.name", tags[k])
		} else {
			attr(k, tags[k])
		}
	}
	attr("telemetry.sdk.name", "spantree")
	attr("telemetry.sdk.language", "go")
	b = append(b, `]},"scopeSpans":[{"scope":{"name":"`+otlpScope+`"},"spans":[`...)
	return b
}

// otlpSuffix closes what appendOTLPPrefix opened.
const otlpSuffix = `]}]}]}`

// appendOTLPSpan appends d as one OTLP span object. end, when d has none (a
// span still running at exit), is written as its end time.
func appendOTLPSpan(b []byte, d *spantree.SpanData, end time.Time) []byte {
	b = append(b, `{"traceId":"`...)
	b = jsonenc.AppendHex(b, d.TraceID[4:])
	b = append(b, `","spanId":"`...)
	b = jsonenc.AppendHex(b, d.SpanID[:])
	b = append(b, '"')
	if !d.ParentID.IsZero() {
		b = append(b, `,"parentSpanId":"`...)
		b = jsonenc.AppendHex(b, d.ParentID[:])
		b = append(b, '"')
	}
	b = append(b, `,"name":`...)
	b = jsonenc.AppendString(b, d.Name)
	b = append(b, `,"kind":`...)
	b = strconv.AppendInt(b, otlpKind(d), 10)
	b = append(b, `,"startTimeUnixNano":"`...)
	b = strconv.AppendInt(b, d.Start.UnixNano(), 10)
	if !d.End.IsZero() {
		end = d.End
	}
	b = append(b, `","endTimeUnixNano":"`...)
	b = strconv.AppendInt(b, end.UnixNano(), 10)
	b = append(b, `","attributes":[`...)
	b = appendOTLPKey(b, otlpCodeFunction)
	b = appendOTLPString(b, d.Name)
	if d.Location != "" {
		file, line := splitLocation(d.Location)
		b = append(b, ',')
		b = appendOTLPKey(b, otlpCodeFilepath)
		b = appendOTLPString(b, file)
		if line > 0 {
			b = append(b, ',')
			b = appendOTLPKey(b, otlpCodeLineno)
			b = appendOTLPInt(b, int64(line))
		}
	}
	if d.Level != "" {
		b = append(b, ',')
		b = appendOTLPKey(b, otlpLevel)
		b = appendOTLPString(b, string(d.Level))
	}
	if d.Goroutine {
		b = append(b, ',')
		b = appendOTLPKey(b, otlpGoroutine)
		b = append(b, `{"boolValue":true}}`...)
	}
	if d.Status == spantree.StatusStarted {
		b = append(b, ',')
		b = appendOTLPKey(b, otlpUnfinished)
		b = append(b, `{"boolValue":true}}`...)
	}
	if f := d.Fold; f != nil {
		for _, kv := range [...]struct {
			k string
			v int64
		}{{otlpFoldCount, f.Count}, {otlpFoldTotal, f.TotalNS}, {otlpFoldMin, f.MinNS}, {otlpFoldMax, f.MaxNS}} {
			b = append(b, ',')
			b = appendOTLPKey(b, kv.k)
			b = appendOTLPInt(b, kv.v)
		}
	}
	if len(d.Attrs) > 0 {
		b = append(b, ',')
		b = appendOTLPAttrs(b, d.Attrs)
	}
	b = append(b, ']')

	if d.Error != nil || len(d.HandledErrors) > 0 || len(d.Events) > 0 {
		b = append(b, `,"events":[`...)
		n := 0
		sep := func() {
			if n > 0 {
				b = append(b, ',')
			}
			n++
		}
		for i := range d.Events {
			ev := &d.Events[i]
			sep()
			b = append(b, `{"timeUnixNano":"`...)
			b = strconv.AppendInt(b, ev.Time.UnixNano(), 10)
			b = append(b, `","name":`...)
			b = jsonenc.AppendString(b, ev.Msg)
			b = append(b, `,"attributes":[`...)
			if ev.Level != "" {
				b = appendOTLPKey(b, otlpEventLevel)
				b = appendOTLPString(b, string(ev.Level))
				if len(ev.Attrs) > 0 {
					b = append(b, ',')
				}
			}
			b = appendOTLPAttrs(b, ev.Attrs)
			b = append(b, `]}`...)
		}
		for i := range d.HandledErrors {
			e := &d.HandledErrors[i]
			sep()
			// A handled error has no time of its own on the wire; the
			// parent's end is when it was judged.
			b = appendOTLPErrorEvent(b, "handled_error", end, e)
		}
		if d.Error != nil {
			sep()
			b = appendOTLPErrorEvent(b, "exception", end, d.Error)
		}
		b = append(b, ']')
	}

	if len(d.Links) > 0 {
		b = append(b, `,"links":[`...)
		n := 0
		for i := range d.Links {
			l := &d.Links[i]
			if l.SpanID.IsZero() {
				continue // OTLP links need a span
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, `{"traceId":"`...)
			b = jsonenc.AppendHex(b, l.TraceID[4:])
			b = append(b, `","spanId":"`...)
			b = jsonenc.AppendHex(b, l.SpanID[:])
			b = append(b, `"`...)
			if l.Ref != "" {
				b = append(b, `,"attributes":[`...)
				b = appendOTLPKey(b, otlpRef)
				b = appendOTLPString(b, l.Ref)
				b = append(b, ']')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}

	if d.Status == spantree.StatusFailed {
		b = append(b, `,"status":{"code":`...)
		b = strconv.AppendInt(b, otlpStatusError, 10)
		if d.Error != nil && d.Error.Message != "" {
			b = append(b, `,"message":`...)
			b = jsonenc.AppendString(b, d.Error.Message)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendOTLPErrorEvent(b []byte, name string, t time.Time, e *spantree.ErrorInfo) []byte {
	b = append(b, `{"timeUnixNano":"`...)
	b = strconv.AppendInt(b, t.UnixNano(), 10)
	b = append(b, `","name":"`...)
	b = append(b, name...)
	b = append(b, `","attributes":[`...)
	b = appendOTLPKey(b, "exception.type")
	b = appendOTLPString(b, e.Type)
	b = append(b, ',')
	b = appendOTLPKey(b, "exception.message")
	b = appendOTLPString(b, e.Message)
	if e.Stack != "" {
		b = append(b, ',')
		b = appendOTLPKey(b, "exception.stacktrace")
		b = appendOTLPString(b, e.Stack)
	}
	if e.Panic {
		b = append(b, ',')
		b = appendOTLPKey(b, otlpPanic)
		b = append(b, `{"boolValue":true}}`...)
	}
	if !e.SpanID.IsZero() {
		b = append(b, ',')
		b = appendOTLPKey(b, otlpChildSpan)
		b = append(b, `{"stringValue":"`...)
		b = jsonenc.AppendHex(b, e.SpanID[:])
		b = append(b, `"}}`...)
	}
	return append(b, `]}`...)
}

// splitLocation splits "dir/file.go:42" into its file and line; a location
// without a line gives line 0.
func splitLocation(loc string) (string, int) {
	i := strings.LastIndexByte(loc, ':')
	if i < 0 {
		return loc, 0
	}
	n, err := strconv.Atoi(loc[i+1:])
	if err != nil || n <= 0 {
		return loc, 0
	}
	return loc[:i], n
}

// appendOTLPKey opens a KeyValue: {"key":k,"value": — the caller writes the
// AnyValue and closes the object with one more '}'.
func appendOTLPKey(b []byte, k string) []byte {
	b = append(b, `{"key":`...)
	b = jsonenc.AppendString(b, k)
	return append(b, `,"value":`...)
}

func appendOTLPString(b []byte, s string) []byte {
	b = append(b, `{"stringValue":`...)
	b = jsonenc.AppendString(b, s)
	return append(b, `}}`...)
}

func appendOTLPInt(b []byte, n int64) []byte {
	b = append(b, `{"intValue":"`...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, `"}}`...)
}

// appendOTLPAttrs appends the KeyValues of m, sorted by key, comma separated.
func appendOTLPAttrs(b []byte, m map[string]any) []byte {
	if len(m) == 0 {
		return b
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOTLPKey(b, k)
		b = appendOTLPValue(b, m[k], 0)
		b = append(b, '}')
	}
	return b
}

// maxOTLPDepth bounds the nesting of arrays and maps in attribute values; a
// deeper (or cyclic) value is written as its fmt form.
const maxOTLPDepth = 8

// appendOTLPValue appends v as an OTLP AnyValue. Strings, booleans, numbers,
// slices and string-keyed maps keep their shape; anything else is written as
// a string (errors by Error, Stringers by String, times in RFC 3339).
func appendOTLPValue(b []byte, v any, depth int) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, `{}`...)
	case string:
		b = append(b, `{"stringValue":`...)
		b = jsonenc.AppendString(b, v)
		return append(b, '}')
	case bool:
		if v {
			return append(b, `{"boolValue":true}`...)
		}
		return append(b, `{"boolValue":false}`...)
	case int:
		return appendOTLPIntValue(b, int64(v))
	case int8:
		return appendOTLPIntValue(b, int64(v))
	case int16:
		return appendOTLPIntValue(b, int64(v))
	case int32:
		return appendOTLPIntValue(b, int64(v))
	case int64:
		return appendOTLPIntValue(b, v)
	case uint8:
		return appendOTLPIntValue(b, int64(v))
	case uint16:
		return appendOTLPIntValue(b, int64(v))
	case uint32:
		return appendOTLPIntValue(b, int64(v))
	case uint:
		return appendOTLPUint(b, uint64(v))
	case uint64:
		return appendOTLPUint(b, v)
	case float32:
		return appendOTLPDouble(b, float64(v))
	case float64:
		return appendOTLPDouble(b, v)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return appendOTLPIntValue(b, n)
		}
		if f, err := v.Float64(); err == nil {
			return appendOTLPDouble(b, f)
		}
		return appendOTLPValue(b, string(v), depth)
	case time.Time:
		return appendOTLPValue(b, v.Format(time.RFC3339Nano), depth)
	case time.Duration:
		return appendOTLPValue(b, v.String(), depth)
	case error, fmt.Stringer:
		// fmt recovers from a method that panics (a nil pointer receiver).
		return appendOTLPValue(b, fmt.Sprint(v), depth)
	case []string:
		b = append(b, `{"arrayValue":{"values":[`...)
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOTLPValue(b, s, depth+1)
		}
		return append(b, `]}}`...)
	case []any:
		if depth >= maxOTLPDepth {
			break
		}
		b = append(b, `{"arrayValue":{"values":[`...)
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOTLPValue(b, e, depth+1)
		}
		return append(b, `]}}`...)
	case map[string]any:
		if depth >= maxOTLPDepth {
			break
		}
		b = append(b, `{"kvlistValue":{"values":[`...)
		b = appendOTLPAttrs(b, v)
		return append(b, `]}}`...)
	case []byte:
		return appendOTLPValue(b, string(v), depth)
	default:
		// Other slices and maps keep their shape through reflection.
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Bool:
			return appendOTLPValue(b, rv.Bool(), depth)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return appendOTLPIntValue(b, rv.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			return appendOTLPUint(b, rv.Uint())
		case reflect.Float32, reflect.Float64:
			return appendOTLPDouble(b, rv.Float())
		case reflect.String:
			return appendOTLPValue(b, rv.String(), depth)
		}
		if depth < maxOTLPDepth {
			switch {
			case rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array:
				b = append(b, `{"arrayValue":{"values":[`...)
				for i := 0; i < rv.Len(); i++ {
					if i > 0 {
						b = append(b, ',')
					}
					b = appendOTLPValue(b, rv.Index(i).Interface(), depth+1)
				}
				return append(b, `]}}`...)
			case rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String:
				m := make(map[string]any, rv.Len())
				for it := rv.MapRange(); it.Next(); {
					m[it.Key().String()] = it.Value().Interface()
				}
				return appendOTLPValue(b, m, depth)
			}
		}
	}
	return appendOTLPValue(b, fmt.Sprint(v), depth)
}

func appendOTLPIntValue(b []byte, n int64) []byte {
	b = append(b, `{"intValue":"`...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, `"}`...)
}

// appendOTLPUint writes an unsigned value; one above MaxInt64 does not fit
// OTLP's int64 and is written as a decimal string.
func appendOTLPUint(b []byte, n uint64) []byte {
	if n > math.MaxInt64 {
		b = append(b, `{"stringValue":"`...)
		b = strconv.AppendUint(b, n, 10)
		return append(b, `"}`...)
	}
	return appendOTLPIntValue(b, int64(n))
}

func appendOTLPDouble(b []byte, f float64) []byte {
	b = append(b, `{"doubleValue":`...)
	switch {
	case math.IsNaN(f):
		b = append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		b = append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		b = append(b, `"-Infinity"`...)
	default:
		b = strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	return append(b, '}')
}

// otlpKind maps a span kind to OTLP's SpanKind enum (INTERNAL 1, SERVER 2,
// CLIENT 3). The runtime gives handler spans their kind; a client span of
// Transport is known by its server.address without a kind (a handler nested
// in another, which has no kind, records no server.address).
func otlpKind(d *spantree.SpanData) int64 {
	switch d.Kind {
	case spantree.KindServer:
		return 2
	case spantree.KindClient:
		return 3
	}
	if _, ok := d.Attrs[attrServerAddress]; ok {
		return 3
	}
	return otlpKindInternal
}
