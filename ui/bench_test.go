package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// The benchmark database: benchTraces traces of benchSpans spans (one
// million in all), over benchNames span names, all inside the dashboard's
// last hour. Built once per `go test -bench` run (about a minute) and removed
// by TestMain.
const (
	benchTraces = 10_000
	benchSpans  = 100
	benchNames  = 50
)

var bench struct {
	once sync.Once
	dir  string
	path string
	ids  []string // trace ids, 32 hex
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchDB returns the path of the million-span database. Setting
// SPANTREE_BENCH_DB=PATH keeps it at PATH across runs (its span times age,
// so rebuild it after an hour: the dashboard counts the last hour only).
func benchDB(b *testing.B) string {
	bench.once.Do(func() {
		if p := os.Getenv("SPANTREE_BENCH_DB"); p != "" {
			bench.path = p
			if _, err := os.Stat(p); err == nil {
				bench.err = loadIDs(p)
				return
			}
			bench.err = fillDB(p)
			return
		}
		bench.dir, bench.err = os.MkdirTemp("", "spantree-ui-bench-")
		if bench.err != nil {
			return
		}
		bench.path = filepath.Join(bench.dir, "spans.db")
		bench.err = fillDB(bench.path)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path
}

// loadIDs reads the trace ids of a kept benchmark database.
func loadIDs(path string) error {
	st, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Traces(context.Background(), "bench", store.TraceQuery{Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	for _, t := range list {
		bench.ids = append(bench.ids, t.Hex)
	}
	return nil
}

// fillDB ingests benchTraces traces: a root with benchSpans-1 descendants
// three levels deep, one in ten traces failing.
func fillDB(path string) error {
	st, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Now()
	const perBatch = 100
	for t0 := 0; t0 < benchTraces; t0 += perBatch {
		batch := spantree.Batch{Tags: map[string]string{"service": "bench"}}
		for t := t0; t < t0+perBatch; t++ {
			start := now.Add(-50 * time.Minute).Add(time.Duration(t) * 250 * time.Millisecond)
			id := spantree.NewTraceID(start)
			bench.ids = append(bench.ids, id.Hex())
			for s := range benchSpans {
				sp := spantree.SpanData{
					TraceID: id, SpanID: spantree.SpanID{byte(t >> 16), byte(t >> 8), byte(t), 0, 0, 0, byte(s >> 8), byte(s) + 1},
					Name:     fmt.Sprintf("bench.F%02d", (t+s)%benchNames),
					Location: fmt.Sprintf("bench/f.go:%d", 10+(t+s)%benchNames),
					Start:    start.Add(time.Duration(s) * time.Millisecond),
					End:      start.Add(time.Duration(s)*time.Millisecond + time.Duration(100+s)*time.Microsecond),
					Status:   spantree.StatusSucceeded,
				}
				if s > 0 {
					// Parents: 1..9 under the root, the rest under those.
					parent := 0
					if s >= 10 {
						parent = 1 + s%9
					}
					sp.ParentID = spantree.SpanID{byte(t >> 16), byte(t >> 8), byte(t), 0, 0, 0, byte(parent >> 8), byte(parent) + 1}
				}
				if s == 0 {
					sp.End = start.Add(time.Duration(benchSpans+1) * time.Millisecond)
				}
				if t%10 == 0 && s == benchSpans-1 {
					sp.Status = spantree.StatusFailed
					sp.Error = &spantree.ErrorInfo{Type: "*errors.errorString", Message: "boom"}
				}
				batch.Spans = append(batch.Spans, sp)
			}
		}
		if _, err := st.Ingest(ctx, "bench", []spantree.Batch{batch}); err != nil {
			return fmt.Errorf("ingest traces %d..: %w", t0, err)
		}
	}
	return nil
}

// BenchmarkDashboard measures `spantree ui -db` from start to a drawn
// dashboard over a million stored spans: the store's dashboard query through
// server.Local, the model update and the view.
func BenchmarkDashboard(b *testing.B) {
	path := benchDB(b)
	conn, closeDB, err := openDB(context.Background(), path, "")
	if err != nil {
		b.Fatal(err)
	}
	defer closeDB()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m := newModel(Config{Since: time.Hour, Slow: 100 * time.Millisecond, Limit: 100}, nil, conn, time.Now)
		m = drive(m, []tea.Msg{tea.WindowSizeMsg{Width: 120, Height: 40}}, nil)
		m = driveCmd(m, m.Init())
		if len(m.dash.rows) != benchNames {
			b.Fatalf("dashboard has %d rows; want %d (status %q)", len(m.dash.rows), benchNames, m.flash)
		}
		_ = m.View()
	}
}

// BenchmarkOpenTrace measures finding a trace by id among a million stored
// spans and drawing it: the store's lookup through server.Local, building
// the tree and the view.
func BenchmarkOpenTrace(b *testing.B) {
	path := benchDB(b)
	conn, closeDB, err := openDB(context.Background(), path, "")
	if err != nil {
		b.Fatal(err)
	}
	defer closeDB()
	m := newModel(Config{Since: time.Hour, Slow: 100 * time.Millisecond, Limit: 100}, conn.open("bench"), nil, time.Now)
	m = drive(m, []tea.Msg{tea.WindowSizeMsg{Width: 120, Height: 40}}, nil)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		id := bench.ids[i*7919%len(bench.ids)]
		i++
		next, cmd := m.openTrace(id)
		next = driveCmd(next, cmd)
		if len(next.tree.nodes) != benchSpans {
			b.Fatalf("trace %s has %d spans; want %d (status %q)", id, len(next.tree.nodes), benchSpans, next.flash)
		}
		_ = next.View()
	}
}

// BenchmarkAPI measures the receiver's analyses over the million stored
// spans through the HTTP API in process (server.Local): GET /v1/slow and
// GET /v1/health with their default window of a day, GET /v1/dashboard
// with the UI's hour.
func BenchmarkAPI(b *testing.B) {
	path := benchDB(b)
	st, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c := client.NewHandler(server.Local(st, "bench"))
	ctx := context.Background()
	b.Run("slow", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list, err := c.Slow(ctx, 24*time.Hour)
			if err != nil || len(list) != benchNames {
				b.Fatalf("Slow: %d spans, %v; want %d", len(list), err, benchNames)
			}
		}
	})
	b.Run("health", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h, err := c.Health(ctx, 24*time.Hour)
			if err != nil || len(h.Apps) != 1 || h.Apps[0].Traces == 0 {
				b.Fatalf("Health: %+v, %v; want one app with traces", h, err)
			}
		}
	})
	b.Run("dashboard", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := c.Dashboard(ctx, time.Hour)
			if err != nil || len(rows) != benchNames {
				b.Fatalf("Dashboard: %d rows, %v; want %d", len(rows), err, benchNames)
			}
		}
	})
}

// BenchmarkBigTrace measures building and drawing one trace of 100,000
// spans (no store): the tree cost alone.
func BenchmarkBigTrace(b *testing.B) {
	const n = 100_000
	id := spantree.NewTraceID(testNow)
	tr := &store.Trace{TraceID: id, Hex: id.Hex(), Spans: make([]spantree.SpanData, n)}
	for s := range n {
		sp := &tr.Spans[s]
		*sp = spantree.SpanData{TraceID: id, SpanID: spantree.SpanID{0, 0, 0, 0, 0, byte(s >> 16), byte(s >> 8), byte(s) + 1},
			Name: "big.F", Start: testNow.Add(time.Duration(s) * time.Microsecond), End: testNow.Add(time.Duration(s+1) * time.Microsecond),
			Status: spantree.StatusSucceeded}
		if s > 0 {
			p := (s - 1) / 10
			sp.ParentID = spantree.SpanID{0, 0, 0, 0, 0, byte(p >> 16), byte(p >> 8), byte(p) + 1}
		}
	}
	m := started(newFake(), 120, 40)
	b.ReportAllocs()
	for b.Loop() {
		m2 := m
		m2.tree = traceView{id: tr.TraceID.String(), level: spantree.LevelInfo}
		m2.screens = []screen{screenDashboard, screenTrace}
		next, _ := m2.Update(traceMsg{id: tr.TraceID.String(), trace: tr})
		_ = next.(model).View()
		if got := len(next.(model).tree.nodes); got != n {
			b.Fatalf("tree has %d nodes; want %d", got, n)
		}
	}
}
