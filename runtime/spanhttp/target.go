package spanhttp

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// target is where an exporter posts, and what its requests look like: the
// spans' JSON between prefix and suffix, gzip-compressed or not.
type target struct {
	url    string
	header http.Header
	client *http.Client
	gzip   bool
	prefix func() []byte // called at each request: the http sink's tags are read once configured
	suffix []byte
	// accepted reads the body of a 2xx answer to a request of n spans and
	// returns how many of them the receiver did not take, and why.
	accepted func(body []byte, n int) (rejected int, why string)

	body []byte // reused; the sender is one goroutine
	zbuf bytes.Buffer
	zw   *gzip.Writer

	mu       sync.Mutex
	cancel   context.CancelFunc // the attempt in flight
	requests int64
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
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// sinkRequestKey marks the context of a sink's own requests, which
// propagation leaves alone.
type sinkRequestKey struct{}

// encode builds the request body for spans.
func (ep *target) encode(spans []byte) []byte {
	b := append(ep.body[:0], ep.prefix()...)
	b = append(b, spans...)
	b = append(b, ep.suffix...)
	ep.body = b
	if !ep.gzip {
		return b
	}
	ep.zbuf.Reset()
	if ep.zw == nil {
		// BestSpeed: compressing costs the traced process's CPU; spans
		// compress well even so (about 8x).
		ep.zw, _ = gzip.NewWriterLevel(&ep.zbuf, gzip.BestSpeed)
	} else {
		ep.zw.Reset(&ep.zbuf)
	}
	ep.zw.Write(b) // writes to a bytes.Buffer do not fail
	ep.zw.Close()
	return ep.zbuf.Bytes()
}

// answer is the outcome of one attempt.
type answer struct {
	status     int           // 0: no answer
	err        error         // the network error when status is 0
	msg        string        // the answer's error message or body, shortened
	retryAfter time.Duration // asked for by a 429 or 503
	body       []byte        // of a 2xx
	outOfTime  bool          // no answer by the attempt's deadline
}

func (a answer) String() string {
	if a.status == 0 {
		return a.err.Error()
	}
	s := fmt.Sprintf("%d %s", a.status, http.StatusText(a.status))
	if a.msg != "" {
		s += ": " + a.msg
	}
	return s
}

// post makes one attempt, by deadline at the latest.
func (ep *target) post(deadline time.Time, body []byte) answer {
	ctx, cancel := context.WithDeadline(context.WithValue(context.Background(), sinkRequestKey{}, true), deadline)
	defer cancel()
	ep.mu.Lock()
	ep.cancel = cancel
	ep.requests++
	ep.mu.Unlock()
	defer func() {
		ep.mu.Lock()
		ep.cancel = nil
		ep.mu.Unlock()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	for k, vs := range ep.header {
		req.Header[k] = vs
	}
	if ep.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	began := time.Now()
	resp, err := ep.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) && uerr.Err != nil {
			err = uerr.Err // the summary names the URL
		}
		if ctx.Err() != nil {
			// Out of time (the attempt's, the batch's or the flush's):
			// "context canceled" would say nothing.
			err = fmt.Errorf("no answer within %v", time.Since(began).Round(time.Millisecond))
			return answer{err: err, outOfTime: true}
		}
		return answer{err: err}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	a := answer{status: resp.StatusCode, retryAfter: retryAfter(resp.StatusCode, resp.Header.Get("Retry-After"), time.Now())}
	if classify(a.status) == delivered {
		a.body = msg
		return a
	}
	a.msg = errorMessage(msg)
	return a
}

// abort cancels the attempt in flight, if any.
func (ep *target) abort() {
	ep.mu.Lock()
	if ep.cancel != nil {
		ep.cancel()
	}
	ep.mu.Unlock()
}

// errorMessage shortens an error answer's body: the "error" of a JSON
// {"error":"..."} (the receiver's), else the text.
func errorMessage(b []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	s := string(b)
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		s = e.Error
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// send posts one batch of n spans, retrying as retryPolicy says, and counts
// the spans sent or lost; it returns tooLarge, counting nothing, when the
// receiver answered 413.
func (e *exporter) send(spans []byte, n int) verdict {
	body := e.ep.encode(spans)
	start := time.Now()
	var last answer // the last failed attempt that got an answer
	for attempt := 1; ; attempt++ {
		a := e.ep.post(e.deadline(start, e.policy.attempt), body)
		v := classify(a.status)
		switch v {
		case delivered:
			rejected, why := 0, ""
			if e.ep.accepted != nil {
				rejected, why = e.ep.accepted(a.body, n)
				rejected = min(max(rejected, 0), n)
			}
			e.sent.Add(int64(n - rejected))
			e.lose(lossRejected, rejected, why)
			return v
		case tooLarge:
			return v
		case final:
			e.lose(lossRefused, n, a.String())
			return v
		}
		if a.status != 0 {
			last = a
		}
		wait := max(e.policy.backoff(attempt), a.retryAfter)
		if !e.sleep(start, wait) {
			if a.outOfTime && last.status != 0 {
				// The attempt cut short by the deadline says less than
				// the answer before it.
				a = last
			}
			kind := lossFailing
			if a.status == 0 {
				kind = lossUnreachable
			}
			detail := a.String()
			if a.retryAfter > 0 {
				detail += fmt.Sprintf(" (asked to retry after %v)", a.retryAfter)
			}
			e.lose(kind, n, fmt.Sprintf("%s, after %d %s", detail, attempt, plural(attempt, "attempt")))
			return final
		}
	}
}

// deadline is when an attempt that starts now must end: after limit, the
// batch's retry budget (counted from start) or a waiting flush's deadline,
// whichever comes first.
func (e *exporter) deadline(start time.Time, limit time.Duration) time.Time {
	d := time.Now().Add(limit)
	if b := start.Add(e.policy.elapsed); b.Before(d) {
		d = b
	}
	if by := e.flushBy.Load(); by != 0 && by < d.UnixNano() {
		d = time.Unix(0, by)
	}
	return d
}

// sleep waits d before the next attempt of a batch started at start, and
// reports false, at once, when that attempt would begin too late to have a
// chance (less than a tenth of an attempt's time, at most 100ms, before the
// batch's deadline). A flush that starts meanwhile brings the deadline
// forward.
func (e *exporter) sleep(start time.Time, d time.Duration) bool {
	until := time.Now().Add(d)
	least := min(e.policy.attempt/10, 100*time.Millisecond)
	for {
		if !until.Add(least).Before(e.deadline(start, time.Hour)) {
			return false
		}
		t := time.NewTimer(time.Until(until))
		select {
		case <-t.C:
			return true
		case <-e.wake:
			t.Stop()
		}
	}
}
