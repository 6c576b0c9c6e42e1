package spanhttp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
)

var (
	exampleHandler = spantree.Func{Name: "shop.getItem", Loc: "shop/items.go:12", Kind: spantree.KindHandler}
	exampleCaller  = spantree.Func{Name: "shop.TestGetItem", Loc: "shop/items_test.go:8"}
)

// A test's httptest client builds its own transport, which propagation
// cannot reach: Transport gives its requests a client span and the
// traceparent, so the handler's span joins the test's trace.
func ExampleTransport() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("traceparent") != "")
	}))
	defer srv.Close()
	client := srv.Client()
	client.Transport = spanhttp.Transport(client.Transport)

	sp := spantree.Start(&exampleCaller)
	defer sp.Done()
	resp, err := client.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	fmt.Println("traceparent sent:", string(got))
	// Output: traceparent sent: true
}

// A handler written by hand (spangen writes the first two statements of the
// handlers it instruments) records its answer's status on its span; a 5xx
// marks the span failed.
func ExampleStartHandler() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		w, sp := spanhttp.StartHandler(spantree.Span{}, w, r, &exampleHandler)
		defer sp.Done()
		http.Error(w, "no such item", http.StatusNotFound)
	}
	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest(http.MethodGet, "/items/7", nil))
	fmt.Println(rec.Code)
	// Output: 404
}
