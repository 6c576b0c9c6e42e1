// Command client is the e2e test's caller, written as spangen -w leaves it:
// it asks the server (its first argument, http://HOST:PORT) for the price of
// an apple and of a durian, which the server does not sell, and checks its
// health with http.Get. Every request carries the W3C traceparent of the
// span making it, with no code written for that.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

import __spantree "github.com/spantree/spantree/runtime"
import _ "github.com/spantree/spantree/runtime/spanhttp"

func main() {
	__sp := __spantree.Start(&__spantree_fns_main[0])
	defer __sp.Done()
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: client http://HOST:PORT")
		os.Exit(__spantree.Exiting(2))
	}
	run(context.Background(), os.Args[1])
}

func run(ctx context.Context, base string) {
	ctx, __sp := __spantree.StartContext(ctx, &__spantree_fns_main[1])
	defer __sp.Done()
	for _, item := range []string{"apple", "durian"} {
		body, err := fetch(ctx, base+"/price?item="+item)
		if err != nil {
			fmt.Println(item+":", err)
			continue
		}
		fmt.Println(item+":", body)
	}
	if err := health(base); err != nil {
		fmt.Println("health:", err)
	}
}

func fetch(ctx context.Context, url string) (string, error) {
	ctx, __sp := __spantree.StartContext(ctx, &__spantree_fns_main[2])
	defer __sp.Done()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", __sp.Err(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", __sp.Err(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", __sp.Err(err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", __sp.Err(fmt.Errorf("GET %s: %s", url, resp.Status))
	}
	return strings.TrimSpace(string(b)), nil
}

func health(base string) error {
	__sp := __spantree.Start(&__spantree_fns_main[3])
	defer __sp.Done()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		return __sp.Err(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return __sp.Err(fmt.Errorf("healthz: %s", resp.Status))
	}
	return nil
}

var __spantree_fns_main = [...]__spantree.Func{
	{Name: "main.main", Loc: "e2e/testdata/client/main.go:20", Kind: __spantree.KindMain},
	{Name: "main.run", Loc: "e2e/testdata/client/main.go:30"},
	{Name: "main.fetch", Loc: "e2e/testdata/client/main.go:46"},
	{Name: "main.health", Loc: "e2e/testdata/client/main.go:68"},
}
