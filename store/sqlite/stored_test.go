package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
)

// storedSpans are spans whose stored form must read back as they were:
// with and without a parent, running, failed, and with strings that look
// like the keys storedData cuts out.
func storedSpans() map[string]spantree.SpanData {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	tr := spantree.NewTraceID(t0)
	base := spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, ParentID: spantree.SpanID{9},
		Name: "pkg.(*T).Method", Location: "pkg/t.go:42", Start: t0, End: t0.Add(1500 * time.Microsecond), Status: spantree.StatusSucceeded}
	with := func(f func(*spantree.SpanData)) spantree.SpanData {
		s := base
		f(&s)
		return s
	}
	return map[string]spantree.SpanData{
		"plain": base,
		"root":  with(func(s *spantree.SpanData) { s.ParentID = spantree.SpanID{} }),
		"running": with(func(s *spantree.SpanData) {
			s.End, s.Status = time.Time{}, spantree.StatusStarted
		}),
		"failed": with(func(s *spantree.SpanData) {
			s.Status = spantree.StatusFailed
			s.Error = &spantree.ErrorInfo{Type: "*fs.PathError", Message: `open x: "status":"failed"`, Stack: "main.main()"}
		}),
		"keys in strings": with(func(s *spantree.SpanData) {
			s.Name = `a,"name":"","status":"succeeded"`
			s.Location = `,"span_id":"0000000000000000"`
			s.Attrs = map[string]any{`,"name":"",`: `,"status":"started"`, "n": 3.5}
			s.Level = spantree.LevelWarn
		}),
		"everything else": with(func(s *spantree.SpanData) {
			s.Events = []spantree.Event{{Time: t0.Add(time.Microsecond), Level: spantree.LevelInfo, Msg: "hi", Attrs: map[string]any{"k": "v"}}}
			s.Links = []spantree.Link{{TraceID: tr, SpanID: spantree.SpanID{7}, Ref: "r"}}
			s.HandledErrors = []spantree.ErrorInfo{{Type: "e", Message: "m", SpanID: spantree.SpanID{3}}}
			s.Goroutine, s.Kind = true, spantree.KindServer
			s.Fold = &spantree.Fold{Count: 40, TotalNS: 4000, MinNS: 50, MaxNS: 200}
		}),
	}
}

// TestStoredData: a span's data column, in the form storedData writes and
// in the whole wire JSON that rows written before it hold, reads back with
// its columns (rowCols.fill) as the span that was stored.
func TestStoredData(t *testing.T) {
	var enc spantree.Encoder
	for name, want := range storedSpans() {
		t.Run(name, func(t *testing.T) {
			r := rowCols{name: want.Name, location: want.Location, start: want.Start.UnixNano(), failed: want.Status == spantree.StatusFailed}
			if want.Status != spantree.StatusStarted {
				r.dur = sql.NullInt64{Int64: int64(want.Duration()), Valid: true}
			}
			_, short := storedData(&enc, nil, nil, &want)
			full := enc.AppendSpan(nil, &want)
			if len(short) >= len(full) {
				t.Errorf("stored form is %d bytes, the wire JSON %d; want it shorter:\n%s", len(short), len(full), short)
			}
			for form, data := range map[string][]byte{"stored": short, "wire JSON": full} {
				var got spantree.SpanData
				if err := json.Unmarshal(data, &got); err != nil {
					t.Fatalf("%s form %s: %v", form, data, err)
				}
				got.SpanID = want.SpanID // the span column
				r.fill(&got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s form %s read back (-want +got):\n%s", form, data, diff)
				}
			}
		})
	}
}

// TestStoredRoundTrip stores the spans through Ingest, each in a trace of
// its own, and reads them back through Trace as they were sent.
func TestStoredRoundTrip(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for name, want := range storedSpans() {
		t.Run(name, func(t *testing.T) {
			want.TraceID = spantree.NewTraceID(want.Start)
			want.Service = "s" // the batch's, filled in by Trace
			if _, err := st.Ingest(ctx, "ns", []spantree.Batch{{Tags: map[string]string{"service": "s"}, Spans: []spantree.SpanData{want}}}); err != nil {
				t.Fatal(err)
			}
			tr, err := st.Trace(ctx, "ns", want.TraceID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]spantree.SpanData{want}, tr.Spans); diff != "" {
				t.Errorf("Trace(%s).Spans (-want +got):\n%s", name, diff)
			}
		})
	}
}
