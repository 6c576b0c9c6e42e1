package spantree

import (
	"testing"
)

func TestValidTracestate(t *testing.T) {
	long := "k=" + string(make([]byte, 0))
	for len(long) <= 512 {
		long += "x"
	}
	tests := []struct{ in, want string }{
		{"", ""},
		{"congo=t61rcWkgMzE", "congo=t61rcWkgMzE"},
		{" rojo=00f067aa0ba902b7,congo=t61rcWkgMzE ", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"},
		{"novalue", ""},
		{"=x", ""},
		{"k=\x01", ""},
		{"k=é", ""},
		{long, ""},
		{",,,", ""},
	}
	for _, tt := range tests {
		if got := validTracestate(tt.in); got != tt.want {
			t.Errorf("validTracestate(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
