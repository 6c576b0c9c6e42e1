package spantree

import (
	"testing"
	"time"
)

// TestEncoderTime checks the encoder's timestamps against time.RFC3339Nano
// across seconds, fractions with trailing zeros, zones and odd years, with
// one Encoder reused so that its cached second is exercised.
func TestEncoderTime(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	times := []time.Time{
		time.Date(2026, 12, 2, 7, 15, 57, 0, time.UTC),
		time.Date(2026, 12, 2, 7, 15, 57, 1, time.UTC),
		time.Date(2026, 12, 2, 7, 15, 57, 120000000, time.UTC),
		time.Date(2026, 12, 2, 7, 15, 57, 999999999, time.UTC),
		time.Date(2026, 12, 2, 7, 15, 58, 500, cet),
		time.Date(2026, 12, 2, 7, 15, 58, 500, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 10, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 10, time.UTC),
		time.Now(),
		time.Now().Add(time.Hour),
	}
	var e Encoder
	for _, tm := range times {
		want := tm.UTC().Format(time.RFC3339Nano)
		if got := string(e.appendTime(nil, tm)); got != want {
			t.Errorf("appendTime(%v) = %s; want %s", tm, got, want)
		}
	}
}

// TestEncoderTraces checks that an Encoder writes each span's own trace id
// when consecutive spans belong to different traces.
func TestEncoderTraces(t *testing.T) {
	now := time.Now()
	spans := []SpanData{
		{TraceID: NewTraceID(now), Name: "a", Start: now},
		{TraceID: NewTraceID(now), Name: "b", Start: now},
	}
	var e Encoder
	for i := range spans {
		if got, want := string(e.AppendSpan(nil, &spans[i])), string(spans[i].AppendJSON(nil)); got != want {
			t.Errorf("AppendSpan(span %d) = %s; want %s", i, got, want)
		}
		want := `{"trace_id":"` + spans[i].TraceID.String() + `"`
		if got := string(e.AppendSpan(nil, &spans[i])); got[:len(want)] != want {
			t.Errorf("AppendSpan(span %d) = %s; want it to start with %s", i, got, want)
		}
	}
}
