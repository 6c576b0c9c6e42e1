package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.10.0", "1.9.0", 1},
		{"v1.2", "1.2", 0},
		{"1.2", "1.2.1", -1},
		{"2.0.0", "2.0.0-rc1", 1},
		{"2.0.0-rc2", "2.0.0-rc1", 1},
		{"", "1.0", -1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

const stack = `goroutine 7 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
github.com/spantree/spantree/runtime.(*span).end(0xc000120000, {0x0, 0x0})
	/src/runtime/span.go:40 +0x1d
example.com/shop/orders.(*Store).Load(0xc00001c0a0, {0x5a5f20, 0xc000014090}, 0x2a)
	/src/orders/store.go:31 +0x65
fmt.Errorf({0x4f1a2b, 0x9}, {0x0, 0x0, 0x0})
	/usr/local/go/src/fmt/errors.go:22 +0x2a
main.main.func1()
	/src/main.go:12 +0x25
created by main.main in goroutine 1
	/src/main.go:10 +0x1d
`

func TestStackFunctions(t *testing.T) {
	want := []string{"example.com/shop/orders.(*Store).Load", "main.main.func1"}
	if diff := cmp.Diff(want, StackFunctions(stack)); diff != "" {
		t.Errorf("StackFunctions (-want +got):\n%s", diff)
	}
}

// TestFingerprint: line numbers and messages do not change the group; the
// error type, the span and the in-app functions do.
func TestFingerprint(t *testing.T) {
	base := Fingerprint("orders.Load", &spantree.ErrorInfo{Type: "*errors.errorString", Message: "order 42", Stack: stack})
	same := []*spantree.ErrorInfo{
		{Type: "*errors.errorString", Message: "order 43", Stack: stack},
		{Type: "*errors.errorString", Message: "order 42", Stack: replaceLines(stack)},
	}
	for _, e := range same {
		if got := Fingerprint("orders.Load", e); got != base {
			t.Errorf("Fingerprint(%q, line-shifted or other message) = %s; want %s", e.Message, got, base)
		}
	}
	other := map[string]string{
		"type": Fingerprint("orders.Load", &spantree.ErrorInfo{Type: "*fs.PathError", Stack: stack}),
		"span": Fingerprint("orders.Save", &spantree.ErrorInfo{Type: "*errors.errorString", Stack: stack}),
		"fns":  Fingerprint("orders.Load", &spantree.ErrorInfo{Type: "*errors.errorString"}),
	}
	for what, fp := range other {
		if fp == base {
			t.Errorf("Fingerprint with another %s = %s; want a different group", what, fp)
		}
	}
}

func replaceLines(s string) string {
	out := []byte(s)
	for i := range out {
		if out[i] >= '0' && out[i] <= '9' && i > 0 && out[i-1] == ':' {
			out[i] = '9'
		}
	}
	return string(out)
}
