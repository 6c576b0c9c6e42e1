package main

import (
	"context"
	"io"
	"log"
	"path/filepath"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

func TestParseRetain(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"14d", 14 * 24 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0", 0, true},
		{"0d", 0, false},
		{"-1d", 0, false},
		{"-3h", 0, false},
		{"10s", 0, false},
		{"d", 0, false},
		{"two weeks", 0, false},
	}
	for _, tt := range tests {
		got, err := parseRetain(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseRetain(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestRetainLoop: the background loop of serve deletes what is older than
// the retention by its clock (here a fixed one) and keeps the rest.
func TestRetainLoop(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(start time.Time) spantree.SpanData {
		return spantree.SpanData{TraceID: spantree.NewTraceID(start), SpanID: spantree.SpanID{1}, Name: "main.main",
			Start: start, End: start.Add(time.Millisecond), Status: spantree.StatusSucceeded}
	}
	ctx := context.Background()
	if _, err := st.Ingest(ctx, "acme", []spantree.Batch{{Spans: []spantree.SpanData{mk(now.Add(-15 * 24 * time.Hour)), mk(now.Add(-13 * 24 * time.Hour))}}}); err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		retain(lctx, st, 14*24*time.Hour, func() time.Time { return now }, log.New(io.Discard, "", 0))
	}()
	var list []store.TraceSummary
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if list, err = st.Traces(ctx, "acme", store.TraceQuery{}); err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			break
		}
	}
	cancel()
	<-done
	if len(list) != 1 || !list[0].Start.Equal(now.Add(-13*24*time.Hour)) {
		t.Errorf("after retention of 14d, traces %v; want only the one from 13 days before", list)
	}
}
