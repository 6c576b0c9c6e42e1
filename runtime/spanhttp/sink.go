package spanhttp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// HTTP is the http(s):// sink: it sends spans to the receiver's
// POST /v1/spans (docs/architecture.md), many traces per request, gzip-compressed, with
// the API key in X-API-Key and the process's tags ([spantree.Tags]).
//
// Its contract with the traced program: Export only encodes the spans into a
// buffer and returns; one goroutine of the sink sends. The buffer is bounded
// (16 MiB): when the receiver is down or slow and it is full, new spans are
// dropped and counted, never waited for. A batch (at most 1 MiB of JSON) is
// sent when full or a second after its first span.
//
// Retry and timeout contract: a request that fails on the network, times out
// (10s per attempt) or gets 429 or a 5xx is retried with exponential backoff
// and jitter (100ms doubling to 5s, times 0.5 to 1.5), waiting at least what
// Retry-After asks on 429 and 503 (up to a minute), until 30s have passed
// since the batch's first attempt. A 413 splits the batch in halves until
// each fits; a single span still too large is dropped (after 8 of them, the
// rest of the batch too, untried). Any other 4xx (a bad key, a rejected
// batch) is final. Lost spans are counted by reason; the first loss is said
// on stderr at once, and Flush (the program's exit) says in one line how many
// were lost and why. Flush sends what is buffered and returns by ctx's
// deadline, however the receiver behaves: retries and requests in flight end
// a little before it.
type HTTP struct {
	exp *exporter
}

var _ spantree.Sink = (*HTTP)(nil)

// NewHTTP returns an http sink posting to the receiver at base
// (http(s)://HOST[:PORT][/PREFIX]) with key as X-API-Key.
func NewHTTP(base, key string) (*HTTP, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("http sink: %q is not an http(s)://HOST[:PORT] URL", base)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if key != "" {
		h.Set("X-API-Key", key)
	}
	var (
		once sync.Once
		pre  []byte
	)
	ep := &target{
		url:    strings.TrimRight(base, "/") + "/v1/spans",
		header: h,
		client: &http.Client{Transport: newSinkTransport()},
		gzip:   true,
		prefix: func() []byte {
			// The tags are the configuration's, complete once the
			// first span has started: read at the first request.
			once.Do(func() {
				tags, _ := json.Marshal(spantree.Tags())
				pre = append(append([]byte(`{"tags":`), tags...), `,"spans":[`...)
			})
			return pre
		},
		suffix: []byte(`]}`),
	}
	return &HTTP{exp: newExporter(ep, defaultPolicy, 0, time.Second)}, nil
}

func newHTTPSink(url string, cfg spantree.Config) (spantree.Sink, error) {
	return NewHTTP(url, cfg.APIKey)
}

// Export encodes t's spans into the buffer, or drops them when it is full.
func (s *HTTP) Export(_ context.Context, t *spantree.Trace) error {
	s.exp.add(t.Spans, func(b []byte, d *spantree.SpanData) []byte { return d.AppendJSON(b) })
	s.exp.announce(t)
	return nil
}

// Flush sends everything buffered, returning by ctx's deadline, and says
// on stderr, in one line, how many spans were lost since it last said so
// and why. The loss is not returned as an error: the runtime would say it
// a second time.
func (s *HTTP) Flush(ctx context.Context) error {
	s.exp.flush(ctx)
	return nil
}
