package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/spantree/spantree/query"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// BenchmarkSearch is a trace list page (100 traces) under the query
// language, over 10,000 traces of 10 spans: one trace in 100 has a failed
// span of the service pay ("i/o timeout"), the others succeed (shop). A
// selective query reads traces newest first until it has its page, so its
// cost follows how rare its matches are.
func BenchmarkSearch(b *testing.B) {
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour)
	const traces, per = 10000, 10
	for lo := 0; lo < traces; lo += 100 {
		var shop, pay []spantree.SpanData
		for i := lo; i < lo+100; i++ {
			spans := benchSpans(per, t0.Add(time.Duration(i)*time.Millisecond))
			if i%100 == 7 {
				last := &spans[per-1]
				last.Status, last.Error = spantree.StatusFailed, &spantree.ErrorInfo{Type: "*net.OpError", Message: "dial tcp: i/o timeout"}
				pay = append(pay, *last)
				spans = spans[:per-1]
			}
			shop = append(shop, spans...)
		}
		if _, err := st.Ingest(ctx, "ns", []spantree.Batch{
			{Tags: map[string]string{"service": "shop"}, Spans: shop}, {Tags: map[string]string{"service": "pay"}, Spans: pay}}); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{"", "app:shop", "status:failed", "service:pay status:failed", "error:~TIMEOUT", "-status:failed", "name:pkg.F3 duration>3µs", "tag.service:pay"} {
		e, err := query.Parse(q)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("q=%s", q), func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				list, err := st.Traces(ctx, "ns", store.TraceQuery{Where: e, Limit: 100})
				if err != nil {
					b.Fatal(err)
				}
				n = len(list)
			}
			b.ReportMetric(float64(n), "traces")
		})
	}
}
