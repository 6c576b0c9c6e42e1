package spanhttp

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryPolicy is the one retry policy of the network sinks: exponential
// backoff with jitter between attempts, Retry-After honoured on 429 and 503,
// each attempt bounded by attempt, and every batch by elapsed (and by the
// deadline of a waiting Flush, which the exporter applies).
type retryPolicy struct {
	min, max time.Duration // backoff before the second attempt, and its cap
	attempt  time.Duration // one request, answer included
	elapsed  time.Duration // all attempts of one batch
}

// defaultPolicy is what both sinks use unless OTLPOptions say otherwise.
var defaultPolicy = retryPolicy{
	min:     100 * time.Millisecond,
	max:     5 * time.Second,
	attempt: 10 * time.Second,
	elapsed: 30 * time.Second,
}

// maxRetryAfter caps a Retry-After: a receiver asking for an hour would
// otherwise hold every batch behind the one waiting.
const maxRetryAfter = time.Minute

// backoff is the wait after the given failed attempt (1 for the first):
// min doubled per attempt up to max, times a random factor in [0.5, 1.5) so
// that the processes a receiver turned away do not all come back at once.
func (p retryPolicy) backoff(attempt int) time.Duration {
	d := p.min
	for i := 1; i < attempt && d < p.max; i++ {
		d *= 2
	}
	d = min(d, p.max)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d)
}

// verdict is what an answer means for the batch that got it.
type verdict int

const (
	delivered verdict = iota // 2xx
	retryable                // a network error, a timeout, 429 or a 5xx
	tooLarge                 // 413: split the batch
	final                    // any other answer: retrying will not change it
)

// classify reads a status code (0: no answer, a network error).
func classify(status int) verdict {
	switch {
	case status == 0:
		return retryable
	case status >= 200 && status < 300:
		return delivered
	case status == http.StatusRequestEntityTooLarge:
		return tooLarge
	case status == http.StatusTooManyRequests || status >= 500:
		return retryable
	}
	return final
}

// retryAfter reads the Retry-After header of a 429 or 503 answer, in
// seconds or as an HTTP date, capped at maxRetryAfter; 0 when there is none,
// it cannot be read, or the status does not give it its meaning.
func retryAfter(status int, h string, now time.Time) time.Duration {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return 0
	}
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(h); err == nil {
		d = time.Duration(min(s, 3600)) * time.Second // no overflow
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
