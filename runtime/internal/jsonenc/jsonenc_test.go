package jsonenc

import (
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

func TestAppendHex8(t *testing.T) {
	ids := [][8]byte{
		{},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef},
		{0x9a, 0x0f, 0xf0, 0x09, 0x90, 0xa9, 0x5a, 0xa5},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		var id [8]byte
		for i := range id {
			id[i] = byte(r.Uint32())
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		got := string(AppendHex8([]byte("x"), id))
		if want := "x" + hex.EncodeToString(id[:]); got != want {
			t.Fatalf("AppendHex8(%x) = %q, want %q", id, got, want)
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `a"b\c`, "<tag>&", "tab\tnl\nret\r", "\x00\x1f", "é日本", "bad\xffutf8", "\u2028\u2029"} {
		got := AppendString(nil, s)
		want, _ := json.Marshal(s)
		if string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func BenchmarkAppendHex8(b *testing.B) {
	buf := make([]byte, 0, 64)
	id := [8]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	for range b.N {
		buf = AppendHex8(buf[:0], id)
	}
}
