package ui

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"
)

func TestStackLines(t *testing.T) {
	stack := "goroutine 7 [running]:\n" +
		"runtime/debug.Stack()\n\t/usr/local/go/src/runtime/debug/stack.go:26 +0x5e\n" +
		"github.com/spantree/spantree/runtime.Span.Done(...)\n\t/x/runtime/api.go:150 +0x1\n" +
		"shop/db.Connect(...)\n\tshop/db/db.go:31 +0x1d\n" +
		"net/http.HandlerFunc.ServeHTTP(...)\n\t/usr/local/go/src/net/http/server.go:2220 +0x29\n" +
		"main.(*app).run(...)\n\t/src/main.go:9 +0x2\n" +
		"created by net/http.(*Server).Serve in goroutine 1\n\t/usr/local/go/src/net/http/server.go:3454 +0x485\n"
	var got []string
	for _, l := range stackLines(stack) {
		got = append(got, ansi.Strip(l))
	}
	want := []string{
		"goroutine 7 [running]:",
		"… 2 frames of the standard library and the runtime",
		"shop/db.Connect(...)", "\tshop/db/db.go:31 +0x1d",
		"… 1 frame of the standard library and the runtime",
		"main.(*app).run(...)", "\t/src/main.go:9 +0x2",
		"… 1 frame of the standard library and the runtime",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stackLines (-want +got):\n%s", diff)
	}
}
