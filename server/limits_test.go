package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spantree/spantree/server"
)

// TestFieldLimits: times the store cannot hold and fields over the limits
// of package wire get 400 naming the field, on both ingest endpoints.
func TestFieldLimits(t *testing.T) {
	e := newEnv(t, server.Options{})
	wireSpan := func(name, start, end string) string {
		return `{"spans":[{"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"0000000000000001","name":"` + name +
			`","start":"` + start + `","end":"` + end + `","status":"succeeded"}]}`
	}
	otlpSpan := func(name, start, end string) string {
		return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"` + name +
			`","startTimeUnixNano":"` + start + `","endTimeUnixNano":"` + end + `"}]}]}]}`
	}
	long := strings.Repeat("n", 2000)
	tests := []struct {
		name, path, body string
		want             string // in the error message
	}{
		{"year 1000", "/v1/spans", wireSpan("a", "1000-01-01T00:00:00Z", "2026-01-01T00:00:00Z"), "spans[0].start: 1000-01-01T00:00:00Z outside 1970-01-01T00:00:00Z..2262-04-11T23:47:16.854775807Z"},
		{"year 2500", "/v1/spans", wireSpan("a", "2026-01-01T00:00:00Z", "2500-01-01T00:00:00Z"), "spans[0].end: 2500"},
		{"year 9000", "/v1/spans", wireSpan("a", "9000-01-01T00:00:00Z", "9000-01-01T00:00:01Z"), "spans[0].start: 9000"},
		{"long name", "/v1/spans", wireSpan(long, "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"), "spans[0].name: 2000 bytes, at most 1024"},
		{"otlp 2^64-1", "/v1/traces", otlpSpan("a", "18446744073709551615", "18446744073709551615"), "resourceSpans[0].spans[0].startTimeUnixNano"},
		{"otlp end 2^63", "/v1/traces", otlpSpan("a", "1764064800000000000", "9223372036854775808"), "resourceSpans[0].spans[0].endTimeUnixNano"},
		{"otlp long name", "/v1/traces", otlpSpan(long, "1764064800000000000", "1764064801000000000"), "resourceSpans[0].spans[0].name: 2000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.do("POST", tt.path, e.key, []byte(tt.body), "Content-Type", "application/json")
			var got struct {
				Error   string
				Message string
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("answer %q is not JSON: %v", body, err)
			}
			msg := got.Error + got.Message
			if status != 400 || !strings.Contains(msg, tt.want) {
				t.Errorf("POST %s = %d %q; want 400 with %q", tt.path, status, msg, tt.want)
			}
		})
	}
}
