package spanhttp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
)

func init() {
	// Other test files may define -update too; one definition serves all.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// collector is an OTLP/HTTP backend double: it answers each request with the
// next of its scripted statuses (200 when they run out) and keeps the bodies
// it accepted.
type collector struct {
	mu       sync.Mutex
	statuses []int
	bodies   [][]byte
	headers  []http.Header
	calls    int
	answer   string // body of a 200
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in = zr
	}
	body, err := io.ReadAll(in)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	status := http.StatusOK
	if len(c.statuses) > 0 {
		status, c.statuses = c.statuses[0], c.statuses[1:]
	}
	if r.URL.Path != "/v1/traces" || r.Method != http.MethodPost {
		status = http.StatusNotFound
	}
	if status != http.StatusOK {
		http.Error(w, "scripted failure", status)
		return
	}
	c.bodies = append(c.bodies, body)
	c.headers = append(c.headers, r.Header.Clone())
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, c.answer)
}

func (c *collector) snapshot() (calls int, bodies [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, append([][]byte(nil), c.bodies...)
}

func mustID(t *testing.T, s string) spantree.SpanID {
	t.Helper()
	id, err := spantree.ParseSpanID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// sampleTrace has one span of every shape the OTLP mapping covers.
func sampleTrace(t *testing.T) *spantree.Trace {
	t.Helper()
	tid, err := spantree.ParseTraceID("0ujtsYcgvSTl8PAuAdqWYSMnLOv")
	if err != nil {
		t.Fatal(err)
	}
	other, err := spantree.ParseTraceID("0ujzPyRiIAffKhBux4PvQdDqMHY")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	root, child, failed, folded, running := mustID(t, "0102030405060708"), mustID(t, "1112131415161718"),
		mustID(t, "2122232425262728"), mustID(t, "3132333435363738"), mustID(t, "4142434445464748")
	return &spantree.Trace{ID: tid, Complete: true, Spans: []spantree.SpanData{
		{
			TraceID: tid, SpanID: root, Name: "main.main", Location: "cmd/app/main.go:12",
			Start: t0, End: ms(50), Status: spantree.StatusSucceeded, Level: spantree.LevelWarn,
			HandledErrors: []spantree.ErrorInfo{{Type: "*errors.errorString", Message: "retry <later> & \"soon\"", SpanID: failed}},
			Attrs:         map[string]any{"user": "ann", "n": 3, "ratio": 0.5, "ok": true, "tags": []string{"a", "b"}, "nested": map[string]any{"k": uint64(math.MaxUint64)}},
			Events:        []spantree.Event{{Time: ms(1), Level: spantree.LevelInfo, Msg: "starting", Attrs: map[string]any{"port": 8080}}},
			Links:         []spantree.Link{{TraceID: other, SpanID: child, Ref: "00-" + other.Hex() + "-1112131415161718-01"}, {TraceID: other}},
		},
		{
			TraceID: tid, SpanID: child, ParentID: root, Name: "main.work.Go#1", Location: "cmd/app/main.go:30",
			Start: ms(2), End: ms(20), Status: spantree.StatusSucceeded, Goroutine: true,
		},
		{
			TraceID: tid, SpanID: failed, ParentID: root, Name: "main.(*Client).fetch", Location: "cmd/app/client.go:7",
			Start: ms(21), End: ms(40), Status: spantree.StatusFailed, Level: spantree.LevelError,
			Error: &spantree.ErrorInfo{Type: "runtime.Error", Message: "index out of range", Panic: true, Stack: "goroutine 1 [running]:\nmain.fetch()"},
		},
		{
			TraceID: tid, SpanID: folded, ParentID: root, Name: "main.add", Location: "cmd/app/main.go:40",
			Start: ms(41), End: ms(42), Status: spantree.StatusSucceeded,
			Fold: &spantree.Fold{Count: 100, TotalNS: 5000, MinNS: 40, MaxNS: 90},
		},
		{
			TraceID: tid, SpanID: running, ParentID: root, Name: "main.loop", Location: "cmd/app/main.go:50",
			Start: ms(43), Status: spantree.StatusStarted,
		},
	}}
}

func newSink(t *testing.T, url string, opts spanhttp.OTLPOptions) *spanhttp.OTLP {
	t.Helper()
	if opts.Resource == nil {
		opts.Resource = map[string]string{"service": "app", "env": "test"}
	}
	s, err := spanhttp.NewOTLP(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("the sink sent invalid JSON: %v\n%s", err, b)
	}
	return append(out.Bytes(), '\n')
}

// TestOTLPRequestGolden pins the request body for a trace with every shape
// of span (go test -update rewrites testdata/otlp_request.json). The running
// span is held back until Flush, which sends it in a second request.
func TestOTLPRequestGolden(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	s := newSink(t, srv.URL, spanhttp.OTLPOptions{Header: http.Header{"X-Api-Key": {"k1"}}, Interval: time.Hour})
	if err := s.Export(context.Background(), sampleTrace(t)); err != nil {
		t.Fatal(err)
	}
	if calls, _ := c.snapshot(); calls != 0 {
		t.Fatalf("Export of a batch that is not full made %d requests; want 0 until Flush", calls)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, bodies := c.snapshot()
	if len(bodies) != 1 {
		t.Fatalf("Flush sent %d requests; want 1", len(bodies))
	}
	got := indent(t, bodies[0])
	// The running span's end is the flush time: blank it out.
	got = bytesReplaceRunningEnd(got)
	golden := filepath.Join("testdata", "otlp_request.json")
	if updating() {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("request body differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
	c.mu.Lock()
	h := c.headers[0]
	c.mu.Unlock()
	if h.Get("Content-Type") != "application/json" || h.Get("X-Api-Key") != "k1" {
		t.Errorf("request headers = %v; want Content-Type application/json and X-Api-Key k1", h)
	}
	if sent, dropped, _ := s.Stats(); sent != 5 || dropped != 0 {
		t.Errorf("Stats() = sent %d, dropped %d; want 5, 0", sent, dropped)
	}
}

// bytesReplaceRunningEnd blanks the endTimeUnixNano of the unfinished span
// (the only one whose end is not in 2026-11-25T10:00:00.0xx, Unix
// 17956008000xxxxxxxx ns).
func bytesReplaceRunningEnd(b []byte) []byte {
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.Contains(l, `"endTimeUnixNano"`) && !strings.Contains(l, `"17956008000`) {
			lines[i] = l[:strings.Index(l, `"endTimeUnixNano"`)] + `"endTimeUnixNano": "FLUSH TIME",`
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// TestOTLPPartialSuccess: spans a 2xx answer's partialSuccess rejects are
// counted as lost, with the backend's reason.
func TestOTLPPartialSuccess(t *testing.T) {
	c := &collector{answer: `{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}}`}
	srv := httptest.NewServer(c)
	defer srv.Close()
	s := newSink(t, srv.URL, spanhttp.OTLPOptions{})
	tr := sampleTrace(t)
	tr.Spans = tr.Spans[:4]
	s.Export(context.Background(), tr)
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sent, dropped, requests := s.Stats(); sent != 1 || dropped != 3 || requests != 1 {
		t.Errorf("Stats() = sent %d, dropped %d, requests %d; want 1, 3, 1", sent, dropped, requests)
	}
}

// TestOTLPBatching: a full batch goes at once, the rest after Interval.
func TestOTLPBatching(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	s := newSink(t, srv.URL, spanhttp.OTLPOptions{MaxBatch: 3, Interval: 300 * time.Millisecond})
	tr := sampleTrace(t)
	one := func(i int) *spantree.Trace {
		return &spantree.Trace{ID: tr.ID, Spans: tr.Spans[i : i+1]}
	}
	began := time.Now()
	for i := 0; i < 4; i++ {
		if err := s.Export(context.Background(), one(i)); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(want int64) time.Duration {
		for i := 0; i < 500; i++ {
			if sent, _, _ := s.Stats(); sent == want {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(began)
	}
	if took := wait(3); took >= 300*time.Millisecond {
		t.Errorf("the full batch of 3 was sent after %v; want at once, before Interval", took)
	}
	// The fourth span leaves when Interval has passed, with no Flush.
	if took := wait(4); took < 300*time.Millisecond {
		t.Errorf("the fourth span was sent after %v; want after Interval", took)
	}
	if calls, _ := c.snapshot(); calls != 2 {
		t.Fatalf("requests = %d; want 2 (a full batch, then the rest after Interval)", calls)
	}
}

func TestNewOTLPEndpoint(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{in: "http://127.0.0.1:4318"},
		{in: "https://otel.example.com"},
		{in: "http://collector:4318/custom/traces"},
		{in: "ftp://x", wantErr: true},
		{in: "http://", wantErr: true},
		{in: "127.0.0.1:4318", wantErr: true},
		{in: "http://[::1", wantErr: true},
	}
	for _, tt := range tests {
		_, err := spanhttp.NewOTLP(tt.in, spanhttp.OTLPOptions{})
		if (err != nil) != tt.wantErr {
			t.Errorf("NewOTLP(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
		}
	}
}

// TestOTLPOddValues: attribute values of every kind still give valid JSON.
func TestOTLPOddValues(t *testing.T) {
	type named string
	cyclic := []any{1}
	cyclic = append(cyclic, cyclic)
	var nilErr *os.PathError
	values := map[string]any{
		"nan": math.NaN(), "inf": math.Inf(1), "ninf": math.Inf(-1), "nil": nil, "named": named("x"),
		"bytes": []byte("b\x00"), "cyclic": cyclic, "err": errors.New("e\n\"q\""), "nilerr": error(nilErr),
		"dur": time.Second, "time": time.Unix(0, 0).UTC(), "ints": []int{1, 2}, "map": map[string]int{"a": 1},
		"struct": struct{ A int }{1}, "utf8": "\xff\u2028", "json": json.Number("12"), "float32": float32(1.5),
	}
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	s := newSink(t, srv.URL, spanhttp.OTLPOptions{})
	tr := sampleTrace(t)
	tr.Spans[0].Attrs = values
	tr.Spans[0].Events[0].Attrs = values
	if err := s.Export(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, bodies := c.snapshot()
	if len(bodies) != 1 || !json.Valid(bodies[0]) {
		t.Fatalf("bodies = %q; want one valid JSON request", bodies)
	}
}

// TestOTLPGzip: a compressed request carries the same body.
func TestOTLPGzip(t *testing.T) {
	var bodies [][]byte
	for _, gz := range []bool{false, true} {
		c := &collector{}
		srv := httptest.NewServer(c)
		s := newSink(t, srv.URL, spanhttp.OTLPOptions{Gzip: gz})
		tr := sampleTrace(t)
		tr.Spans = tr.Spans[:4] // no running span: nothing depends on the flush time
		if err := s.Export(context.Background(), tr); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(context.Background()); err != nil {
			t.Fatalf("gzip %v: Flush() = %v", gz, err)
		}
		srv.Close()
		_, b := c.snapshot()
		if len(b) != 1 {
			t.Fatalf("gzip %v: %d requests; want 1", gz, len(b))
		}
		c.mu.Lock()
		enc := c.headers[0].Get("Content-Encoding")
		c.mu.Unlock()
		if want := map[bool]string{true: "gzip"}[gz]; enc != want {
			t.Errorf("gzip %v: Content-Encoding = %q; want %q", gz, enc, want)
		}
		bodies = append(bodies, b[0])
	}
	if !bytes.Equal(bodies[0], bodies[1]) {
		t.Errorf("gzip body decompresses to\n%s\nwant\n%s", bodies[1], bodies[0])
	}
}
