package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
)

// metricLines returns the lines of a Prometheus text answer that start
// with one of prefixes, without comments.
func metricLines(body string, prefixes ...string) []string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, server.Options{})
	folded := span(1, 4, 1, "shop.parse", 10*time.Millisecond, 8*time.Millisecond, false)
	folded.Fold = &spantree.Fold{Count: 40, TotalNS: int64(40 * time.Millisecond), MinNS: int64(time.Millisecond), MaxNS: int64(2 * time.Millisecond)}
	running := span(1, 5, 1, "shop.wait", 0, 0, false)
	running.Status, running.End = spantree.StatusStarted, time.Time{}
	e.ingest(map[string]string{"service": "shop"},
		span(1, 1, 0, "shop.Checkout", 0, 300*time.Millisecond, true),
		span(1, 2, 1, "shop.charge", 0, 20*time.Millisecond, true),
		span(1, 3, 1, "shop.charge", 30*time.Millisecond, 2*time.Millisecond, false),
		folded, running)

	for _, tc := range []struct {
		name string
		hdr  []string
	}{
		{"X-API-Key", []string{"X-API-Key", e.key}},
		{"bearer", []string{"Authorization", "Bearer " + e.key}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do("GET", "/metrics", "", nil, tc.hdr...)
			if status != http.StatusOK {
				t.Fatalf("GET /metrics: %d %s", status, body)
			}
			want := []string{
				`spantree_span_calls_total{app="shop",name="shop.Checkout"} 1`,
				`spantree_span_calls_total{app="shop",name="shop.charge"} 2`,
				`spantree_span_calls_total{app="shop",name="shop.parse"} 40`,
				`spantree_span_duration_seconds_bucket{app="shop",name="shop.charge",le="0.001"} 0`,
				`spantree_span_duration_seconds_bucket{app="shop",name="shop.charge",le="0.0025"} 1`,
				`spantree_span_duration_seconds_bucket{app="shop",name="shop.charge",le="0.025"} 2`,
				`spantree_span_duration_seconds_count{app="shop",name="shop.parse"} 40`,
				`spantree_span_failures_total{app="shop",name="shop.Checkout"} 1`,
				`spantree_span_failures_total{app="shop",name="shop.charge"} 1`,
				`spantree_span_failures_total{app="shop",name="shop.parse"} 0`,
			}
			got := metricLines(body, "spantree_span_calls_total", "spantree_span_failures_total",
				`spantree_span_duration_seconds_bucket{app="shop",name="shop.charge",le="0.001"}`,
				`spantree_span_duration_seconds_bucket{app="shop",name="shop.charge",le="0.0025"}`,
				`spantree_span_duration_seconds_bucket{app="shop",name="shop.charge",le="0.025"}`,
				`spantree_span_duration_seconds_count{app="shop",name="shop.parse"}`)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("metrics (-want +got):\n%s\n%s", diff, body)
			}
			if strings.Contains(body, "shop.wait") {
				t.Errorf("a running span is counted:\n%s", body)
			}
		})
	}

	t.Run("no key: the receiver's own", func(t *testing.T) {
		status, body := e.do("GET", "/metrics", "", nil)
		if status != http.StatusOK {
			t.Fatalf("GET /metrics: %d %s", status, body)
		}
		for _, want := range []string{"spantree_receiver_spans_total 5", "spantree_receiver_batches_total 1", "go_goroutines"} {
			if !strings.Contains(body, want) {
				t.Errorf("own metrics lack %q", want)
			}
		}
		if strings.Contains(body, "spantree_span_calls_total") {
			t.Errorf("own metrics show a namespace's series")
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		if status, body := e.do("GET", "/metrics", "", nil, "Authorization", "Bearer nope"); status != http.StatusUnauthorized {
			t.Errorf("GET /metrics with a wrong key: %d %s; want 401", status, body)
		}
	})
}

func TestStatus(t *testing.T) {
	e := newEnv(t, server.Options{})
	now := time.Now().UTC().Add(-time.Minute)
	ok := span(1, 1, 0, "calm.Run", 0, time.Millisecond, false)
	bad := span(2, 1, 0, "shop.Checkout", 0, time.Millisecond, true)
	for _, d := range []*spantree.SpanData{&ok, &bad} {
		d.Start, d.End = now, now.Add(time.Millisecond)
	}
	e.ingest(map[string]string{"service": "calm"}, ok)
	e.ingest(map[string]string{"service": "shop"}, bad)
	status, body := e.do("GET", "/v1/status", e.key, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /v1/status: %d %s", status, body)
	}
	var got store.StatusReport
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := []store.AppStatus{
		{App: "calm", Status: "OK", Reason: "OK: 1 trace, 0 failed"},
		{App: "shop", Status: "WARN", Reason: "WARN: 1 error group nobody judged"},
	}
	if got.Status != "WARN" {
		t.Errorf("status = %q; want WARN (the worst app's)", got.Status)
	}
	if diff := cmp.Diff(want, got.Apps); diff != "" {
		t.Errorf("apps (-want +got):\n%s", diff)
	}
}
