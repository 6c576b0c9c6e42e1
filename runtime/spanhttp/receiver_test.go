package spanhttp

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// Test doubles of the exporter's tests: a receiver that reads both sinks'
// requests and answers as scripted, and a capture of the sinks' warnings.

func sinkTrace(n int, name string) *spantree.Trace {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tr := &spantree.Trace{ID: spantree.NewTraceID(t0), Complete: true}
	for i := range n {
		tr.Spans = append(tr.Spans, spantree.SpanData{TraceID: tr.ID, SpanID: spantree.SpanID{byte(i + 1)}, Name: name,
			Start: t0, End: t0.Add(time.Millisecond), Status: spantree.StatusSucceeded})
	}
	return tr
}

// fakeReceiver answers each request as script says, given the request's
// number (0 first) and the names of the spans it carries; it counts the
// spans of the requests it answered 2xx. It reads both sinks' bodies.
type fakeReceiver struct {
	script func(i int, names []string, w http.ResponseWriter, r *http.Request)

	mu       sync.Mutex
	requests int
	spans    int
	at       []time.Time // when each request came
	header   http.Header // of the first request
}

func (f *fakeReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in = zr
	}
	body, _ := io.ReadAll(in)
	names, err := spanNames(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	i := f.requests
	f.requests++
	f.at = append(f.at, time.Now())
	if f.header == nil {
		f.header = r.Header.Clone()
	}
	f.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	f.script(i, names, rec, r)
	if rec.status/100 == 2 && !rec.hijacked && r.Context().Err() == nil {
		f.mu.Lock()
		f.spans += len(names)
		f.mu.Unlock()
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.hijacked = true
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// spanNames reads the span names of an http sink or an OTLP request.
func spanNames(body []byte) ([]string, error) {
	type span struct {
		Name string `json:"name"`
	}
	var req struct {
		Spans         []span `json:"spans"`
		ResourceSpans []struct {
			ScopeSpans []struct {
				Spans []span `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	spans := req.Spans
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			spans = append(spans, ss.Spans...)
		}
	}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	return names, nil
}

// answers scripts a receiver that answers the given statuses in turn, then
// 200 (202 is what the receiver says; both are 2xx).
func answers(statuses ...int) func(int, []string, http.ResponseWriter, *http.Request) {
	return func(i int, _ []string, w http.ResponseWriter, _ *http.Request) {
		if i < len(statuses) {
			http.Error(w, `{"error":"scripted"}`, statuses[i])
		}
	}
}

// captureWarnings makes exp's warnings go to the returned function's
// answer rather than stderr.
func captureWarnings(exp *exporter) func() []string {
	var mu sync.Mutex
	var lines []string
	exp.warn = func(format string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
}
