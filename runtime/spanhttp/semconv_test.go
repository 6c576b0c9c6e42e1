package spanhttp

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var (
	fnServe  = spantree.Func{Name: "semconv.handler", Loc: "semconv/server.go:5", Kind: spantree.KindHandler}
	fnCaller = spantree.Func{Name: "semconv.caller", Loc: "semconv/client.go:1"}
)

// spanAttrs is what the tests compare of a span.
type spanAttrs struct {
	Status spantree.Status
	Error  string
	Attrs  map[string]any
}

func attrsOf(d *spantree.SpanData) spanAttrs {
	a := spanAttrs{Status: d.Status, Attrs: d.Attrs}
	if d.Error != nil {
		a.Error = d.Error.Type + ": " + d.Error.Message
	}
	return a
}

// handlerSpan returns the one span named name among rec's traces.
func onlySpan(t *testing.T, rec *spantest.Recorder, name string) *spantree.SpanData {
	t.Helper()
	var found []*spantree.SpanData
	for _, tr := range rec.Traces() {
		for i := range tr.Spans {
			if tr.Spans[i].Name == name {
				found = append(found, &tr.Spans[i])
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans named %s; want 1", len(found), name)
	}
	return found[0]
}

// TestServerSpans: a handler's span records the method, the ServeMux
// pattern's path and the status of its answer; 5xx fails it, 4xx only with
// SPANTREE_HTTP_FAIL_4XX=1.
func TestServerSpans(t *testing.T) {
	tests := []struct {
		name    string
		fail4xx bool
		method  string
		path    string
		handler func(w http.ResponseWriter, r *http.Request)
		want    spanAttrs
	}{
		{name: "written body is 200", method: "GET", path: "/users/7", handler: func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ann")
		}, want: spanAttrs{Status: spantree.StatusSucceeded, Attrs: map[string]any{
			"http.request.method": "GET", "http.route": "/users/{id}", "http.response.status_code": 200}}},
		{name: "500 fails", method: "POST", path: "/users/7", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, want: spanAttrs{Status: spantree.StatusFailed, Error: "*spanhttp.StatusError: HTTP 500 Internal Server Error", Attrs: map[string]any{
			"http.request.method": "POST", "http.route": "/users/{id}", "http.response.status_code": 500}}},
		{name: "402 is not a failure by default", method: "GET", path: "/pay", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusPaymentRequired)
			w.WriteHeader(http.StatusInternalServerError) // superfluous: net/http ignores it, and so does the span
		}, want: spanAttrs{Status: spantree.StatusSucceeded, Attrs: map[string]any{
			"http.request.method": "GET", "http.route": "/pay", "http.response.status_code": 402}}},
		{name: "409 fails with SPANTREE_HTTP_FAIL_4XX=1", fail4xx: true, method: "PUT", path: "/pay", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusConflict)
		}, want: spanAttrs{Status: spantree.StatusFailed, Error: "*spanhttp.StatusError: HTTP 409 Conflict", Attrs: map[string]any{
			"http.request.method": "PUT", "http.route": "/pay", "http.response.status_code": 409}}},
		{name: "1xx is not the status", method: "GET", path: "/pay", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusNoContent)
		}, want: spanAttrs{Status: spantree.StatusSucceeded, Attrs: map[string]any{
			"http.request.method": "GET", "http.route": "/pay", "http.response.status_code": 204}}},
		{name: "flush is 200", method: "GET", path: "/pay", handler: func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush()
		}, want: spanAttrs{Status: spantree.StatusSucceeded, Attrs: map[string]any{
			"http.request.method": "GET", "http.route": "/pay", "http.response.status_code": 200}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := spantest.Record(t)
			fail4xx.Store(tt.fail4xx)
			defer fail4xx.Store(false)
			handler := func(w http.ResponseWriter, r *http.Request) {
				w, sp := StartHandler(spantree.Span{}, w, r, &fnServe)
				defer sp.Done()
				tt.handler(w, r)
			}
			mux := http.NewServeMux()
			mux.HandleFunc("/users/{id}", handler)
			mux.HandleFunc("example.invalid/other", handler)
			mux.HandleFunc("/pay", handler)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			srv.Close() // the handler has returned: its span has ended
			got := attrsOf(onlySpan(t, rec, fnServe.Name))
			if !reflect.DeepEqual(tt.want, got) {
				t.Errorf("handler span = %+v; want %+v", got, tt.want)
			}
		})
	}
}

// TestStartRecordsRoute: Start alone (generated code without the writer)
// records the method and the route, not a status.
func TestStartRecordsRoute(t *testing.T) {
	rec := spantest.Record(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET example.com/items/{id...}", func(w http.ResponseWriter, r *http.Request) {
		sp := Start(spantree.Span{}, r, &fnServe)
		defer sp.Done()
	})
	r := httptest.NewRequest(http.MethodGet, "http://example.com/items/a/b", nil)
	mux.ServeHTTP(httptest.NewRecorder(), r)
	got := onlySpan(t, rec, fnServe.Name).Attrs
	want := map[string]any{"http.request.method": "GET", "http.route": "/items/{id...}"}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("attrs = %+v; want %+v", got, want)
	}
}

func TestRoute(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"/":                       "/",
		"/users/{id}":             "/users/{id}",
		"GET /users/{id}":         "/users/{id}",
		"POST  example.com/a/{$}": "/a/{$}",
		"example.com/":            "/",
	} {
		if got := route(in); got != want {
			t.Errorf("route(%q) = %q; want %q", in, got, want)
		}
	}
}

// fakeWriter is a ResponseWriter with the optional interfaces chosen.
type fakeWriter struct {
	http.ResponseWriter
	pushed string
}

type hijackableWriter struct{ *httptest.ResponseRecorder }

func (hijackableWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("hijacked")
}

type pushableWriter struct{ *fakeWriter }

func (p pushableWriter) Push(target string, _ *http.PushOptions) error {
	p.pushed = target
	return nil
}

type bothWriter struct{ hijackableWriter }

func (bothWriter) Push(string, *http.PushOptions) error { return nil }

// TestWriterInterfaces: the wrapped writer is a Hijacker or a Pusher
// exactly when the writer it wraps is, always a Flusher, and
// http.ResponseController reaches the wrapped writer through Unwrap.
func TestWriterInterfaces(t *testing.T) {
	spantest.Record(t)
	sp := spantree.Start(&fnCaller)
	defer sp.Done()
	tests := []struct {
		name         string
		w            http.ResponseWriter
		hijack, push bool
	}{
		{"neither", httptest.NewRecorder(), false, false},
		{"hijacker", hijackableWriter{httptest.NewRecorder()}, true, false},
		{"pusher", pushableWriter{&fakeWriter{ResponseWriter: httptest.NewRecorder()}}, false, true},
		{"both", bothWriter{hijackableWriter{httptest.NewRecorder()}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wrapWriter(tt.w, sp)
			_, h := w.(http.Hijacker)
			_, p := w.(http.Pusher)
			_, f := w.(http.Flusher)
			if h != tt.hijack || p != tt.push || !f {
				t.Errorf("wrapped %T: Hijacker %v, Pusher %v, Flusher %v; want %v, %v, true", tt.w, h, p, f, tt.hijack, tt.push)
			}
			if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() != tt.w {
				t.Errorf("wrapped %T does not unwrap to it", tt.w)
			}
			if h {
				if _, _, err := w.(http.Hijacker).Hijack(); err == nil || err.Error() != "hijacked" {
					t.Errorf("Hijack() error = %v; want the wrapped writer's", err)
				}
			}
		})
	}
}

// TestWriterOverHTTP1: on a real HTTP/1 connection the wrapped writer still
// hijacks, and http.ResponseController sets deadlines through Unwrap.
func TestWriterOverHTTP1(t *testing.T) {
	spantest.Record(t)
	errs := make(chan error, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, sp := StartHandler(spantree.Span{}, w, r, &fnServe)
		defer sp.Done()
		errs <- http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute))
		conn, buf, err := w.(http.Hijacker).Hijack()
		errs <- err
		if err == nil {
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			buf.Flush()
			conn.Close()
		}
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := <-errs; err != nil {
		t.Errorf("SetWriteDeadline through the wrapper: %v", err)
	}
	if err := <-errs; err != nil {
		t.Errorf("Hijack through the wrapper: %v", err)
	}
	if string(body) != "ok" {
		t.Errorf("body = %q; want ok, written on the hijacked connection", body)
	}
}

// TestClientSpans: a request through http.DefaultClient or Transport gets a
// client span under the calling span, with the method, host, path and
// status, failed on 5xx and on a network error, and the server sees its
// traceparent.
func TestClientSpans(t *testing.T) {
	var gotTP []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotTP = append(gotTP, r.Header.Get("traceparent"))
		if strings.HasPrefix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	host := strings.Split(strings.TrimPrefix(srv.URL, "http://"), ":")[0]
	tests := []struct {
		name   string
		client *http.Client
		method string
		path   string
		want   spanAttrs
	}{
		{"DefaultClient", http.DefaultClient, "GET", "/ok", spanAttrs{Status: spantree.StatusSucceeded, Attrs: map[string]any{
			"http.request.method": "GET", "server.address": host, "url.path": "/ok", "http.response.status_code": 200}}},
		{"DefaultClient 503", http.DefaultClient, "POST", "/fail", spanAttrs{Status: spantree.StatusFailed, Error: "*spanhttp.StatusError: HTTP 503 Service Unavailable", Attrs: map[string]any{
			"http.request.method": "POST", "server.address": host, "url.path": "/fail", "http.response.status_code": 503}}},
		{"httptest client wrapped", &http.Client{Transport: Transport(srv.Client().Transport)}, "DELETE", "/ok/1", spanAttrs{Status: spantree.StatusSucceeded, Attrs: map[string]any{
			"http.request.method": "DELETE", "server.address": host, "url.path": "/ok/1", "http.response.status_code": 200}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := spantest.Record(t)
			gotTP = nil
			var caller spantree.SpanID
			func() {
				sp := spantree.Start(&fnCaller)
				defer sp.Done()
				_, caller, _ = spantree.SpanContext(nil)
				req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
				resp, err := tt.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}()
			cs := onlySpan(t, rec, "HTTP "+tt.method)
			if got := attrsOf(cs); !reflect.DeepEqual(tt.want, got) {
				t.Errorf("client span = %+v; want %+v", got, tt.want)
			}
			if cs.ParentID != caller {
				t.Errorf("client span's parent = %s; want the calling span %s", cs.ParentID, caller)
			}
			if want := spantree.Traceparent(cs.TraceID, cs.SpanID); len(gotTP) != 1 || gotTP[0] != want {
				t.Errorf("server got traceparent %q; want %q (the client span)", gotTP, want)
			}
		})
	}

	t.Run("network error", func(t *testing.T) {
		rec := spantest.Record(t)
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		func() {
			sp := spantree.Start(&fnCaller)
			defer sp.Done()
			if _, err := http.Get("http://" + addr + "/x"); err == nil {
				t.Fatal("Get of a closed port succeeded")
			}
		}()
		cs := onlySpan(t, rec, "HTTP GET")
		if cs.Status != spantree.StatusFailed || cs.Error == nil || !strings.Contains(cs.Error.Message, "refused") {
			t.Errorf("client span status %s, error %+v; want failed with the connection error", cs.Status, cs.Error)
		}
		if _, ok := cs.Attrs["http.response.status_code"]; ok {
			t.Errorf("client span has a status code %v with no answer", cs.Attrs["http.response.status_code"])
		}
	})
}

// TestOTLPKind: handler spans are SERVER, client spans CLIENT, others
// INTERNAL.
func TestOTLPKind(t *testing.T) {
	tests := []struct {
		d    spantree.SpanData
		want int64
	}{
		{spantree.SpanData{Kind: spantree.KindServer, Attrs: map[string]any{attrMethod: "GET"}}, 2},
		{spantree.SpanData{Attrs: map[string]any{attrMethod: "GET", attrServerAddress: "h"}}, 3},
		{spantree.SpanData{Attrs: map[string]any{attrMethod: "GET", attrRoute: "/a"}}, 1}, // a nested handler
		{spantree.SpanData{}, 1},
	}
	for _, tt := range tests {
		if got := otlpKind(&tt.d); got != tt.want {
			t.Errorf("otlpKind(%+v) = %d; want %d", tt.d, got, tt.want)
		}
	}
}
