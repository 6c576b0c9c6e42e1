// Package jsonenc appends JSON strings and hex to byte slices without
// reflection: the encoders of the runtime's wire format (package spantree)
// and of its OTLP/JSON sink (spanhttp) share it.
package jsonenc

import (
	"encoding/binary"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// plain marks the bytes a JSON string holds as they are: printable ASCII
// other than the quote, the backslash and the HTML-sensitive <, > and &.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendHex appends src as lower-case hex.
func AppendHex(b, src []byte) []byte {
	n := len(b)
	b = append(b, make([]byte, 2*len(src))...) // grows without a second copy
	dst := b[n:]
	for i, c := range src {
		dst[2*i], dst[2*i+1] = hexDigits[c>>4], hexDigits[c&0xf]
	}
	return b
}

// AppendHex8 appends the 8 bytes of id as 16 lower-case hex characters.
func AppendHex8(b []byte, id [8]byte) []byte {
	var h [16]byte
	PutHex8(h[:], id)
	return append(b, h[:]...)
}

// PutHex8 writes the 8 bytes of id as 16 lower-case hex characters to
// dst[:16]. It converts eight digits at a time in a 64-bit word (one nibble
// per byte, then each nibble to its digit), about twenty instructions where a
// table look-up per byte takes fifty.
func PutHex8(dst []byte, id [8]byte) {
	_ = dst[15]
	x := binary.BigEndian.Uint64(id[:])
	binary.BigEndian.PutUint64(dst[0:8], hexWord(uint32(x>>32)))
	binary.BigEndian.PutUint64(dst[8:16], hexWord(uint32(x)))
}

// hexWord returns the eight hex digits of x, most significant first when
// stored big-endian.
func hexWord(x uint32) uint64 {
	// Spread the nibbles of x over the bytes of v, the first nibble in the
	// most significant byte.
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
	// Bytes over 9 get 'a'-10 instead of '0': adding 6 carries into bit 4
	// exactly for them.
	letters := ((v + 0x0606060606060606) >> 4) & 0x0101010101010101
	return v + 0x3030303030303030 + letters*('a'-'0'-10)
}

// appendString appends s as a JSON string, escaping as encoding/json does
// (including <, > and & for HTML safety, and invalid UTF-8 as U+FFFD).
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	// Most strings (names, locations, ids) need no escape at all: one
	// table look-up per byte finds out.
	i := 0
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
