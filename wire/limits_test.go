package wire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
)

// spanWith returns the JSON of a valid span with the fields of over
// replaced or added.
func spanWith(t *testing.T, over map[string]any) string {
	t.Helper()
	m := map[string]any{
		"trace_id": "2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J", "span_id": "0000000000000002",
		"name": "main.load", "location": "main.go:20", "status": "succeeded",
		"start": "2026-11-25T10:00:00.1Z", "end": "2026-11-25T10:00:00.5Z",
	}
	for k, v := range over {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func attrs(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[strings.Repeat("k", 1+i%3)+string(rune('a'+i%26))+strings.Repeat("x", i/26)] = i
	}
	return m
}

func events(n int, e map[string]any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = e
	}
	return out
}

func TestLimits(t *testing.T) {
	ev := map[string]any{"time": "2026-11-25T10:00:00.2Z", "msg": "hi"}
	tests := []struct {
		name string
		over map[string]any
		want string // the FieldError's field; "" when accepted
	}{
		{"name at the limit", map[string]any{"name": strings.Repeat("n", MaxNameLen)}, ""},
		{"name over", map[string]any{"name": strings.Repeat("n", MaxNameLen+1)}, "spans[1].name"},
		{"location over", map[string]any{"location": strings.Repeat("l", MaxNameLen+1)}, "spans[1].location"},
		{"attr value at the limit", map[string]any{"attrs": map[string]any{"v": strings.Repeat("v", MaxValueLen-2)}}, ""},
		{"attr value over", map[string]any{"attrs": map[string]any{"v": strings.Repeat("v", MaxValueLen)}}, `spans[1].attrs["v"]`},
		{"nested attr value over", map[string]any{"attrs": map[string]any{"obj": map[string]any{"a": []any{strings.Repeat("v", MaxValueLen)}}}}, `spans[1].attrs["obj"]`},
		{"attr key over", map[string]any{"attrs": map[string]any{strings.Repeat("k", MaxAttrKeyLen+1): 1}}, `spans[1].attrs["` + strings.Repeat("k", 40) + `"]`},
		{"attrs at the limit", map[string]any{"attrs": attrs(MaxAttrs)}, ""},
		{"too many attrs", map[string]any{"attrs": attrs(MaxAttrs + 1)}, "spans[1].attrs"},
		{"events at the limit", map[string]any{"events": events(MaxEvents, ev)}, ""},
		{"too many events", map[string]any{"events": events(MaxEvents+1, ev)}, "spans[1].events"},
		{"event msg over", map[string]any{"events": events(1, map[string]any{"time": "2026-11-25T10:00:00.2Z", "msg": strings.Repeat("m", MaxValueLen+1)})}, "spans[1].events[0].msg"},
		{"event attrs over", map[string]any{"events": events(1, map[string]any{"time": "2026-11-25T10:00:00.2Z", "attrs": attrs(MaxAttrs + 1)})}, "spans[1].events[0].attrs"},
		{"event time in 2500", map[string]any{"events": events(1, map[string]any{"time": "2500-01-01T00:00:00Z"})}, "spans[1].events[0].time"},
		{"stack at the limit", map[string]any{"status": "failed", "error": map[string]any{"type": "t", "stack": strings.Repeat("s", MaxStackLen)}}, ""},
		{"stack over", map[string]any{"status": "failed", "error": map[string]any{"type": "t", "stack": strings.Repeat("s", MaxStackLen+1)}}, "spans[1].error.stack"},
		{"error message over", map[string]any{"status": "failed", "error": map[string]any{"message": strings.Repeat("m", MaxValueLen+1)}}, "spans[1].error.message"},
		{"handled error stack over", map[string]any{"handled_errors": []any{map[string]any{"stack": strings.Repeat("s", MaxStackLen+1)}}}, "spans[1].handled_errors[0].stack"},
		{"year 1000", map[string]any{"start": "1000-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "spans[1].start"},
		{"1969", map[string]any{"start": "1969-12-31T23:59:59Z"}, "spans[1].start"},
		{"epoch", map[string]any{"start": "1970-01-01T00:00:00Z"}, ""},
		{"last nanosecond", map[string]any{"end": "2262-04-11T23:47:16.854775807Z"}, ""},
		{"end in 2262 past int64", map[string]any{"end": "2262-04-11T23:47:16.854775808Z"}, "spans[1].end"},
		{"end in 9000", map[string]any{"end": "9000-01-01T00:00:00Z"}, "spans[1].end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"spans":[` + spanWith(t, nil) + `,` + spanWith(t, tt.over) + `]}`
			_, err := DecodeBatch([]byte(body))
			got := ""
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v is not a FieldError", err)
				}
				got = fe.Field
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("field of the error (-want +got):\n%s\nerror: %.300v", diff, err)
			}
		})
	}
}

func TestCheckOTLPLimits(t *testing.T) {
	tid, err := spantree.ParseTraceID("2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	good := func() spantree.SpanData {
		return spantree.SpanData{TraceID: tid, SpanID: spantree.SpanID{0, 0, 0, 0, 0, 0, 0, 1}, Name: "a", Start: start, End: start.Add(time.Second), Status: spantree.StatusSucceeded}
	}
	tests := []struct {
		name   string
		change func(*spantree.SpanData)
		want   string
	}{
		{"valid", func(*spantree.SpanData) {}, ""},
		{"start overflowed to before 1970", func(d *spantree.SpanData) { d.Start = time.Unix(0, -1) }, "resourceSpans[0].spans[0].startTimeUnixNano"},
		{"end overflowed", func(d *spantree.SpanData) { d.End = time.Unix(0, -1) }, "resourceSpans[0].spans[0].endTimeUnixNano"},
		{"name over", func(d *spantree.SpanData) { d.Name = strings.Repeat("n", MaxNameLen+1) }, "resourceSpans[0].spans[0].name"},
		{"attribute over", func(d *spantree.SpanData) { d.Attrs = map[string]any{"k": strings.Repeat("v", MaxValueLen)} }, `resourceSpans[0].spans[0].attributes["k"]`},
		{"event time", func(d *spantree.SpanData) { d.Events = []spantree.Event{{Time: time.Unix(0, -5)}} }, "resourceSpans[0].spans[0].events[0].timeUnixNano"},
		{"event attributes", func(d *spantree.SpanData) { d.Events = []spantree.Event{{Time: start, Attrs: attrs(MaxAttrs + 1)}} }, "resourceSpans[0].spans[0].events[0].attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good()
			tt.change(&d)
			err := CheckOTLP([]spantree.Batch{{Spans: []spantree.SpanData{d}}})
			got := ""
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v is not a FieldError", err)
				}
				got = fe.Field
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("field of the error (-want +got):\n%s\nerror: %.300v", diff, err)
			}
		})
	}
}
