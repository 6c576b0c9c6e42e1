package spanhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/internal/diag"
)

// OTLP is the otlp+http(s):// sink: it sends spans to an OpenTelemetry
// backend (Jaeger, Tempo, the Collector, spantree serve) as OTLP/HTTP JSON
// requests to /v1/traces, with nothing but the standard library. The mapping
// of a span to OTLP is described in otlpjson.go.
//
// Batching: Export only encodes the spans into a buffer and returns; one
// goroutine of the sink sends. A batch goes when MaxBatch spans are pending
// or Interval has passed since the first; all spans of the process share one
// resource (service.name from SPANTREE_SERVICE, SPANTREE_TAGS as further
// attributes). The buffer is bounded (16 MiB): when the backend is down or
// slow and it is full, new spans are dropped and counted, so the traced
// program is never slowed down or stopped by its backend.
//
// Retry and timeout contract, the same as the http sink's ([HTTP]): a request
// that fails on the network, times out (Timeout per attempt) or gets 429 or a
// 5xx is retried with exponential backoff and jitter (100ms doubling to 5s,
// times 0.5 to 1.5), waiting at least what Retry-After asks on 429 and 503
// (up to a minute), until MaxElapsed has passed since the batch's first
// attempt. A 413 splits the batch in halves until each fits; a single span
// still too large is dropped (after 8 of them, the rest of the batch too,
// untried). Any other 4xx (the backend will not take the batch) is final, and
// spans a 2xx answer's partialSuccess rejects are counted as lost. The first
// loss is said on stderr at once, and Flush says in one line how many spans
// were lost and why. Flush sends what is pending and returns by ctx's
// deadline.
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
	exp  *exporter
	opts OTLPOptions

	mu         sync.Mutex // guards unfinished
	unfinished map[spantree.SpanID]spantree.SpanData
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
	if opts.MaxUnfinished <= 0 {
		opts.MaxUnfinished = 4096
	}
	policy := defaultPolicy
	if opts.Timeout > 0 {
		policy.attempt = opts.Timeout
	}
	if opts.MaxElapsed > 0 {
		policy.elapsed = opts.MaxElapsed
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
	prefix := appendOTLPPrefix(nil, opts.Resource)
	ep := &target{
		url:      u.String(),
		header:   h,
		client:   client,
		gzip:     opts.Gzip,
		prefix:   func() []byte { return prefix },
		suffix:   []byte(otlpSuffix),
		accepted: partialSuccess,
	}
	return &OTLP{
		exp:        newExporter(ep, policy, opts.MaxBatch, opts.Interval),
		opts:       opts,
		unfinished: map[spantree.SpanID]spantree.SpanData{},
	}, nil
}

// Export adds t's finished spans to the buffer, and holds its running ones
// back until they end.
func (o *OTLP) Export(_ context.Context, t *spantree.Trace) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.exp.add(t.Spans, func(b []byte, d *spantree.SpanData) []byte {
		if d.Status == spantree.StatusStarted {
			o.holdBack(d)
			return b
		}
		delete(o.unfinished, d.SpanID)
		return appendOTLPSpan(b, d, time.Time{})
	})
	o.exp.announce(t)
	return nil
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

// Flush sends the pending spans and the spans still running, returning by
// ctx's deadline, and says on stderr, in one line, how many spans were lost
// since it last said so and why. The loss is not returned as an error: the
// runtime would say it a second time.
func (o *OTLP) Flush(ctx context.Context) error {
	o.mu.Lock()
	if len(o.unfinished) > 0 {
		now := time.Now()
		running := make([]spantree.SpanData, 0, len(o.unfinished))
		for _, d := range o.unfinished {
			running = append(running, d)
		}
		clear(o.unfinished)
		o.exp.add(running, func(b []byte, d *spantree.SpanData) []byte { return appendOTLPSpan(b, d, now) })
	}
	o.mu.Unlock()
	o.exp.flush(ctx)
	return nil
}

// Stats reports the spans the backend accepted, the spans lost (not
// delivered, rejected by the backend or dropped from a full buffer) and the
// HTTP requests made, retries included.
func (o *OTLP) Stats() (sent, dropped, requests int64) {
	o.exp.ep.mu.Lock()
	requests = o.exp.ep.requests
	o.exp.ep.mu.Unlock()
	return o.exp.sent.Load(), o.exp.lost.load(), requests
}

// partialSuccess reads the rejected span count of an
// ExportTraceServiceResponse; an empty or unreadable body rejects nothing.
func partialSuccess(body []byte, n int) (int, string) {
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
	k, _ := strconv.ParseInt(string(r.PartialSuccess.RejectedSpans), 10, 64)
	return int(min(k, int64(n))), r.PartialSuccess.ErrorMessage
}
