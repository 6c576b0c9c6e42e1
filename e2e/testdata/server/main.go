// Command server is the e2e test's priced-items service, written as spangen
// -w leaves it: every function runs in a span, the handler continues the
// caller's W3C traceparent. It listens on 127.0.0.1, prints "listening on
// ADDR" and serves until SIGINT or SIGTERM, then shuts down and returns from
// main, which flushes the spans.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

import __spantree "github.com/spantree/spantree/runtime"
import __spanhttp "github.com/spantree/spantree/runtime/spanhttp"

var errNotFound = errors.New("not found")

var prices = map[string]int{"apple": 3, "pear": 4}

func main() {
	__sp := __spantree.Start(&__spantree_fns_main[0])
	defer __sp.Done()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(__spantree.Exiting(1))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/price", func(w http.ResponseWriter, r *http.Request) {
		w, __sp := __spanhttp.StartHandler(__sp, w, r, &__spantree_fns_main[1])
		defer __sp.Done()
		p, err := price(r.Context(), r.URL.Query().Get("item"))
		if errors.Is(err, errNotFound) {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		fmt.Fprintln(w, p)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w, __sp := __spanhttp.StartHandler(__sp, w, r, &__spantree_fns_main[2])
		defer __sp.Done()
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Handler: mux}
	__spantree.Handling(os.Interrupt, syscall.SIGTERM)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		__sp := __spantree.StartLit(__sp, &__spantree_fns_main[3])
		defer __sp.Done()
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	fmt.Println("listening on", l.Addr())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "server:", err)
	}
}

// price returns the price of item, with tax.
func price(ctx context.Context, item string) (int, error) {
	ctx, __sp := __spantree.StartContext(ctx, &__spantree_fns_main[4])
	defer __sp.Done()
	p, err := lookup(item)
	if err != nil {
		return 0, __sp.Err(fmt.Errorf("price of %q: %w", item, err))
	}
	return p + p/5, nil
}

func lookup(item string) (int, error) {
	__sp := __spantree.Start(&__spantree_fns_main[5])
	defer __sp.Done()
	p, ok := prices[item]
	if !ok {
		return 0, __sp.Err(errNotFound)
	}
	return p, nil
}

var __spantree_fns_main = [...]__spantree.Func{
	{Name: "main.main", Loc: "e2e/testdata/server/main.go:26", Kind: __spantree.KindMain},
	{Name: "main.main.HandleFunc(/price)", Loc: "e2e/testdata/server/main.go:35", Kind: __spantree.KindHandler},
	{Name: "main.main.HandleFunc(/healthz)", Loc: "e2e/testdata/server/main.go:45", Kind: __spantree.KindHandler},
	{Name: "main.main.go#1", Loc: "e2e/testdata/server/main.go:54"},
	{Name: "main.price", Loc: "e2e/testdata/server/main.go:67"},
	{Name: "main.lookup", Loc: "e2e/testdata/server/main.go:77"},
}
