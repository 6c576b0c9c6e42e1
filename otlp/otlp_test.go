package otlp_test

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/otlp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

func traceID(t *testing.T, s string) spantree.TraceID {
	t.Helper()
	id, err := spantree.ParseTraceID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func spanID(t *testing.T, s string) spantree.SpanID {
	t.Helper()
	id, err := spantree.ParseSpanID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// capture runs the runtime's OTLP sink against a local server and returns
// the request bodies it sent.
func capture(t *testing.T, tr *spantree.Trace) []byte {
	t.Helper()
	var (
		mu     sync.Mutex
		bodies [][]byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer srv.Close()
	s, err := spanhttp.NewOTLP(srv.URL, spanhttp.OTLPOptions{Resource: map[string]string{"service": "shop", "env": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Export(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("the sink sent %d requests; want 1", len(bodies))
	}
	return bodies[0]
}

type ids struct {
	trace, other                         spantree.TraceID
	root, child, failed, folded, running spantree.SpanID
}

func sample(t *testing.T) (*spantree.Trace, ids) {
	id := ids{
		trace: traceID(t, "0ujtsYcgvSTl8PAuAdqWYSMnLOv"), other: traceID(t, "0ujzPyRiIAffKhBux4PvQdDqMHY"),
		root: spanID(t, "0102030405060708"), child: spanID(t, "1112131415161718"), failed: spanID(t, "2122232425262728"),
		folded: spanID(t, "3132333435363738"), running: spanID(t, "4142434445464748"),
	}
	ref := "00-" + id.other.Hex() + "-1112131415161718-01"
	return &spantree.Trace{ID: id.trace, Complete: true, Spans: []spantree.SpanData{
		{
			TraceID: id.trace, SpanID: id.root, Name: "main.main", Location: "cmd/shop/main.go:12",
			Start: t0, End: ms(50), Status: spantree.StatusSucceeded, Level: spantree.LevelWarn,
			HandledErrors: []spantree.ErrorInfo{{Type: "*errors.errorString", Message: "retry later", SpanID: id.failed}},
			Attrs:         map[string]any{"user": "ann", "n": 3, "ratio": 0.5, "tags": []string{"a", "b"}, "big": uint64(math.MaxUint64)},
			Events:        []spantree.Event{{Time: ms(1), Level: spantree.LevelInfo, Msg: "starting", Attrs: map[string]any{"port": 8080}}},
			Links:         []spantree.Link{{TraceID: id.other, SpanID: id.child, Ref: ref}},
		},
		{
			TraceID: id.trace, SpanID: id.child, ParentID: id.root, Name: "main.main.Go#1", Location: "cmd/shop/main.go:30",
			Start: ms(2), End: ms(20), Status: spantree.StatusSucceeded, Goroutine: true,
		},
		{
			TraceID: id.trace, SpanID: id.failed, ParentID: id.root, Name: "main.(*Client).fetch", Location: "cmd/shop/client.go:7",
			Start: ms(21), End: ms(40), Status: spantree.StatusFailed, Level: spantree.LevelError,
			Error: &spantree.ErrorInfo{Type: "runtime.Error", Message: "index out of range", Panic: true, Stack: "goroutine 1 [running]:\nmain.fetch()"},
		},
		{
			TraceID: id.trace, SpanID: id.folded, ParentID: id.root, Name: "main.add", Location: "cmd/shop/main.go:40",
			Start: ms(41), End: ms(42), Status: spantree.StatusSucceeded,
			Fold: &spantree.Fold{Count: 100, TotalNS: 5000, MinNS: 40, MaxNS: 90},
		},
		{
			TraceID: id.trace, SpanID: id.running, ParentID: id.root, Name: "main.loop", Location: "cmd/shop/main.go:50",
			Start: ms(43), Status: spantree.StatusStarted,
		},
	}}, id
}

// TestSinkSemantics reads what the runtime's sink sends with the Collector's
// own decoder and checks it against OpenTelemetry's conventions.
func TestSinkSemantics(t *testing.T) {
	tr, id := sample(t)
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(capture(t, tr))
	if err != nil {
		t.Fatalf("pdata cannot read the sink's request: %v", err)
	}
	if n := td.SpanCount(); n != 5 {
		t.Fatalf("SpanCount() = %d; want 5", n)
	}
	rs := td.ResourceSpans().At(0)
	if v, _ := rs.Resource().Attributes().Get("service.name"); v.Str() != "shop" {
		t.Errorf("service.name = %q; want shop", v.Str())
	}
	spans := map[spantree.SpanID]ptrace.Span{}
	ss := rs.ScopeSpans().At(0).Spans()
	for i := 0; i < ss.Len(); i++ {
		s := ss.At(i)
		spans[spantree.SpanID(s.SpanID())] = s
		if got, want := s.TraceID().String(), id.trace.Hex(); got != want {
			t.Errorf("span %s: trace id %s; want the KSUID payload %s", s.Name(), got, want)
		}
	}
	failed := spans[id.failed]
	if failed.Status().Code() != ptrace.StatusCodeError || failed.Status().Message() != "index out of range" {
		t.Errorf("failed span status = %v %q; want Error \"index out of range\"", failed.Status().Code(), failed.Status().Message())
	}
	if failed.ParentSpanID() != pcommon.SpanID(id.root) {
		t.Errorf("failed span parent = %s; want %s", failed.ParentSpanID(), id.root)
	}
	if got, want := failed.EndTimestamp().AsTime(), ms(40); !got.Equal(want) {
		t.Errorf("failed span end = %v; want %v", got, want)
	}
	ev := failed.Events().At(0)
	gotAttrs := ev.Attributes().AsRaw()
	wantAttrs := map[string]any{"exception.type": "runtime.Error", "exception.message": "index out of range",
		"exception.stacktrace": "goroutine 1 [running]:\nmain.fetch()", "spantree.panic": true}
	if ev.Name() != "exception" || !cmp.Equal(gotAttrs, wantAttrs) {
		t.Errorf("failed span event %q %v; want exception with (-want +got):\n%s", ev.Name(), gotAttrs, cmp.Diff(wantAttrs, gotAttrs))
	}
	code := map[string]any{}
	for _, k := range []string{"code.function", "code.filepath", "code.lineno"} {
		v, _ := failed.Attributes().Get(k)
		code[k] = v.AsRaw()
	}
	if diff := cmp.Diff(map[string]any{"code.function": "main.(*Client).fetch", "code.filepath": "cmd/shop/client.go", "code.lineno": int64(7)}, code); diff != "" {
		t.Errorf("code attributes (-want +got):\n%s", diff)
	}
	if spans[id.root].Status().Code() != ptrace.StatusCodeUnset {
		t.Errorf("succeeded span status = %v; want Unset", spans[id.root].Status().Code())
	}
	if l := spans[id.root].Links(); l.Len() != 1 || l.At(0).SpanID() != pcommon.SpanID(id.child) {
		t.Errorf("root links = %d; want 1 to %s", l.Len(), id.child)
	}
	if v, _ := spans[id.folded].Attributes().Get("spantree.fold.count"); v.Int() != 100 {
		t.Errorf("spantree.fold.count = %v; want 100", v.AsRaw())
	}
	if v, _ := spans[id.running].Attributes().Get("spantree.unfinished"); !v.Bool() {
		t.Errorf("running span sent at Flush without spantree.unfinished")
	}
}

// TestRoundTrip: what the sink sends, Decode gives back, but for the changes
// OTLP forces (noted in want).
func TestRoundTrip(t *testing.T) {
	tr, _ := sample(t)
	got, err := otlp.Decode("application/json; charset=utf-8", capture(t, tr))
	if err != nil {
		t.Fatal(err)
	}
	want := []spantree.Batch{{
		Tags:  map[string]string{"service": "shop", "env": "test", "telemetry.sdk.name": "spantree", "telemetry.sdk.language": "go"},
		Spans: append([]spantree.SpanData(nil), tr.Spans...),
	}}
	root := &want[0].Spans[0]
	// OTLP integers are int64, arrays untyped; an int64 cannot hold MaxUint64.
	root.Attrs = map[string]any{"user": "ann", "n": int64(3), "ratio": 0.5, "tags": []any{"a", "b"}, "big": "18446744073709551615"}
	root.Events = []spantree.Event{{Time: ms(1), Level: spantree.LevelInfo, Msg: "starting", Attrs: map[string]any{"port": int64(8080)}}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b spantree.TraceID) bool { return a.Hex() == b.Hex() })); diff != "" {
		t.Errorf("Decode(sink's request) (-want +got):\n%s", diff)
	}
}

// TestDecodeProtobuf reads a request as the OpenTelemetry SDK sends it.
func TestDecodeProtobuf(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	rs.Resource().Attributes().PutStr("host.name", "box1")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	traceA := pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	server := ss.Spans().AppendEmpty()
	server.SetTraceID(traceA)
	server.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	server.SetParentSpanID(pcommon.SpanID{9, 9, 9, 9, 9, 9, 9, 9})
	server.SetName("GET /pay")
	server.SetKind(ptrace.SpanKindServer)
	server.SetStartTimestamp(pcommon.NewTimestampFromTime(ms(5)))
	server.SetEndTimestamp(pcommon.NewTimestampFromTime(ms(25)))
	server.Attributes().PutStr("code.file.path", "pay/handler.go")
	server.Attributes().PutInt("code.line.number", 31)
	server.Attributes().PutInt("http.response.status_code", 502)
	server.Status().SetCode(ptrace.StatusCodeError)
	server.Status().SetMessage("upstream failed")
	handled := server.Events().AppendEmpty()
	handled.SetName("exception")
	handled.SetTimestamp(pcommon.NewTimestampFromTime(ms(10)))
	handled.Attributes().PutStr("exception.type", "*net.OpError")
	handled.Attributes().PutStr("exception.message", "dial tcp: refused")
	handled.Attributes().PutBool("exception.escaped", false)
	log := server.Events().AppendEmpty()
	log.SetName("retrying")
	log.SetTimestamp(pcommon.NewTimestampFromTime(ms(11)))
	log.Attributes().PutStr("level", "warn")
	log.Attributes().PutInt("attempt", 2)
	exc := server.Events().AppendEmpty()
	exc.SetName("exception")
	exc.SetTimestamp(pcommon.NewTimestampFromTime(ms(24)))
	exc.Attributes().PutStr("exception.type", "*url.Error")
	exc.Attributes().PutStr("exception.stacktrace", "goroutine 7 [running]:")
	link := server.Links().AppendEmpty()
	link.SetTraceID(pcommon.TraceID{1: 1})
	link.SetSpanID(pcommon.SpanID{2: 2})
	body, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}

	got, err := otlp.Decode("application/x-protobuf", body)
	if err != nil {
		t.Fatal(err)
	}
	want := []spantree.Batch{{
		Tags: map[string]string{"service": "checkout", "host.name": "box1"},
		Spans: []spantree.SpanData{{
			TraceID: spantree.TraceIDFromW3C(traceA, ms(5)), SpanID: spantree.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
			ParentID: spantree.SpanID{9, 9, 9, 9, 9, 9, 9, 9}, Name: "GET /pay", Location: "pay/handler.go:31",
			Start: ms(5), End: ms(25), Status: spantree.StatusFailed, Level: spantree.LevelError,
			Error:         &spantree.ErrorInfo{Type: "*url.Error", Message: "upstream failed", Stack: "goroutine 7 [running]:"},
			HandledErrors: []spantree.ErrorInfo{{Type: "*net.OpError", Message: "dial tcp: refused"}},
			Attrs:         map[string]any{"http.response.status_code": int64(502), "otel.span_kind": "server"},
			Events:        []spantree.Event{{Time: ms(11), Level: spantree.LevelWarn, Msg: "retrying", Attrs: map[string]any{"attempt": int64(2)}}},
			Links:         []spantree.Link{{TraceID: spantree.TraceIDFromW3C([16]byte{1: 1}, ms(5)), SpanID: spantree.SpanID{2: 2}}},
		}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode(protobuf) (-want +got):\n%s", diff)
	}
}

func TestDecodeBadInput(t *testing.T) {
	noTrace := func() []byte {
		td := ptrace.NewTraces()
		s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		s.SetSpanID(pcommon.SpanID{1})
		b, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
		return b
	}()
	tests := []struct {
		name        string
		contentType string
		body        string
		wantErr     string // substring; "" means no error
	}{
		{"empty protobuf request", "application/x-protobuf", "", ""},
		{"empty json request", "application/json", "{}", ""},
		{"unknown content type", "text/plain", "{}", `content type "text/plain"`},
		{"malformed content type", "application/json; =", "{}", "content type"},
		{"malformed json", "application/json", `{"resourceSpans":[`, "decode application/json"},
		{"malformed protobuf", "application/x-protobuf", "\xff\xff\xff", "decode application/x-protobuf"},
		{"span without trace id", "application/json", string(noTrace), "resourceSpans[0].scopeSpans[0].spans[0]: traceId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := otlp.Decode(tt.contentType, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Decode() = %v; want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Decode() = %v; want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// FuzzDecode: whatever comes in, Decode returns an error or batches whose
// spans all have ids; it never panics.
func FuzzDecode(f *testing.F) {
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetTraceID(pcommon.TraceID{1})
	s.SetSpanID(pcommon.SpanID{2})
	s.Status().SetCode(ptrace.StatusCodeError)
	pb, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	js, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	f.Add(true, js)
	f.Add(false, pb)
	f.Add(true, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01","spanId":"zz"}]}]}]}`))
	f.Fuzz(func(t *testing.T, isJSON bool, body []byte) {
		ct := otlp.ContentTypeProtobuf
		if isJSON {
			ct = otlp.ContentTypeJSON
		}
		batches, err := otlp.Decode(ct, body)
		if err != nil {
			return
		}
		for _, b := range batches {
			for _, d := range b.Spans {
				if d.SpanID.IsZero() || d.TraceID.IsZero() {
					t.Fatalf("Decode accepted a span without ids: %+v", d)
				}
			}
		}
	})
}
