package runtimetest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
	"github.com/spantree/spantree/runtime/spantest"
)

var lateFns = [...]spantree.Func{
	{Name: "t.lateServer", Loc: "late_test.go:1"},
	{Name: "t.lateServer.HandleFunc(/order)", Loc: "late_test.go:2", Kind: spantree.KindHandler},
	{Name: "t.notify", Loc: "late_test.go:3"},
}

// notify is a named function a handler starts with a go statement; it waits
// until the handler has returned before its span starts.
func notify(handlerDone <-chan struct{}, done chan<- struct{}) {
	<-handlerDone
	__sp := spantree.Start(&lateFns[2])
	defer __sp.Done()
	close(done)
}

// A goroutine a handler launched with go, whose first span starts after the
// handler returned, is a goroutine child of the request, not a trace of its
// own.
func TestGoFromHandlerJoinsRequest(t *testing.T) {
	rec := spantest.Record(t)
	handlerDone, notified := make(chan struct{}), make(chan struct{})
	func() {
		__sp := spantree.Start(&lateFns[0])
		defer __sp.Done()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			__sp := spanhttp.Start(__sp, r, &lateFns[1])
			defer __sp.Done()
			go notify(handlerDone, notified)
			w.WriteHeader(202)
		}))
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/order")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}()
	close(handlerDone) // the handler has answered, so its span has ended
	<-notified
	spantree.Flush()
	// The request comes from a span of this process, so the handler nests
	// under it in the caller's trace.
	req := rec.Trace(t, lateFns[0].Name)
	n := req.Span(t, lateFns[2].Name)
	if !n.Goroutine {
		t.Errorf("%s: goroutine = false; want a goroutine child of the request", lateFns[2].Name)
	}
	if h := req.Span(t, lateFns[1].Name); n.ParentID != h.SpanID {
		t.Errorf("%s parent = %s; want the handler span %s", lateFns[2].Name, n.ParentID, h.SpanID)
	}
	for _, tr := range rec.Traces() {
		if r := tr.Root(); r != nil && r.Name == lateFns[2].Name {
			t.Errorf("%s started a trace of its own", lateFns[2].Name)
		}
	}
}
