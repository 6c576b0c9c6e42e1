package wire

import (
	"strings"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
)

// BenchmarkLinesSpan reads a json sink's file of 1000 spans, as spantree
// ingest does.
func BenchmarkLinesSpan(b *testing.B) {
	file := strings.Repeat(spanB+"\n", 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		l := NewLines(strings.NewReader(file))
		for l.Scan() {
			var d spantree.SpanData
			if _, err := l.Span(&d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDecodeSpan is the decoding alone, for comparison with the
// reading of whole lines.
func BenchmarkDecodeSpan(b *testing.B) {
	raw := []byte(spanB)
	b.ReportAllocs()
	for b.Loop() {
		var d spantree.SpanData
		if err := DecodeSpan(raw, &d, "line 1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBatch is a body of POST /v1/spans of 200 spans, decoded
// and checked.
func BenchmarkDecodeBatch(b *testing.B) {
	body := []byte(`{"tags":{"service":"api"},"spans":[` + strings.TrimSuffix(strings.Repeat(seedSpan+",", 200), ",") + `]}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeBatch(body); err != nil {
			b.Fatal(err)
		}
	}
}
