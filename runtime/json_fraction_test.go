package spantree

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendUnixNano checks the json time format against time.RFC3339Nano
// on round values (trailing zeros) and random ones.
func TestAppendUnixNano(t *testing.T) {
	base := time.Date(2026, 12, 2, 18, 4, 5, 0, time.UTC).UnixNano()
	ns := []int64{0, 1, 9, 10, 100, 1e3, 1e6, 1e8, 2e8, 999999999, 123456789, 100000001, 120000000, 123450000, 99990000, 10000000}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		ns = append(ns, r.Int64N(1e9))
	}
	var e Encoder
	for _, frac := range ns {
		for _, sec := range []int64{0, 1, 86400 * 365} {
			v := base + sec*1e9 + frac
			got := string(e.appendUnixNano([]byte("x"), v))
			want := "x" + time.Unix(0, v).UTC().Format(time.RFC3339Nano)
			if got != want {
				t.Fatalf("appendUnixNano(%d) = %q, want %q", v, got, want)
			}
		}
	}
}
