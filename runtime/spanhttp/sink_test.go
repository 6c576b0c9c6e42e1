package spanhttp

import (
	"compress/gzip"
	"context"
	"encoding/json"
	spantree "github.com/spantree/spantree/runtime"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func sinkTrace(n int, name string) *spantree.Trace {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tr := &spantree.Trace{ID: spantree.NewTraceID(t0), Complete: true}
	for i := range n {
		tr.Spans = append(tr.Spans, spantree.SpanData{TraceID: tr.ID, SpanID: spantree.SpanID{byte(i + 1)}, Name: name,
			Start: t0, End: t0.Add(time.Millisecond), Status: spantree.StatusSucceeded})
	}
	return tr
}

// receiver is a fake receiver answering the given statuses in turn (the
// last one forever), recording the batches it accepted.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	requests int
	spans    int
	keys     []string
	tags     map[string]string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	status := rc.statuses[min(rc.requests, len(rc.statuses)-1)]
	rc.requests++
	rc.keys = append(rc.keys, r.Header.Get("X-API-Key"))
	if status != http.StatusAccepted {
		w.WriteHeader(status)
		w.Write([]byte(`{"error":"no"}`))
		return
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil || r.Header.Get("Content-Encoding") != "gzip" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var b spantree.Batch
	if err := json.NewDecoder(zr).Decode(&b); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.spans += len(b.Spans)
	rc.tags = b.Tags
	w.WriteHeader(http.StatusAccepted)
}

func TestHTTPSinkRetries(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		wantRequests int
		wantSpans    int
		wantDropped  int64
	}{
		{"accepted", []int{202}, 1, 30, 0},
		{"5xx then accepted", []int{503, 500, 202}, 3, 30, 0},
		{"4xx is not retried", []int{401}, 1, 0, 30},
		{"5xx until it gives up", []int{503}, httpAttempts, 0, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &receiver{statuses: tt.statuses}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			s, err := NewHTTP(srv.URL, "stk_test")
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				s.Export(context.Background(), sinkTrace(3, "pkg.F"))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.Flush(ctx); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if rc.requests != tt.wantRequests || rc.spans != tt.wantSpans || s.dropped.Load() != tt.wantDropped {
				t.Errorf("requests, spans, dropped = %d, %d, %d; want %d, %d, %d",
					rc.requests, rc.spans, s.dropped.Load(), tt.wantRequests, tt.wantSpans, tt.wantDropped)
			}
			if rc.keys[0] != "stk_test" {
				t.Errorf("X-API-Key = %q; want stk_test", rc.keys[0])
			}
			if tt.wantSpans > 0 && rc.tags["service"] == "" {
				t.Errorf("batch tags = %v; want a service tag", rc.tags)
			}
		})
	}
}

// TestHTTPSinkDownReceiver: with nothing listening, Flush still returns by
// its deadline and the spans are counted as dropped.
func TestHTTPSinkDownReceiver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, err := NewHTTP("http://"+addr, "")
	if err != nil {
		t.Fatal(err)
	}
	s.Export(context.Background(), sinkTrace(5, "pkg.F"))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	s.Flush(ctx)
	// The sender gives up at the deadline; wait for it to count the loss.
	for i := 0; s.dropped.Load() == 0 && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.dropped.Load(); got != 5 {
		t.Errorf("dropped = %d; want 5", got)
	}
}

// TestHTTPSinkSlowReceiver: a receiver that never answers does not block
// Export; past the buffer bound traces are dropped and counted.
func TestHTTPSinkSlowReceiver(t *testing.T) {
	release := make(chan struct{})
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		<-release
	}))
	defer srv.Close()
	defer close(release)
	s, err := NewHTTP(srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	big := sinkTrace(16, strings.Repeat("x", 1000))
	exports := 2 * maxPending / (16 * 1000)
	for range exports {
		s.Export(context.Background(), big) // returns at once: the test would time out otherwise
	}
	if s.dropped.Load() == 0 {
		t.Errorf("dropped = 0 after %d exports of %d bytes each to a stuck receiver; want drops", exports, 16*1000)
	}
	s.mu.Lock()
	buffered := s.bytes
	s.mu.Unlock()
	if buffered > maxPending+httpBatchBytes {
		t.Errorf("buffered %d bytes; want at most about %d", buffered, maxPending)
	}
}
