package spanhttp

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/internal/diag"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// OTLP is the otlp+http(s):// sink: it sends spans to an OpenTelemetry
// backend (Jaeger, Tempo, the Collector, spantree serve) as OTLP/HTTP JSON
// requests to /v1/traces, with nothing but the standard library. The mapping
// of a span to OTLP is described in otlpjson.go.
//
// Batching: spans wait until MaxBatch of them are pending or Interval has
// passed since the first, then go in one request; all spans of the process
// share one resource (service.name from SPANTREE_SERVICE, SPANTREE_TAGS as
// further attributes).
//
// Retry and timeout contract: a request that fails on the network, times out
// or gets 429 or a 5xx is retried with exponential backoff and jitter (from
// 100ms up to 5s apart, honouring Retry-After) until MaxElapsed has passed;
// any other answer (a 4xx: the backend will not take the batch) is final.
// A batch that cannot be delivered is dropped and its spans counted; the
// first failure is said once on stderr and the count at Flush. Export blocks
// while it retries, so the runtime's bounded queue in front of the sink fills
// and drops traces instead of growing: the traced program is never slowed
// down or stopped by a backend that is down or slow. Flush sends what is
// pending and returns by ctx's deadline.
//
// Running spans: OTLP cannot update a span it has received, so spans in
// status started are held back, and sent when their final copy arrives. Those
// still running when Flush is called (at the program's exit) are sent then,
// with the flush time as their end, no status and the attribute
// spantree.unfinished=true, so that their children are not orphans.
//
// Configured by SPANTREE_SINK, the sink also reads the OpenTelemetry
// exporter variables that hosted backends document:
// OTEL_EXPORTER_OTLP_HEADERS (k=v,k=v; authentication) and
// OTEL_EXPORTER_OTLP_COMPRESSION (gzip), or their _TRACES_ forms.
//
// An OTLP is safe for concurrent use.
type OTLP struct {
	endpoint string
	header   http.Header
	client   *http.Client
	opts     OTLPOptions
	prefix   []byte // the request up to the spans array

	mu         sync.Mutex // guards the fields below
	pending    []byte     // encoded spans, comma separated
	npending   int
	spare      []byte // a drained buffer, for reuse
	unfinished map[spantree.SpanID]spantree.SpanData
	timer      *time.Timer

	sendMu sync.Mutex // one request at a time; guards body, zbuf and zw
	body   []byte
	zbuf   bytes.Buffer
	zw     *gzip.Writer

	sent     atomic.Int64 // spans the backend accepted
	dropped  atomic.Int64 // spans that could not be delivered or were rejected
	requests atomic.Int64 // HTTP requests made, retries included
}

var _ spantree.Sink = (*OTLP)(nil)

// OTLPOptions configures an OTLP sink. A zero field takes its default.
type OTLPOptions struct {
	// Resource holds the resource attributes: the process's tags. The tag
	// "service" is sent as service.name.
	Resource map[string]string
	// Header is added to every request, for example X-API-Key for spantree
	// serve or an Authorization for a hosted backend.
	Header http.Header
	// MaxBatch is the most spans in one request (default 512).
	MaxBatch int
	// Interval is how long a span waits for its batch to fill (default 1s).
	Interval time.Duration
	// Timeout bounds one HTTP request (default 10s).
	Timeout time.Duration
	// MaxElapsed bounds the retries of one batch (default 30s).
	MaxElapsed time.Duration
	// MaxUnfinished bounds the running spans held back (default 4096).
	MaxUnfinished int
	// Gzip compresses request bodies (Content-Encoding: gzip), which OTLP
	// backends accept; worth it over a network, not on loopback.
	Gzip bool
	// Client sends the requests; the default has a transport of its own
	// (never http.DefaultTransport, which propagation instruments).
	Client *http.Client
}

// newOTLPSink builds the sink that SPANTREE_SINK=otlp+http(s)://... names.
func newOTLPSink(rawURL string, cfg spantree.Config) (spantree.Sink, error) {
	tags := map[string]string{"service": cfg.Service}
	for k, v := range cfg.Tags {
		tags[k] = v
	}
	opts := OTLPOptions{Resource: tags, Header: http.Header{}}
	if cfg.APIKey != "" {
		opts.Header.Set("X-Api-Key", cfg.APIKey)
	}
	// The OpenTelemetry exporter variables a hosted backend's instructions
	// give (authentication headers, compression) work here too.
	h := firstEnv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")
	for k, v := range parseOTLPHeaders(h, func(m string) { diag.Warnf("OTEL_EXPORTER_OTLP_HEADERS: %s", m) }) {
		opts.Header.Set(k, v)
	}
	switch c := firstEnv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"); c {
	case "gzip":
		opts.Gzip = true
	case "", "none":
	default:
		diag.Warnf("OTEL_EXPORTER_OTLP_COMPRESSION: %q is not gzip or none; sending uncompressed", c)
	}
	return NewOTLP(rawURL, opts)
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// parseOTLPHeaders reads OTEL_EXPORTER_OTLP_HEADERS: comma-separated
// key=value pairs with URL-encoded values. A pair it cannot read is reported
// through warn and skipped.
func parseOTLPHeaders(s string, warn func(string)) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			warn(fmt.Sprintf("%q is not key=value; ignored", kv))
			continue
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			warn(fmt.Sprintf("the value of %q: %v; ignored", k, err))
			continue
		}
		out[k] = val
	}
	return out
}

// NewOTLP returns an OTLP sink posting to endpoint: http(s)://HOST[:PORT],
// to which /v1/traces is added, or a full URL with a path of its own.
func NewOTLP(endpoint string, opts OTLPOptions) (*OTLP, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("otlp endpoint %q: %w", endpoint, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("otlp endpoint %q: want http(s)://HOST[:PORT][/PATH]", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxElapsed <= 0 {
		opts.MaxElapsed = 30 * time.Second
	}
	if opts.MaxUnfinished <= 0 {
		opts.MaxUnfinished = 4096
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Transport: newSinkTransport()}
	}
	h := http.Header{}
	for k, vs := range opts.Header {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "spantree-otlp")
	return &OTLP{
		endpoint:   u.String(),
		header:     h,
		client:     client,
		opts:       opts,
		prefix:     appendOTLPPrefix(nil, opts.Resource),
		unfinished: map[spantree.SpanID]spantree.SpanData{},
	}, nil
}

// newSinkTransport returns a transport for a network sink: the defaults of
// http.DefaultTransport, without the propagation that setup may have added
// to it (the sink's own requests are no part of any trace).
func newSinkTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Export adds t's finished spans to the pending batch and sends the batch
// when it is full; a batch that is not full goes out after Interval.
func (o *OTLP) Export(ctx context.Context, t *spantree.Trace) error {
	o.mu.Lock()
	for i := range t.Spans {
		d := &t.Spans[i]
		if d.Status == spantree.StatusStarted {
			o.holdBack(d)
			continue
		}
		delete(o.unfinished, d.SpanID)
		if o.npending > 0 {
			o.pending = append(o.pending, ',')
		}
		o.pending = appendOTLPSpan(o.pending, d, time.Time{})
		o.npending++
	}
	if o.npending < o.opts.MaxBatch {
		if o.npending > 0 && o.timer == nil {
			o.timer = time.AfterFunc(o.opts.Interval, o.sendLater)
		}
		o.mu.Unlock()
		return nil
	}
	buf, n := o.takeLocked()
	o.mu.Unlock()
	return o.send(ctx, buf, n)
}

// holdBack keeps a copy of a running span, replacing an earlier one. The copy
// must not share t's maps and slices (sinks do not retain what they get).
func (o *OTLP) holdBack(d *spantree.SpanData) {
	if _, ok := o.unfinished[d.SpanID]; !ok && len(o.unfinished) >= o.opts.MaxUnfinished {
		return
	}
	c := *d
	if d.Attrs != nil {
		c.Attrs = make(map[string]any, len(d.Attrs))
		for k, v := range d.Attrs {
			c.Attrs[k] = v
		}
	}
	c.Events = append([]spantree.Event(nil), d.Events...)
	c.Links = append([]spantree.Link(nil), d.Links...)
	c.HandledErrors = append([]spantree.ErrorInfo(nil), d.HandledErrors...)
	o.unfinished[d.SpanID] = c
}

// takeLocked hands out the pending batch; o.mu is held.
func (o *OTLP) takeLocked() ([]byte, int) {
	buf, n := o.pending, o.npending
	o.pending, o.spare, o.npending = o.spare[:0], nil, 0
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	return buf, n
}

// recycle returns a sent batch's buffer for reuse.
func (o *OTLP) recycle(buf []byte) {
	if cap(buf) > 4<<20 {
		return // do not keep an outsized buffer alive
	}
	o.mu.Lock()
	if o.spare == nil {
		o.spare = buf[:0]
	}
	o.mu.Unlock()
}

// sendLater sends the pending batch when Interval has passed.
func (o *OTLP) sendLater() {
	o.mu.Lock()
	o.timer = nil
	buf, n := o.takeLocked()
	o.mu.Unlock()
	if err := o.send(context.Background(), buf, n); err != nil {
		diag.WarnOncef("otlp:export", "sink otlp: %v (further errors are counted, not shown)", err)
	}
}

// Flush sends the pending batch and the spans still running, within ctx's
// deadline, and says once how many spans could not be delivered.
func (o *OTLP) Flush(ctx context.Context) error {
	o.mu.Lock()
	if len(o.unfinished) > 0 {
		now := time.Now()
		for id, d := range o.unfinished {
			if o.npending > 0 {
				o.pending = append(o.pending, ',')
			}
			o.pending = appendOTLPSpan(o.pending, &d, now)
			o.npending++
			delete(o.unfinished, id)
		}
	}
	buf, n := o.takeLocked()
	o.mu.Unlock()
	err := o.send(ctx, buf, n)
	if d := o.dropped.Load(); d > 0 {
		if err != nil {
			// The runtime reports the error; it carries the count.
			return fmt.Errorf("%w (%d spans dropped in all)", err, d)
		}
		diag.WarnOncef("otlp:dropped", "sink otlp: %d spans could not be delivered to %s", d, o.endpoint)
	}
	return err
}

// Stats reports the spans the backend accepted, the spans dropped (not
// delivered, or rejected by the backend) and the HTTP requests made.
func (o *OTLP) Stats() (sent, dropped, requests int64) {
	return o.sent.Load(), o.dropped.Load(), o.requests.Load()
}

// send posts one batch of n spans, retrying as the type's doc says.
func (o *OTLP) send(ctx context.Context, spans []byte, n int) error {
	if n == 0 {
		o.recycle(spans)
		return nil
	}
	o.sendMu.Lock()
	defer o.sendMu.Unlock()
	b := append(o.body[:0], o.prefix...)
	b = append(b, spans...)
	b = append(b, otlpSuffix...)
	o.body = b
	o.recycle(spans)
	if o.opts.Gzip {
		o.zbuf.Reset()
		if o.zw == nil {
			o.zw = gzip.NewWriter(&o.zbuf)
		} else {
			o.zw.Reset(&o.zbuf)
		}
		o.zw.Write(b) // writes to a bytes.Buffer do not fail
		o.zw.Close()
		b = o.zbuf.Bytes()
	}

	ctx, cancel := context.WithTimeout(ctx, o.opts.MaxElapsed)
	defer cancel()
	if dl, ok := ctx.Deadline(); ok {
		// Finish a little before the caller's deadline rather than at it,
		// so that a Flush that gives up still returns in time to say so.
		margin := min(time.Until(dl)/10, 100*time.Millisecond)
		var cancel2 context.CancelFunc
		ctx, cancel2 = context.WithDeadline(ctx, dl.Add(-margin))
		defer cancel2()
	}
	ctx = context.WithValue(ctx, sinkRequestKey{}, true)
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		retryAfter, err := o.post(ctx, b, n)
		if err == nil {
			return nil
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			o.dropped.Add(int64(n))
			return fmt.Errorf("post %d spans to %s: %w", n, o.endpoint, err)
		}
		wait := backoff/2 + rand.N(backoff) // jitter: 0.5x to 1.5x
		if retryAfter > wait {
			wait = retryAfter
		}
		backoff = min(2*backoff, 5*time.Second)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// No time left for another attempt: give up now, not at the
			// deadline.
			o.dropped.Add(int64(n))
			return fmt.Errorf("post %d spans to %s: gave up after %d attempts: %w", n, o.endpoint, attempt, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			o.dropped.Add(int64(n))
			return fmt.Errorf("post %d spans to %s: gave up after %d attempts: %w", n, o.endpoint, attempt, err)
		case <-t.C:
		}
	}
}

// permanentError is an answer that retrying will not change.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// sinkRequestKey marks the context of a sink's own requests, which
// propagation leaves alone.
type sinkRequestKey struct{}

// post makes one request. It returns how long the server asked to wait
// (Retry-After) and an error, a *permanentError when retrying is pointless.
func (o *OTLP) post(ctx context.Context, body []byte, n int) (time.Duration, error) {
	rctx, cancel := context.WithTimeout(ctx, o.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, o.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, &permanentError{err}
	}
	for k, vs := range o.header {
		req.Header[k] = vs
	}
	if o.opts.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	o.requests.Add(1)
	resp, err := o.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) && uerr.Err != nil {
			err = uerr.Err // the caller names the method and URL
		}
		return 0, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		rejected, why := partialSuccess(msg)
		if rejected > int64(n) {
			rejected = int64(n)
		}
		o.sent.Add(int64(n) - rejected)
		if rejected > 0 {
			o.dropped.Add(rejected)
			diag.WarnOncef("otlp:partial", "sink otlp: %s rejected %d of %d spans: %s", o.endpoint, rejected, n, why)
		}
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("%s: %s", resp.Status, snippet(msg))
	}
	return 0, &permanentError{fmt.Errorf("%s: %s", resp.Status, snippet(msg))}
}

// partialSuccess reads the rejected span count of an
// ExportTraceServiceResponse; an empty or unreadable body rejects nothing.
func partialSuccess(body []byte) (int64, string) {
	if len(bytes.TrimSpace(body)) == 0 {
		return 0, ""
	}
	var r struct {
		PartialSuccess struct {
			RejectedSpans json.Number `json:"rejectedSpans"`
			ErrorMessage  string      `json:"errorMessage"`
		} `json:"partialSuccess"`
	}
	if json.Unmarshal(body, &r) != nil {
		return 0, ""
	}
	n, _ := strconv.ParseInt(string(r.PartialSuccess.RejectedSpans), 10, 64)
	return n, r.PartialSuccess.ErrorMessage
}

// retryAfter reads a Retry-After header in seconds (dates are not honoured),
// capped at a minute.
func retryAfter(h string) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || s <= 0 {
		return 0
	}
	return min(time.Duration(s)*time.Second, time.Minute)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
