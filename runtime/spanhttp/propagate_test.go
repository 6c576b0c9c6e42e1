package spanhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
	"github.com/spantree/spantree/runtime/spantest"
)

// echo is a server that remembers the W3C headers of each request.
type echo struct {
	mu      sync.Mutex
	headers []http.Header
}

func (e *echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.headers = append(e.headers, http.Header{
		"Traceparent": r.Header.Values("traceparent"),
		"Tracestate":  r.Header.Values("tracestate"),
	})
	e.mu.Unlock()
}

func (e *echo) last(t *testing.T) http.Header {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.headers) == 0 {
		t.Fatal("the server got no request")
	}
	return e.headers[len(e.headers)-1]
}

var (
	fnClient = spantree.Func{Name: "prop.client", Loc: "prop/client.go:1"}
	fnCtx    = spantree.Func{Name: "prop.withContext", Loc: "prop/client.go:9"}
)

// TestPropagationClient: http.Get, http.DefaultClient, a client with a nil
// Transport and a transport cloned from http.DefaultTransport all send the
// traceparent of the span making the request, the context's span first.
func TestPropagationClient(t *testing.T) {
	spantest.Record(t)
	e := &echo{}
	srv := httptest.NewServer(e)
	defer srv.Close()

	sp := spantree.Start(&fnClient) // sets the runtime up, as the first span of a program does
	defer sp.Done()
	if _, ok := http.DefaultTransport.(*http.Transport); !ok {
		t.Fatalf("http.DefaultTransport is a %T after set-up; code asserting *http.Transport would panic", http.DefaultTransport)
	}
	tr, cur, ok := spantree.SpanContext(nil)
	if !ok {
		t.Fatal("no current span")
	}
	want := spantree.Traceparent(tr, cur)

	cloned := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer cloned.CloseIdleConnections()
	do := map[string]func() (*http.Response, error){
		"http.Get":           func() (*http.Response, error) { return http.Get(srv.URL) },
		"http.DefaultClient": func() (*http.Response, error) { return http.DefaultClient.Get(srv.URL) },
		"nil Transport":      func() (*http.Response, error) { return (&http.Client{}).Get(srv.URL) },
		"cloned transport":   func() (*http.Response, error) { return cloned.Get(srv.URL) },
		"http.Post": func() (*http.Response, error) {
			return http.Post(srv.URL, "text/plain", strings.NewReader("body"))
		},
	}
	// Through http.DefaultClient a request has a client span of its own, a
	// child of the goroutine's span (TestClientSpans); the other ways name
	// the goroutine's span itself.
	viaDefaultClient := map[string]bool{"http.Get": true, "http.DefaultClient": true, "http.Post": true}
	for name, f := range do {
		t.Run(name, func(t *testing.T) {
			resp, err := f()
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := e.last(t).Get("traceparent")
			if viaDefaultClient[name] {
				if len(got) != 55 || got[:36] != want[:36] || got == want {
					t.Errorf("traceparent = %q; want a client span in trace %q", got, want[:35])
				}
				return
			}
			if got != want {
				t.Errorf("traceparent = %q; want %q (the goroutine's span)", got, want)
			}
		})
	}

	t.Run("context span wins", func(t *testing.T) {
		ctx, inner := spantree.StartContext(context.Background(), &fnCtx)
		itr, ispan, _ := spantree.SpanContext(ctx)
		inner.Done() // the request still names it: a context outlives its span's call
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got, want := e.last(t).Get("traceparent"), spantree.Traceparent(itr, ispan); len(got) != 55 || got[:36] != want[:36] {
			t.Errorf("traceparent = %q; want the trace of the context's span, %q", got, want)
		}
	})

	t.Run("caller's headers kept", func(t *testing.T) {
		const theirs = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("traceparent", theirs)
		req.Header.Set("tracestate", "vendor=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := e.last(t)
		if h.Get("traceparent") != theirs || h.Get("tracestate") != "vendor=x" {
			t.Errorf("headers = %v; want the caller's own traceparent and tracestate", h)
		}
	})
}

// TestPropagationNoSpan: a request made where no span runs carries no
// traceparent.
func TestPropagationNoSpan(t *testing.T) {
	spantest.Record(t)
	e := &echo{}
	srv := httptest.NewServer(e)
	defer srv.Close()
	done := make(chan struct{})
	go func() { // a goroutine started outside any span
		defer close(done)
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	}()
	<-done
	if got := e.last(t).Get("traceparent"); got != "" {
		t.Errorf("traceparent = %q; want none", got)
	}
}

var fnHandler = spantree.Func{Name: "prop.handler", Loc: "prop/server.go:5", Kind: spantree.KindHandler}

// TestPropagationRoundTrip: an instrumented client calling an instrumented
// handler gives one trace: the handler's span has the request's client span
// as its parent and the client's trace id payload. A malformed traceparent starts a
// trace of the handler's own.
func TestPropagationRoundTrip(t *testing.T) {
	rec := spantest.Record(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sp := spanhttp.Start(spantree.Span{}, r, &fnHandler)
		defer sp.Done()
	}))
	defer srv.Close()

	var client spantree.SpanData
	func() {
		sp := spantree.Start(&fnClient)
		defer sp.Done()
		tr, id, _ := spantree.SpanContext(nil)
		client = spantree.SpanData{TraceID: tr, SpanID: id}
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("traceparent", "00-zzzz-not-a-traceparent-01")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}()

	var handlers []*spantree.SpanData
	var get *spantree.SpanData // the client span of http.Get
	for _, tr := range rec.Traces() {
		for i := range tr.Spans {
			switch tr.Spans[i].Name {
			case fnHandler.Name:
				handlers = append(handlers, &tr.Spans[i])
			case "HTTP GET":
				if tr.Spans[i].ParentID == client.SpanID && get == nil {
					get = &tr.Spans[i]
				}
			}
		}
	}
	if get == nil {
		t.Fatalf("no client span under the client's span")
	}
	if len(handlers) != 2 {
		t.Fatalf("%d handler spans recorded; want 2", len(handlers))
	}
	var continued, fresh int
	for _, h := range handlers {
		if h.TraceID.Hex() == client.TraceID.Hex() {
			continued++
			if h.ParentID != get.SpanID {
				t.Errorf("handler parent = %s; want the client span of http.Get %s", h.ParentID, get.SpanID)
			}
			continue
		}
		fresh++
		if !h.ParentID.IsZero() {
			t.Errorf("handler with a malformed traceparent has parent %s; want none", h.ParentID)
		}
	}
	if continued != 1 || fresh != 1 {
		t.Errorf("handler traces: %d continued the client's, %d fresh; want 1 and 1", continued, fresh)
	}
}
