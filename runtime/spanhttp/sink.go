package spanhttp

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/internal/diag"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// HTTP is the http(s):// sink: it sends spans to the receiver's
// POST /v1/spans (docs/architecture.md), many traces per request, gzip-compressed, with
// the API key in X-API-Key and the process's tags ([Tags]).
//
// Its contract with the traced program: Export only encodes the spans into a
// buffer and returns; one goroutine of the sink sends. The buffer is bounded
// (maxPending bytes): when the receiver is down or slow and it is full, new
// traces are dropped and counted, never waited for. A request that fails
// with a network error or a 5xx is retried with exponential backoff (100ms
// doubling to 5s, at most httpAttempts attempts, each with a 10s timeout);
// a 4xx (a bad key, a rejected batch) is not retried. Spans that could not
// be sent are counted; the first loss is reported on stderr with its
// reason, and the total when the program flushes at exit. Flush sends
// what is buffered and returns by ctx's deadline, however the receiver
// behaves.
type HTTP struct {
	url  string
	key  string
	tags []byte // spantree.JSON object, encoded on first send
	hc   *http.Client

	mu     sync.Mutex
	chunks []chunk // encoded spans, each chunk one request at most
	bytes  int     // in chunks
	spans  int     // in chunks

	kick    chan struct{}      // something to send
	flushes chan chan struct{} // flush requests; closed when done
	wake    chan struct{}      // interrupts a backoff sleep
	flushBy atomic.Int64       // unix ns deadline of a waiting spantree.Flush, or 0

	dropped  atomic.Int64 // spans lost: buffer full, or not accepted
	reported atomic.Int64 // dropped count last said on stderr
	sent     atomic.Int64 // spans acknowledged by the receiver
}

var _ spantree.Sink = (*HTTP)(nil)

// chunk is the comma-separated JSON of n spans.
type chunk struct {
	b []byte
	n int
}

// Tuning of the http sink; see [HTTP].
const (
	httpBatchBytes = 1 << 20  // send once this much is buffered
	maxPending     = 16 << 20 // buffer bound; beyond, traces are dropped
	httpInterval   = time.Second
	httpAttempts   = 5
	httpTimeout    = 10 * time.Second
	backoffMin     = 100 * time.Millisecond
	backoffMax     = 5 * time.Second
)

// NewHTTP returns an http sink posting to the receiver at base
// (http(s)://HOST[:PORT][/PREFIX]) with key as X-API-Key. It starts the
// sink's sender goroutine, which lives as long as the process.
func NewHTTP(base, key string) (*HTTP, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("http sink: %q is not an http(s)://HOST[:PORT] URL", base)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2
	s := &HTTP{
		url:     strings.TrimRight(base, "/") + "/v1/spans",
		key:     key,
		hc:      &http.Client{Transport: tr, Timeout: httpTimeout},
		kick:    make(chan struct{}, 1),
		flushes: make(chan chan struct{}, 16),
		wake:    make(chan struct{}, 1),
	}
	go s.run()
	return s, nil
}

func newHTTPSink(url string, cfg spantree.Config) (spantree.Sink, error) {
	return NewHTTP(url, cfg.APIKey)
}

// Export encodes t's spans into the buffer, or drops them when it is full.
func (s *HTTP) Export(_ context.Context, t *spantree.Trace) error {
	if len(t.Spans) == 0 {
		return nil
	}
	s.mu.Lock()
	if s.bytes >= maxPending {
		s.mu.Unlock()
		s.drop(len(t.Spans), "buffer full (receiver down or slow)")
		return nil
	}
	for i := range t.Spans {
		if len(s.chunks) == 0 || len(s.chunks[len(s.chunks)-1].b) >= httpBatchBytes {
			s.chunks = append(s.chunks, chunk{})
		}
		c := &s.chunks[len(s.chunks)-1]
		before := len(c.b)
		if before > 0 {
			c.b = append(c.b, ',')
		}
		c.b = t.Spans[i].AppendJSON(c.b)
		c.n++
		s.bytes += len(c.b) - before
	}
	s.spans += len(t.Spans)
	full := len(s.chunks) > 1
	s.mu.Unlock()
	if full {
		signal(s.kick)
	}
	return nil
}

// Flush sends everything buffered, waiting until ctx is done at most.
func (s *HTTP) Flush(ctx context.Context) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(httpTimeout)
	}
	s.flushBy.Store(deadline.UnixNano())
	defer s.flushBy.Store(0)
	done := make(chan struct{})
	var err error
	select {
	case s.flushes <- done:
		signal(s.wake)
		select {
		case <-done:
		case <-ctx.Done():
			s.mu.Lock()
			n := s.spans
			s.mu.Unlock()
			err = fmt.Errorf("%d spans not sent yet: %w", n, ctx.Err())
		}
	case <-ctx.Done():
		err = ctx.Err()
	}
	if n := s.dropped.Load(); n > s.reported.Load() {
		s.reported.Store(n)
		diag.Warnf("sink %s: %d spans dropped in all (%d sent)", s.url, n, s.sent.Load())
	}
	return err
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (s *HTTP) drop(n int, why string) {
	if s.dropped.Add(int64(n)) == int64(n) {
		diag.WarnOncef("httpdrop:"+s.url, "sink %s: dropping spans: %s (the count is given at exit)", s.url, why)
	}
}

// run is the sender goroutine.
func (s *HTTP) run() {
	tick := time.NewTicker(httpInterval)
	defer tick.Stop()
	for {
		var done chan struct{}
		select {
		case <-s.kick:
		case <-tick.C:
		case done = <-s.flushes:
		}
		s.sendAll()
		if done != nil {
			close(done)
		}
	}
}

// sendAll sends the buffer in batches until it is empty.
func (s *HTTP) sendAll() {
	for {
		s.mu.Lock()
		if len(s.chunks) == 0 {
			s.mu.Unlock()
			return
		}
		c := s.chunks[0]
		s.chunks = s.chunks[1:]
		s.bytes -= len(c.b)
		s.spans -= c.n
		s.mu.Unlock()
		s.send(c.b, c.n)
	}
}

// send posts one batch, retrying network errors and 5xx with backoff.
func (s *HTTP) send(spans []byte, n int) {
	if s.tags == nil {
		s.tags, _ = json.Marshal(spantree.Tags())
	}
	var buf bytes.Buffer
	// BestSpeed: compressing costs the traced process's CPU; spans compress
	// well even so (about 8x).
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write([]byte(`{"tags":`))
	zw.Write(s.tags)
	zw.Write([]byte(`,"spans":[`))
	zw.Write(spans)
	zw.Write([]byte(`]}`))
	zw.Close()
	body := buf.Bytes()
	backoff := backoffMin
	for attempt := 1; ; attempt++ {
		status, msg, err := s.post(body)
		switch {
		case err == nil && status/100 == 2:
			s.sent.Add(int64(n))
			return
		case err == nil && status/100 == 4:
			s.drop(n, fmt.Sprintf("the receiver refused a batch: %d %s", status, msg))
			return
		}
		why := fmt.Sprintf("%d %s", status, msg)
		if err != nil {
			why = err.Error()
		}
		if attempt == httpAttempts {
			s.drop(n, fmt.Sprintf("%s (after %d attempts)", why, attempt))
			return
		}
		if by := s.flushBy.Load(); by != 0 && time.Now().Add(backoff).UnixNano() > by {
			s.drop(n, fmt.Sprintf("%s (no time left to retry before exit)", why))
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-s.wake:
			t.Stop()
			// A flush started: retry now if its deadline allows a wait.
		}
		backoff = min(2*backoff, backoffMax)
	}
}

// post makes one attempt, within the flush deadline if one is waiting.
func (s *HTTP) post(body []byte) (int, string, error) {
	ctx := context.Background()
	if by := s.flushBy.Load(); by != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Unix(0, by))
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	if s.key != "" {
		req.Header.Set("X-API-Key", s.key)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(msg, &e) == nil && e.Error != "" {
		msg = []byte(e.Error)
	}
	return resp.StatusCode, strings.TrimSpace(string(msg)), nil
}
