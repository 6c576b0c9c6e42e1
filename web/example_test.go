package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
	"github.com/spantree/spantree/web"
)

// ExampleHandler mounts the web view at /ui/ next to the receiver's API, as
// `spantree serve` does; the page calls the API at ../v1/.
func ExampleHandler() {
	dir, err := os.MkdirTemp("", "spantree-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(filepath.Join(dir, "spantree.db"))
	if err != nil {
		panic(err)
	}
	defer st.Close()

	mux := http.NewServeMux()
	mux.Handle("/", server.New(st, server.Options{}))
	mux.Handle("GET /ui/", http.StripPrefix("/ui", web.Handler()))
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	ts := httptest.NewServer(mux)
	defer ts.Close()

	res, err := http.Get(ts.URL) // follows the redirect to /ui/
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(res.Request.URL.Path, res.StatusCode, res.Header.Get("Content-Type"))
	// Output: /ui/ 200 text/html; charset=utf-8
}
