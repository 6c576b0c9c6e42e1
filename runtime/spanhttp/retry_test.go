package spanhttp

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	p := retryPolicy{min: 100 * time.Millisecond, max: 5 * time.Second}
	tests := []struct {
		attempt int
		base    time.Duration // the wait is in [base/2, 1.5*base)
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{7, 5 * time.Second}, // 6.4s, capped
		{1000, 5 * time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := p.backoff(tt.attempt)
			if d < tt.base/2 || d >= tt.base*3/2 {
				t.Fatalf("backoff(%d) = %v; want in [%v, %v)", tt.attempt, d, tt.base/2, tt.base*3/2)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(%d) gave %v 50 times; want jitter", tt.attempt, seen)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status int
		want   verdict
	}{
		{0, retryable},
		{200, delivered},
		{202, delivered},
		{400, final},
		{401, final},
		{404, final},
		{408, final},
		{413, tooLarge},
		{429, retryable},
		{500, retryable},
		{503, retryable},
		{507, retryable},
	}
	for _, tt := range tests {
		if got := classify(tt.status); got != tt.want {
			t.Errorf("classify(%d) = %d; want %d", tt.status, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		status int
		header string
		want   time.Duration
	}{
		{429, "3", 3 * time.Second},
		{503, " 2 ", 2 * time.Second},
		{503, now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second},
		{503, now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{429, "86400", maxRetryAfter},
		{429, "99999999999999999", maxRetryAfter},
		{429, "-5", 0},
		{429, "soon", 0},
		{429, "", 0},
		{500, "3", 0}, // Retry-After means something on 429 and 503 only
		{200, "3", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.status, tt.header, now); got != tt.want {
			t.Errorf("retryAfter(%d, %q) = %v; want %v", tt.status, tt.header, got, tt.want)
		}
	}
}
