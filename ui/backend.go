package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spantree/spantree/alert"
	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/internal/termtext"
	"github.com/spantree/spantree/store"
)

// Backend is everything the UI reads from and writes to a receiver. A
// [*client.Client] serves both `-addr URL` and `-db PATH` (the latter through
// server.Local in process), so the UI has a single data path; tests use a
// fake.
//
// Implementations must be safe for concurrent use: commands run on their own
// goroutines.
type Backend interface {
	// Dashboard returns one row per span name seen in the last since.
	Dashboard(ctx context.Context, since time.Duration) ([]store.DashboardRow, error)
	// Slow returns per span name the latency summary of the last since.
	Slow(ctx context.Context, since time.Duration) ([]store.SlowSpan, error)
	// Status returns each app's OK / WARN / ALERT and why, over the last since.
	Status(ctx context.Context, since time.Duration) (*store.StatusReport, error)
	// Traces returns trace summaries matching q, newest first.
	Traces(ctx context.Context, q store.TraceQuery) ([]store.TraceSummary, error)
	// Trace returns one whole trace; id is a 27-character KSUID or 32 hex.
	Trace(ctx context.Context, id string) (*store.Trace, error)
	// Errors returns the error groups seen in the last since (0: all time).
	Errors(ctx context.Context, since time.Duration) ([]store.ErrorGroup, error)
	// Alerts returns the alerts of the receiver's alert engine, firing
	// first (a 404 when it runs none).
	Alerts(ctx context.Context) ([]alert.Alert, error)
	// Annotate stores a triage verdict for an error group and returns the group.
	Annotate(ctx context.Context, fingerprint string, a store.Annotation) (*store.ErrorGroup, error)
}

var _ Backend = (*client.Client)(nil)

// describe is how the UI words err: a receiver's refusal says what it
// means for the person at the terminal. The text is escaped, as it may
// quote span data.
func describe(err error) string {
	return termtext.Escape(describeRaw(err))
}

func describeRaw(err error) string {
	var e *client.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	switch e.Status {
	case http.StatusUnauthorized:
		return fmt.Sprintf("the receiver refused the API key (401): %s", e.Message)
	case http.StatusNotFound:
		return fmt.Sprintf("not found (404): %s", e.Message)
	}
	return fmt.Sprintf("receiver answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}
