package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// Backend is everything the UI reads from and writes to a receiver. The HTTP
// implementation ([HTTP]) serves both `-addr URL` and `-db PATH` (the latter
// through an in-process transport), so the UI has a single data path; tests
// use a fake.
//
// Implementations must be safe for concurrent use: commands run on their own
// goroutines.
type Backend interface {
	// Dashboard returns one row per span name seen in the last since.
	Dashboard(ctx context.Context, since time.Duration) ([]Row, error)
	// Traces returns trace summaries matching q, newest first.
	Traces(ctx context.Context, q TraceQuery) ([]TraceSummary, error)
	// Trace returns one whole trace; id is a 27-character KSUID or 32 hex.
	Trace(ctx context.Context, id string) (*Trace, error)
	// Errors returns the error groups seen in the last since (0: all time).
	Errors(ctx context.Context, since time.Duration) ([]ErrorGroup, error)
	// Annotate stores a triage verdict for an error group and returns the group.
	Annotate(ctx context.Context, fingerprint string, a Annotation) (*ErrorGroup, error)
}

// Row is one line of the dashboard: the calls of one span name.
type Row struct {
	Name        string    `json:"name"`
	Location    string    `json:"location"`
	App         string    `json:"app"`
	Count       int64     `json:"count"`
	Failed      int64     `json:"failed"`
	LastSeen    time.Time `json:"last_seen"`
	P50NS       int64     `json:"p50_ns"`
	P95NS       int64     `json:"p95_ns"`
	MaxNS       int64     `json:"max_ns"`
	LastTraceID string    `json:"last_trace_id"`
	// Fingerprints are the error groups of this name's failures.
	Fingerprints []string `json:"fingerprints"`
	// Verdict is the worst triage verdict among those groups:
	// alert, warn, unannotated, ok, silenced, or "" when nothing failed.
	Verdict string `json:"verdict"`
}

// TraceQuery selects traces: every non-zero field narrows the list.
type TraceQuery struct {
	Status      string   // started, succeeded or failed
	Name        string   // a span of that name occurs in the trace
	Tags        []string // k:v, all must match
	MinDuration time.Duration
	Since       time.Duration
	Limit       int
}

// TraceSummary is one line of a trace list.
type TraceSummary struct {
	TraceID    string            `json:"trace_id"`
	Hex        string            `json:"hex"`
	Name       string            `json:"name"` // the root span
	App        string            `json:"app"`
	Start      time.Time         `json:"start"`
	DurationNS int64             `json:"duration_ns"`
	Status     string            `json:"status"`
	Spans      int               `json:"spans"`
	Errors     int               `json:"errors"`
	Tags       map[string]string `json:"tags"`
}

// Trace is a whole trace as the receiver returns it.
type Trace struct {
	TraceID string              `json:"trace_id"`
	Hex     string              `json:"hex"`
	Tags    map[string]string   `json:"tags"`
	Spans   []spantree.SpanData `json:"spans"`
	// SlowSpans are the ids of spans slower than their name's p99.
	SlowSpans []string `json:"slow_spans"`
	// Errors ties failed spans to their error groups and verdicts.
	Errors []SpanError `json:"errors"`
}

// SpanError is the error group and verdict of one failed span of a trace.
type SpanError struct {
	SpanID      string      `json:"span_id"`
	Fingerprint string      `json:"fingerprint"`
	Annotation  *Annotation `json:"annotation,omitempty"`
	Regressed   bool        `json:"regressed,omitempty"`
}

// ErrorGroup is a set of failures with the same fingerprint.
type ErrorGroup struct {
	Fingerprint string      `json:"fingerprint"`
	Type        string      `json:"type"`
	Message     string      `json:"message"`
	Name        string      `json:"name"`
	Location    string      `json:"location"`
	App         string      `json:"app"`
	FirstSeen   time.Time   `json:"first_seen"`
	LastSeen    time.Time   `json:"last_seen"`
	Count       int64       `json:"count"`
	LastTraceID string      `json:"last_trace_id"`
	Annotation  *Annotation `json:"annotation,omitempty"`
	Regressed   bool        `json:"regressed"`
}

// Annotation is a person's verdict on an error group.
type Annotation struct {
	Kind     string `json:"kind"`     // crash or silenced
	Severity string `json:"severity"` // ok, warn or alert
	Note     string `json:"note,omitempty"`
}

// Error is a receiver's answer other than success.
type Error struct {
	Status  int    // HTTP status
	Message string // the "error" field of the body, or the body itself
}

func (e *Error) Error() string {
	switch e.Status {
	case http.StatusUnauthorized:
		return fmt.Sprintf("the receiver refused the API key (401): %s", e.Message)
	case http.StatusNotFound:
		return fmt.Sprintf("not found (404): %s", e.Message)
	}
	return fmt.Sprintf("receiver answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// isStatus reports whether err is a receiver answer with the given status.
func isStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}
