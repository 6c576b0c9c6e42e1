package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/spantree/spantree/runtime/spanhttp"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// postOTLP sends body to POST /v1/traces and returns the response's
// status, content type and body.
func (e *env) postOTLP(key, contentType string, body []byte, hdr ...string) (int, string, []byte) {
	e.t.Helper()
	if contentType != "" {
		hdr = append([]string{"Content-Type", contentType}, hdr...)
	}
	status, h, b := e.send("POST", "/v1/traces", key, body, hdr...)
	return status, h.Get("Content-Type"), b
}

// outline lists a stored trace's spans as "name status parent-name".
func outline(t *testing.T, e *env, hex string) []string {
	t.Helper()
	tr, err := e.client().Trace(context.Background(), hex)
	if err != nil {
		t.Fatalf("GET /v1/traces/%s: %v", hex, err)
	}
	names := map[spantree.SpanID]string{}
	for _, s := range tr.Spans {
		names[s.SpanID] = s.Name
	}
	var out []string
	for _, s := range tr.Spans {
		line := s.Name + " " + string(s.Status)
		if !s.ParentID.IsZero() {
			line += " <- " + names[s.ParentID]
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// TestOTLPJSONFile posts the request the runtime's OTLP sink writes
// (runtime/spanhttp/testdata/otlp_request.json, its golden file).
func TestOTLPJSONFile(t *testing.T) {
	e := newEnv(t, server.Options{})
	body, err := os.ReadFile("../runtime/spanhttp/testdata/otlp_request.json")
	if err != nil {
		t.Fatal(err)
	}
	// The golden file masks the flush time the sink gives an unfinished
	// span (main.loop, marked spantree.unfinished).
	body = bytes.ReplaceAll(body, []byte(`"FLUSH TIME"`), []byte(`"1795600800060000000"`))
	status, ct, resp := e.postOTLP(e.key, "application/json", body)
	if status != http.StatusOK || ct != "application/json" {
		t.Fatalf("POST /v1/traces = %d %q %s; want 200 application/json", status, ct, resp)
	}
	// An ExportTraceServiceResponse with no partial_success: all accepted.
	var er map[string]any
	if err := json.Unmarshal(resp, &er); err != nil || len(er) != 0 {
		t.Errorf("response %q: want {} (%v)", resp, err)
	}
	want := []string{
		"main.(*Client).fetch failed <- main.main",
		"main.add succeeded <- main.main",
		"main.loop started <- main.main",
		"main.main succeeded",
		"main.work.Go#1 succeeded <- main.main",
	}
	if diff := cmp.Diff(want, outline(t, e, "b5a1cd34b5f99d1154fb6853345c9735")); diff != "" {
		t.Errorf("stored trace (-want +got):\n%s", diff)
	}
}

// TestOTLPRuntimeSink sends a trace through the runtime's real OTLP sink
// to the server.
func TestOTLPRuntimeSink(t *testing.T) {
	e := newEnv(t, server.Options{})
	sink, err := spanhttp.NewOTLP(e.srv.URL, spanhttp.OTLPOptions{
		Header:   http.Header{"X-Api-Key": {e.key}},
		Resource: map[string]string{"service": "shop", "version": "1.2.3"},
		Gzip:     true,
	})
	if err != nil {
		t.Fatal(err)
	}
	root := span(9, 1, 0, "main.main", 0, 2*time.Second, false)
	child := span(9, 2, 1, "shop.Pay", time.Millisecond, time.Second, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sink.Export(ctx, &spantree.Trace{ID: root.TraceID, Spans: []spantree.SpanData{root, child}, Complete: true}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	want := []string{"main.main succeeded", "shop.Pay failed <- main.main"}
	if diff := cmp.Diff(want, outline(t, e, root.TraceID.Hex())); diff != "" {
		t.Errorf("stored trace (-want +got):\n%s", diff)
	}
	tr, err := e.client().Trace(ctx, root.TraceID.Hex())
	if err != nil {
		t.Fatal(err)
	}
	if tr.Tags["service"] != "shop" || tr.Tags["version"] != "1.2.3" {
		t.Errorf("trace tags = %v; want service shop, version 1.2.3", tr.Tags)
	}
}

// sdkTraces builds a request as the OpenTelemetry Go SDK sends it: one
// resource, one scope, a server span with a failed client child that
// recorded an exception event.
func sdkTraces() (ptrace.Traces, string) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	rs.Resource().Attributes().PutStr("telemetry.sdk.language", "go")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	tid := pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

	parent := ss.Spans().AppendEmpty()
	parent.SetTraceID(tid)
	parent.SetSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 1})
	parent.SetName("GET /cart")
	parent.SetKind(ptrace.SpanKindServer)
	parent.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	parent.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(30 * time.Millisecond)))
	parent.Attributes().PutStr("http.request.method", "GET")
	parent.Attributes().PutInt("http.response.status_code", 500)
	parent.Status().SetCode(ptrace.StatusCodeError)

	child := ss.Spans().AppendEmpty()
	child.SetTraceID(tid)
	child.SetSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 2})
	child.SetParentSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 1})
	child.SetName("cart.Load")
	child.SetKind(ptrace.SpanKindClient)
	child.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Millisecond)))
	child.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(20 * time.Millisecond)))
	child.Attributes().PutStr("code.filepath", "cart/load.go")
	child.Attributes().PutInt("code.lineno", 42)
	child.Status().SetCode(ptrace.StatusCodeError)
	child.Status().SetMessage("connection refused")
	ev := child.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(pcommon.NewTimestampFromTime(start.Add(19 * time.Millisecond)))
	ev.Attributes().PutStr("exception.type", "*net.OpError")
	ev.Attributes().PutStr("exception.message", "dial tcp: connection refused")
	return td, tid.String()
}

// TestOTLPProtobuf posts the protobuf body of an OpenTelemetry SDK, plain
// and gzipped, and with the charset parameter some clients add.
func TestOTLPProtobuf(t *testing.T) {
	td, hex := sdkTraces()
	// An ExportTraceServiceRequest has the layout of TracesData.
	body, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body)
	zw.Close()
	tests := []struct {
		name        string
		contentType string
		body        []byte
		hdr         []string
		wantCT      string
	}{
		{"protobuf", "application/x-protobuf", body, nil, "application/x-protobuf"},
		{"gzip", "application/x-protobuf", gz.Bytes(), []string{"Content-Encoding", "gzip"}, "application/x-protobuf"},
		{"no content type is protobuf", "", body, nil, "application/x-protobuf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, server.Options{})
			status, ct, resp := e.postOTLP(e.key, tt.contentType, tt.body, tt.hdr...)
			if status != http.StatusOK || ct != tt.wantCT {
				t.Fatalf("POST /v1/traces = %d %q %q; want 200 %q", status, ct, resp, tt.wantCT)
			}
			// An empty ExportTraceServiceResponse is zero bytes.
			if len(resp) != 0 {
				t.Errorf("response %q; want an empty message", resp)
			}
			want := []string{"GET /cart failed", "cart.Load failed <- GET /cart"}
			if diff := cmp.Diff(want, outline(t, e, hex)); diff != "" {
				t.Errorf("stored trace (-want +got):\n%s", diff)
			}
			tr, err := e.client().Trace(context.Background(), hex)
			if err != nil {
				t.Fatal(err)
			}
			var load *spantree.SpanData
			for i := range tr.Spans {
				if tr.Spans[i].Name == "cart.Load" {
					load = &tr.Spans[i]
				}
			}
			if load == nil || load.Location != "cart/load.go:42" || load.Error == nil || load.Error.Type != "*net.OpError" {
				t.Errorf("cart.Load = %+v; want location cart/load.go:42 and the exception as its error", load)
			}
			if tr.Tags["service"] != "checkout" {
				t.Errorf("tags = %v; want service checkout", tr.Tags)
			}
		})
	}
}

// grpcStatus reads a google.rpc.Status message in protobuf: its code and
// message.
func grpcStatus(t *testing.T, b []byte) (int, string) {
	t.Helper()
	var code int
	var msg string
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			t.Fatalf("bad Status message %q", b)
		}
		b = b[n:]
		v, n := binary.Uvarint(b)
		if n <= 0 {
			t.Fatalf("bad Status message %q", b)
		}
		b = b[n:]
		switch tag {
		case 1<<3 | 0:
			code = int(v)
		case 2<<3 | 2:
			msg, b = string(b[:v]), b[v:]
		default:
			t.Fatalf("unexpected field %d in Status", tag>>3)
		}
	}
	return code, msg
}

// TestOTLPBadInput: errors carry a google.rpc.Status in the request's
// encoding, saying what is wrong; nothing is stored.
func TestOTLPBadInput(t *testing.T) {
	e := newEnv(t, server.Options{MaxBody: 1 << 16})
	td, hex := sdkTraces()
	good, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	bad := ptrace.NewTraces()
	badSpan := bad.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	badSpan.SetName("no ids")
	noIDs, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(bad)
	tests := []struct {
		name        string
		key         string
		contentType string
		body        []byte
		wantStatus  int
		wantCode    int // gRPC code in the Status; 0: the body is not a Status
	}{
		{"no key", "", "application/x-protobuf", good, 401, 16},
		{"unknown key", "stk_nope", "application/json", []byte(`{}`), 401, 16},
		{"garbage protobuf", e.key, "application/x-protobuf", []byte{0xff, 0xff, 0xff}, 400, 3},
		{"garbage json", e.key, "application/json", []byte(`{"resourceSpans": 7`), 400, 3},
		{"span without ids", e.key, "application/x-protobuf", noIDs, 400, 3},
		{"too large", e.key, "application/x-protobuf", make([]byte, 1<<17), 413, 8},
		{"other content type", e.key, "text/plain", good, 415, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ct, resp := e.postOTLP(tt.key, tt.contentType, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status = %d (%q); want %d", status, resp, tt.wantStatus)
			}
			if tt.wantCode == 0 {
				return
			}
			if ct != tt.contentType {
				t.Errorf("Content-Type = %q; want the request's %q", ct, tt.contentType)
			}
			var code int
			var msg string
			if tt.contentType == "application/json" {
				var st struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(resp, &st); err != nil {
					t.Fatalf("body %q is not a JSON Status: %v", resp, err)
				}
				code, msg = st.Code, st.Message
			} else {
				code, msg = grpcStatus(t, resp)
			}
			if code != tt.wantCode || msg == "" {
				t.Errorf("Status = code %d, message %q; want code %d and a message", code, msg, tt.wantCode)
			}
		})
	}
	if _, err := e.client().Trace(context.Background(), hex); err == nil {
		t.Errorf("trace %s stored from a rejected request", hex)
	}
}
