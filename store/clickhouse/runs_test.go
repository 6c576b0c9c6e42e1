package clickhouse_test

import (
	"context"
	"flag"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/clickhouse"
	"github.com/spantree/spantree/store/clickhouse/chtest"
)

// TestRunSettle: on ClickHouse a trace is numbered once its root has been
// stored for run_settle, not before (docs/receiver.md#run-numbers); until
// then it has no number, and the search by number does not find it.
func TestRunSettle(t *testing.T) {
	srv := chtest.Start(t)
	st := openFresh(t, srv, "run_settle=3s")
	t0 := time.Now().Add(-time.Minute)
	tr := spantree.TraceIDFromW3C([16]byte{0x60, 1}, t0)
	root := spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{1}, Name: "main", Location: "main.go:1",
		Start: t0, End: t0.Add(time.Millisecond), Status: spantree.StatusSucceeded}
	before := time.Now()
	if _, err := st.Ingest(context.Background(), "acme", []spantree.Batch{{Tags: map[string]string{"service": "shop"}, Spans: []spantree.SpanData{root}}}); err != nil {
		t.Fatal(err)
	}
	stored := time.Now() // the root's time in run_roots is between before and this
	run := func() (listed, found int64, n int) {
		t.Helper()
		list, err := st.Traces(context.Background(), "acme", store.TraceQuery{})
		if err != nil || len(list) != 1 {
			t.Fatalf("Traces = %v, %v; want the trace", list, err)
		}
		byRun, err := st.Traces(context.Background(), "acme", store.TraceQuery{Run: 1})
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.Trace(context.Background(), "acme", tr)
		if err != nil {
			t.Fatal(err)
		}
		return list[0].Run, got.Run, len(byRun)
	}
	if listed, found, n := run(); time.Since(before) < 3*time.Second && (listed != 0 || found != 0 || n != 0) {
		t.Errorf("before run_settle: run %d listed, %d in the trace, %d traces of run 1; want none", listed, found, n)
	}
	time.Sleep(time.Until(stored.Add(3 * time.Second)))
	if listed, found, n := run(); listed != 1 || found != 1 || n != 1 {
		t.Errorf("after run_settle: run %d listed, %d in the trace, %d traces of run 1; want 1, 1, 1", listed, found, n)
	}
}

// TestParseRunSettle: the run_settle option, its default and its bounds.
func TestParseRunSettle(t *testing.T) {
	for _, tt := range []struct {
		url  string
		want time.Duration
		bad  bool
	}{
		{url: "clickhouse://h:9000/db", want: clickhouse.DefaultRunSettle},
		{url: "clickhouse://h:9000/db?run_settle=0s", want: 0},
		{url: "clickhouse://h:9000/db?run_settle=30s", want: 30 * time.Second},
		{url: "clickhouse://h:9000/db?run_settle=-1s", bad: true},
		{url: "clickhouse://h:9000/db?run_settle=2h", bad: true},
		{url: "clickhouse://h:9000/db?run_settle=soon", bad: true},
	} {
		c, err := clickhouse.ParseURL(tt.url)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseURL(%q) = %v; want an error", tt.url, c.RunSettle)
			}
			continue
		}
		if err != nil || c.RunSettle != tt.want {
			t.Errorf("ParseURL(%q) = %v, %v; want %v", tt.url, c.RunSettle, err, tt.want)
		}
		if again, err := clickhouse.ParseURL(c.String()); err != nil || again.RunSettle != tt.want {
			t.Errorf("ParseURL(%q) = %v, %v; want %v", c.String(), again.RunSettle, err, tt.want)
		}
	}
}

var benchRunTraces = flag.Int("run-traces", 20000, "traces of one run key that BenchmarkRunRanks stores first")

// BenchmarkRunRanks is the cost of computing run numbers when reading: a
// list of 100 traces and the search by number, over -run-traces traces of
// one run key (ClickHouse ranks a trace among its key's when it is read).
func BenchmarkRunRanks(b *testing.B) {
	srv := chtest.Start(b)
	st, err := clickhouse.Open(context.Background(), srv.URL("bench_runs", "run_settle=0s"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now().Add(-time.Hour)
	const perBatch = 1000
	for lo := 0; lo < *benchRunTraces; lo += perBatch {
		var spans []spantree.SpanData
		for i := lo; i < min(lo+perBatch, *benchRunTraces); i++ {
			tr := spantree.TraceIDFromW3C([16]byte{0x61, byte(i >> 16), byte(i >> 8), byte(i)}, t0)
			start := t0.Add(time.Duration(i) * time.Millisecond)
			spans = append(spans, spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{1}, Name: "main", Location: "main.go:1",
				Start: start, End: start.Add(time.Millisecond), Status: spantree.StatusSucceeded})
		}
		if _, err := st.Ingest(context.Background(), "acme", []spantree.Batch{{Tags: map[string]string{"service": "shop"}, Spans: spans}}); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []struct {
		name string
		q    store.TraceQuery
	}{
		{"list", store.TraceQuery{Limit: 100}},
		{"search", store.TraceQuery{Run: int64(*benchRunTraces / 2)}},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				list, err := st.Traces(context.Background(), "acme", q.q)
				if err != nil || len(list) == 0 || list[0].Run == 0 {
					b.Fatalf("Traces = %d traces, %v; want numbered ones", len(list), err)
				}
			}
		})
	}
}
