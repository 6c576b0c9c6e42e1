package spanhttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
)

// benchTrace is a trace of n finished spans with a few attributes.
func benchTrace(n int) *spantree.Trace {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tr := &spantree.Trace{ID: spantree.NewTraceID(t0), Complete: true}
	for i := range n {
		tr.Spans = append(tr.Spans, spantree.SpanData{TraceID: tr.ID, SpanID: spantree.SpanID{byte(i + 1), 7}, ParentID: spantree.SpanID{1, 7},
			Name: "shop.(*Store).Get", Location: "shop/store.go:42", Start: t0, End: t0.Add(time.Millisecond),
			Status: spantree.StatusSucceeded, Attrs: map[string]any{"http.request.method": "GET", "n": i}})
	}
	return tr
}

// BenchmarkExport is the cost to the runtime's exporter goroutine of handing
// a 20-span trace to each network sink, sending included (a receiver on
// loopback that accepts everything), per trace.
func BenchmarkExport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	sinks := map[string]func() spantree.Sink{
		"http": func() spantree.Sink { s, _ := spanhttp.NewHTTP(srv.URL, "k"); return s },
		"otlp": func() spantree.Sink { s, _ := spanhttp.NewOTLP(srv.URL, spanhttp.OTLPOptions{Gzip: true}); return s },
	}
	tr := benchTrace(20)
	for _, name := range []string{"http", "otlp"} {
		b.Run(name, func(b *testing.B) {
			s := sinks[name]()
			b.ReportAllocs()
			for range b.N {
				s.Export(context.Background(), tr)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s.Flush(ctx)
		})
	}
}
