package spanhttp

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// testPolicy retries quickly, so that the table runs in seconds.
var testPolicy = retryPolicy{min: 10 * time.Millisecond, max: 40 * time.Millisecond, attempt: 2 * time.Second, elapsed: 3 * time.Second}

// sinkKinds opens each network sink on url, with its exporter, which the
// table drives through the sink's own Export and Flush.
var sinkKinds = []struct {
	name string
	open func(t *testing.T, url string) (spantree.Sink, *exporter)
}{
	{"http", func(t *testing.T, url string) (spantree.Sink, *exporter) {
		s, err := NewHTTP(url, "stk_test")
		if err != nil {
			t.Fatal(err)
		}
		return s, s.exp
	}},
	{"otlp", func(t *testing.T, url string) (spantree.Sink, *exporter) {
		s, err := NewOTLP(url, OTLPOptions{Resource: map[string]string{"service": "app"}, Gzip: true})
		if err != nil {
			t.Fatal(err)
		}
		return s, s.exp
	}},
}

// TestExporterFaults: whatever the receiver does, Flush returns by its
// deadline; 429, 5xx and network errors are retried (after Retry-After when
// one is given), 413 splits the batch, other 4xx are final, and every span
// is either delivered or counted as lost with its reason. The same table runs
// against both sinks: they share one exporter.
func TestExporterFaults(t *testing.T) {
	tests := []struct {
		name         string
		spans        int
		huge         int // of the spans, how many are named "huge"
		script       func(int, []string, http.ResponseWriter, *http.Request)
		flush        time.Duration // Flush's deadline
		wantRequests int           // 0: not checked
		wantSpans    int
		wantLost     int64
		wantWhy      string        // in the loss summary
		wantGap      time.Duration // at least this between the first two requests
	}{
		{name: "accepted", spans: 30, script: answers(), wantRequests: 1, wantSpans: 30},
		{name: "429 with Retry-After", spans: 30, script: func(i int, _ []string, w http.ResponseWriter, _ *http.Request) {
			if i == 0 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "slow down", http.StatusTooManyRequests)
			}
		}, wantRequests: 2, wantSpans: 30, wantGap: 900 * time.Millisecond},
		{name: "503 with Retry-After as a date", spans: 30, script: func(i int, _ []string, w http.ResponseWriter, _ *http.Request) {
			if i == 0 {
				w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
				http.Error(w, "overloaded", http.StatusServiceUnavailable)
			}
		}, wantRequests: 2, wantSpans: 30, wantGap: 900 * time.Millisecond},
		{name: "5xx then accepted", spans: 30, script: answers(503, 500, 502), wantRequests: 4, wantSpans: 30},
		{name: "5xx until the deadline", spans: 30, script: answers(500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500),
			flush: 500 * time.Millisecond, wantLost: 30, wantWhy: "receiver failing: 500 Internal Server Error: scripted"},
		{name: "Retry-After past the deadline", spans: 30, script: func(i int, _ []string, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "30")
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		}, flush: 500 * time.Millisecond, wantRequests: 1, wantLost: 30, wantWhy: "asked to retry after 30s"},
		{name: "401 is final", spans: 30, script: answers(401), wantRequests: 1, wantLost: 30, wantWhy: "refused: 401 Unauthorized: scripted"},
		{name: "400 is final", spans: 30, script: answers(400), wantRequests: 1, wantLost: 30, wantWhy: "refused: 400 Bad Request"},
		{name: "413 splits until each half fits", spans: 10, script: func(_ int, names []string, w http.ResponseWriter, _ *http.Request) {
			if len(names) > 3 {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			}
		}, wantRequests: 7, wantSpans: 10}, // 10, 5, 2, 3, 5, 2, 3
		{name: "413 drops a span too large alone", spans: 4, huge: 1, script: func(_ int, names []string, w http.ResponseWriter, _ *http.Request) {
			for _, n := range names {
				if n == "huge" {
					http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				}
			}
		}, wantRequests: 5, wantSpans: 3, wantLost: 1, wantWhy: "too large for the receiver even alone"}, // 4, 2 (huge), 1 (huge), 1, 2
		{name: "413 to everything costs a bounded number of requests", spans: 64, script: answers(413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413, 413),
			wantRequests: 18, wantLost: 64, wantWhy: "64 spans lost (too large for the receiver even alone)"}, // 64, 32, 16, 8, 4, 2, 1, 1, 2, 1, 1, 4, 2, 1, 1, 2, 1, 1: 8 alone, the rest untried
		{name: "connection closed, then accepted", spans: 30, script: func(i int, _ []string, w http.ResponseWriter, _ *http.Request) {
			if i == 0 {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
			}
		}, wantRequests: 2, wantSpans: 30},
		{name: "hangs", spans: 30, script: func(_ int, _ []string, w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, flush: time.Second, wantRequests: 1, wantLost: 30, wantWhy: "receiver unreachable: no answer within "},
	}
	for _, kind := range sinkKinds {
		for _, tt := range tests {
			t.Run(kind.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				f := &fakeReceiver{script: tt.script}
				srv := httptest.NewServer(f)
				defer srv.Close()
				s, exp := kind.open(t, srv.URL)
				exp.policy = testPolicy
				said := captureWarnings(exp)
				tr := sinkTrace(tt.spans, "pkg.F")
				for i := range tt.huge {
					tr.Spans[i].Name = "huge"
				}
				if err := s.Export(context.Background(), tr); err != nil {
					t.Fatalf("Export: %v", err)
				}
				deadline := tt.flush
				if deadline == 0 {
					deadline = 10 * time.Second
				}
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				defer cancel()
				began := time.Now()
				if err := s.Flush(ctx); err != nil {
					t.Errorf("Flush: %v", err)
				}
				if took := time.Since(began); took > deadline {
					t.Errorf("Flush took %v; want at most its deadline %v", took, deadline)
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				if tt.wantRequests != 0 && f.requests != tt.wantRequests {
					t.Errorf("requests = %d; want %d", f.requests, tt.wantRequests)
				}
				if f.spans != tt.wantSpans || exp.sent.Load() != int64(tt.wantSpans) {
					t.Errorf("spans received, counted sent = %d, %d; want %d", f.spans, exp.sent.Load(), tt.wantSpans)
				}
				if got := exp.lost.load(); got != tt.wantLost {
					t.Errorf("spans lost = %d; want %d", got, tt.wantLost)
				}
				lines := said()
				switch {
				case tt.wantLost == 0 && len(lines) != 0:
					t.Errorf("the sink said %q; want nothing when nothing was lost", lines)
				case tt.wantLost != 0 && (len(lines) != 1 || !strings.Contains(lines[0], tt.wantWhy)):
					t.Errorf("the sink said %q; want one line that contains %q", lines, tt.wantWhy)
				}
				if tt.wantGap > 0 && len(f.at) >= 2 {
					if gap := f.at[1].Sub(f.at[0]); gap < tt.wantGap {
						t.Errorf("second request %v after the first; want at least %v (Retry-After)", gap, tt.wantGap)
					}
				}
			})
		}
	}
}

// TestExporterDownReceiver: with nothing listening, Flush returns by its
// deadline and every span is counted as lost, with the network error.
func TestExporterDownReceiver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, kind := range sinkKinds {
		t.Run(kind.name, func(t *testing.T) {
			s, exp := kind.open(t, "http://"+addr)
			exp.policy = testPolicy
			said := captureWarnings(exp)
			s.Export(context.Background(), sinkTrace(5, "pkg.F"))
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			s.Flush(ctx)
			if ctx.Err() != nil {
				t.Errorf("Flush returned after its deadline")
			}
			if got := exp.lost.load(); got != 5 {
				t.Errorf("lost = %d; want 5", got)
			}
			lines := said()
			want := "sink http://" + addr + exp.ep.url[len("http://"+addr):] + ": 5 spans lost (receiver unreachable: dial tcp " + addr
			if len(lines) != 1 || !strings.HasPrefix(lines[0], want) || !strings.Contains(lines[0], "refused") {
				t.Errorf("the sink said %q; want one line starting %q that names the refused connection", lines, want)
			}
		})
	}
}

// TestExporterBoundedBuffer: a receiver that never answers does not block
// Export; past the buffer bound spans are dropped and counted.
func TestExporterBoundedBuffer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	for _, kind := range sinkKinds {
		t.Run(kind.name, func(t *testing.T) {
			s, exp := kind.open(t, srv.URL)
			said := captureWarnings(exp)
			big := sinkTrace(16, strings.Repeat("x", 1000))
			exports := 2 * maxPending / (16 * 1000)
			for range exports {
				s.Export(context.Background(), big) // returns at once: the test would time out otherwise
			}
			if exp.lost.load() == 0 {
				t.Errorf("lost = 0 after %d exports of %d bytes each to a stuck receiver; want drops", exports, 16*1000)
			}
			exp.mu.Lock()
			buffered := exp.bytes
			exp.mu.Unlock()
			if buffered > maxPending+batchBytes {
				t.Errorf("buffered %d bytes; want at most about %d", buffered, maxPending)
			}
			if lines := said(); len(lines) != 1 || !strings.Contains(lines[0], "losing spans: buffer full") {
				t.Errorf("the sink said %q; want one line at the first loss, saying the buffer is full", lines)
			}
		})
	}
}

// TestHTTPSinkRequest: the http sink's request carries the key, gzip and
// the process's tags.
func TestHTTPSinkRequest(t *testing.T) {
	var got bytes.Buffer
	f := &fakeReceiver{script: func(_ int, _ []string, w http.ResponseWriter, r *http.Request) {}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Errorf("body is not gzip: %v", err)
			return
		}
		io.Copy(&got, zr)
		f.header = r.Header.Clone()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s, err := NewHTTP(srv.URL+"/", "stk_test")
	if err != nil {
		t.Fatal(err)
	}
	s.Export(context.Background(), sinkTrace(3, "pkg.F"))
	s.Flush(context.Background())
	var b spantree.Batch
	if err := json.Unmarshal(got.Bytes(), &b); err != nil {
		t.Fatalf("body %q: %v", got.Bytes(), err)
	}
	if len(b.Spans) != 3 || b.Tags["service"] == "" {
		t.Errorf("batch = %d spans, tags %v; want 3 spans and a service tag", len(b.Spans), b.Tags)
	}
	if k := f.header.Get("X-API-Key"); k != "stk_test" {
		t.Errorf("X-API-Key = %q; want stk_test", k)
	}
}

// TestExporterFullBatchAtOnce: a batch that the last span of an Export
// fills goes at once, without waiting for the interval or another span; a
// batch of spans all left out (running OTLP spans) sends nothing.
func TestExporterFullBatchAtOnce(t *testing.T) {
	f := &fakeReceiver{script: answers()}
	srv := httptest.NewServer(f)
	defer srv.Close()
	s, err := NewOTLP(srv.URL, OTLPOptions{MaxBatch: 4, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	running := sinkTrace(3, "pkg.Running")
	for i := range running.Spans {
		running.Spans[i].Status = spantree.StatusStarted
		running.Spans[i].End = time.Time{}
	}
	s.Export(context.Background(), running) // held back: nothing to send
	s.Export(context.Background(), sinkTrace(4, "pkg.F"))
	for i := 0; i < 200 && s.exp.sent.Load() < 4; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests != 1 || f.spans != 4 {
		t.Errorf("requests, spans = %d, %d; want 1, 4 (the full batch, at once)", f.requests, f.spans)
	}
}

func TestBatchSplit(t *testing.T) {
	var b batch
	for _, s := range []string{`{"a":1}`, `{"b":22}`, `{"c":333}`} {
		if len(b.ends) > 0 {
			b.b = append(b.b, ',')
		}
		b.b = append(b.b, s...)
		b.ends = append(b.ends, len(b.b))
	}
	first, rest := b.split(1)
	if string(first.b) != `{"a":1}` || len(first.ends) != 1 {
		t.Errorf("first = %q %v; want {\"a\":1}", first.b, first.ends)
	}
	if string(rest.b) != `{"b":22},{"c":333}` || len(rest.ends) != 2 || rest.ends[0] != 8 || rest.ends[1] != len(rest.b) {
		t.Errorf("rest = %q %v; want {\"b\":22},{\"c\":333} [8 18]", rest.b, rest.ends)
	}
	a, c := rest.split(1)
	if string(a.b) != `{"b":22}` || string(c.b) != `{"c":333}` {
		t.Errorf("rest.split(1) = %q, %q", a.b, c.b)
	}
}
