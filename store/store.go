// Package store defines what the receiver keeps and how it is asked for it:
// the [Store] interface that every storage engine implements (SQLite in
// store/sqlite is the default), the result types that the HTTP API sends as
// JSON, and the engine-independent analyses (slow spans, health, the
// dashboard), built on per-minute rollups that engines keep as spans arrive
// ([Rollup]), so their cost follows span names and minutes, not spans.
//
// The data model: a namespace owns API keys (kept as SHA-256 hashes) and
// everything ingested with them. Traces are keyed by the 16-byte payload of
// their id (the W3C / OTLP trace id), so the spans of one distributed trace
// land in one trace whatever KSUID time prefix each process used. A span is
// keyed by (trace, span id) and replaced when sent again, and keeps the
// tags of the process that sent it (its batch's: [Process]). Apps are the
// "service" tag of the batches, with the "version" tags seen. Failed spans
// are grouped into error groups by [Fingerprint]; a person annotates a group
// once and every occurrence inherits the verdict.
package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spantree/spantree/query"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/wire"
)

// Store is a storage engine. Implementations are safe for concurrent use.
// Every method that takes a namespace only sees that namespace's data.
type Store interface {
	// CreateKey makes a new API key for namespace, creating the namespace
	// if needed, and returns the key; only its hash is kept.
	CreateKey(ctx context.Context, namespace string) (string, error)
	// Authenticate returns the namespace of key, or ErrUnauthorized.
	Authenticate(ctx context.Context, key string) (string, error)
	// Namespaces lists the namespaces, sorted by name.
	Namespaces(ctx context.Context) ([]string, error)

	// Ingest stores the batches' spans in namespace (created if needed),
	// replacing spans with the same (trace, span) ids, and returns how many
	// spans it stored. It returns only once they are durable, and stores
	// all of them or none. Spans must have been validated (see
	// wire.DecodeBatch).
	Ingest(ctx context.Context, namespace string, batches []spantree.Batch) (int, error)

	// Trace returns one trace by the payload of id (its time prefix is
	// ignored), or ErrNotFound.
	Trace(ctx context.Context, namespace string, id spantree.TraceID) (*Trace, error)
	// Traces lists traces matching q, newest first.
	Traces(ctx context.Context, namespace string, q TraceQuery) ([]TraceSummary, error)

	// ErrorGroups lists the error groups seen since since (zero: all),
	// last seen first.
	ErrorGroups(ctx context.Context, namespace string, since time.Time) ([]ErrorGroup, error)
	// Annotate sets the verdict of an error group and returns the group, or
	// ErrNotFound.
	Annotate(ctx context.Context, namespace, fingerprint string, a Annotation) (*ErrorGroup, error)

	// Apps lists the apps (service tags) of namespace.
	Apps(ctx context.Context, namespace string) ([]App, error)
	// ScanSpans calls fn for every finished span that started in
	// [since, until), in no particular order; it stops at fn's first error
	// and returns it.
	ScanSpans(ctx context.Context, namespace string, since, until time.Time, fn func(*SpanStat) error) error
	// ScanRollups calls fn for every per-minute rollup of the minutes
	// that start in [since truncated to the minute, until), in no
	// particular order (fn must copy what it keeps of the *Rollup: it is
	// reused); it stops at fn's first error and returns it. The
	// analyses (dashboard, slow spans, health) read these, so their cost
	// grows with span names and minutes, not with spans.
	ScanRollups(ctx context.Context, namespace string, since, until time.Time, fn func(*Rollup) error) error

	// AlertRecords returns the alert engine's state (see [AlertRecord]),
	// sorted by namespace, kind and key.
	AlertRecords(ctx context.Context) ([]AlertRecord, error)
	// SaveAlertRecords stores put, replacing the records of the same
	// namespace, kind and key, and deletes the records that del names
	// (their Body is ignored): all of it or none.
	SaveAlertRecords(ctx context.Context, put, del []AlertRecord) error

	// Close waits for pending writes and releases the engine.
	Close() error
}

// Errors the engines return; test with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("missing or unknown API key")
	// ErrFull is a write that failed for want of disk space; nothing of
	// it was stored, and the same write may succeed later.
	ErrFull = errors.New("storage full")
	// ErrCorrupt is a database file found damaged.
	ErrCorrupt = errors.New("database file corrupt")
	// ErrUnavailable is a write or read that failed because the database
	// server (or one of its shards) could not be reached or is overloaded;
	// the same request may succeed later.
	ErrUnavailable = errors.New("storage unavailable")
)

// Trace is one stored trace: GET /v1/traces/{id}.
type Trace struct {
	// TraceID is the KSUID the trace was first seen with.
	TraceID spantree.TraceID `json:"trace_id"`
	Hex     string           `json:"hex"`
	// Tags are those of the process the trace started in (its root's).
	Tags  map[string]string   `json:"tags"`
	Spans []spantree.SpanData `json:"spans"`
	// Services are the services of the trace's spans, the root's first
	// (in the order of their first span); each span names its own
	// (SpanData.Service).
	Services []string `json:"services"`
	// Processes are the tag sets of the processes that sent the spans,
	// each with the ids of its spans (see SetProcesses).
	Processes []Process `json:"processes,omitempty"`
	// SlowSpans are the ids of spans slower than the p99 of their name and
	// location over the last day (filled by the server, see SlowSpans).
	SlowSpans []spantree.SpanID `json:"slow_spans,omitempty"`
	// Errors gives the error group and verdict of each failed span whose
	// error was grouped.
	Errors []SpanError `json:"errors,omitempty"`
	// Abandoned is set when the root still runs but no copy of any of the
	// trace's spans arrived for AbandonAfter: its process stopped
	// publishing (it was killed or crashed) and the running spans will
	// never end.
	Abandoned bool `json:"abandoned,omitempty"`
	// Run is the trace's run number (see [TraceSummary.Run]); 0 while it
	// has none.
	Run int64 `json:"run,omitempty"`
}

// AbandonAfter is how long a trace whose root still runs may go without an
// update before it is taken for abandoned: three of the runtime's publish
// intervals (SPANTREE_PUBLISH, 10s by default), so that a live process
// always sends something sooner. A process publishing less often than every
// 15s may be shown abandoned between its publications.
const AbandonAfter = 30 * time.Second

// Abandoned reports whether a trace with the root status status, last
// updated at updated (unix ns), is abandoned at now.
func Abandoned(status spantree.Status, updated int64, now time.Time) bool {
	return status == spantree.StatusStarted && updated > 0 && now.UnixNano()-updated > int64(AbandonAfter)
}

// SpanError ties a failed span of a trace to its error group.
type SpanError struct {
	SpanID      spantree.SpanID `json:"span_id"`
	Fingerprint string          `json:"fingerprint"`
	Annotation  *Annotation     `json:"annotation,omitempty"`
	Regressed   bool            `json:"regressed,omitempty"`
}

// TraceQuery filters GET /v1/traces. Zero fields do not filter.
type TraceQuery struct {
	Status spantree.Status // the root span's status
	Name   string          // some span of the trace has this name
	// Tags: for each of these, some span of the trace came from a process
	// with that tag (tag=service:X: a span of service X, wherever it is in
	// the trace).
	Tags        map[string]string
	MinDuration time.Duration // the root span lasted at least this
	Since       time.Time     // the trace started at or after this
	Until       time.Time     // the trace started before this
	// Run: the trace has this run number (in whichever run key: add the
	// tag service:X for one service's).
	Run   int64
	Limit int // at most this many (0: DefaultLimit)
	// Where is the q= query (see package query): nil matches every trace.
	Where query.Expr
	// After, when set, asks for the traces that come after it in the
	// list's order (newest first): the next page.
	After *Cursor
}

// TracePage is one page of a trace list: GET /v1/traces.
type TracePage struct {
	Traces []TraceSummary `json:"traces"`
	// NextCursor, set when the page is full, asks for the next page
	// (cursor=); that page may be empty.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Cursor is a place in a trace list, ordered newest first: by the root's
// start, then by trace id (both descending), so that a page ends at the
// same place however many traces newer than its first arrive meanwhile.
type Cursor struct {
	Start int64    // unix ns
	ID    [16]byte // the trace id's payload
}

// CursorAt is the cursor of a trace summary: the next page starts after it.
func CursorAt(s *TraceSummary) *Cursor {
	return &Cursor{Start: s.Start.UnixNano(), ID: s.TraceID.Payload()}
}

// String encodes c for the next_cursor field and the cursor= parameter:
// the start in decimal nanoseconds, "-", the 32-hex trace id.
func (c *Cursor) String() string {
	return strconv.FormatInt(c.Start, 10) + "-" + hex.EncodeToString(c.ID[:])
}

// ParseCursor reads what [Cursor.String] wrote.
func ParseCursor(s string) (*Cursor, error) {
	start, id, ok := strings.Cut(s, "-")
	n, err := strconv.ParseInt(start, 10, 64)
	b, herr := hex.DecodeString(id)
	if !ok || err != nil || herr != nil || len(b) != 16 {
		return nil, fmt.Errorf("want the next_cursor of a trace list, got %.60q", s)
	}
	c := &Cursor{Start: n}
	copy(c.ID[:], b)
	return c, nil
}

// Limits of trace lists.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// TraceSummary is one row of a trace list.
type TraceSummary struct {
	TraceID  spantree.TraceID  `json:"trace_id"`
	Hex      string            `json:"hex"`
	Name     string            `json:"name"` // the root span's name
	App      string            `json:"app"`
	Start    time.Time         `json:"start"`
	Duration int64             `json:"duration_ns"`
	Status   spantree.Status   `json:"status"`
	Spans    int               `json:"spans"`
	Errors   int               `json:"errors"` // failed spans
	Tags     map[string]string `json:"tags"`
	// Abandoned: the root still runs, but nothing arrived for AbandonAfter.
	Abandoned bool `json:"abandoned,omitempty"`
	// Run is the trace's run number: the n-th trace whose root came from a
	// process with the root's tags (its run key: the batch tags, service
	// included, of the first span without a parent to arrive), counted from
	// 1 per key within the namespace, so that a person can say "shop#142".
	// 0 (left out of the JSON) while the trace has none: no span without
	// a parent has arrived yet, or (ClickHouse) its number has not
	// settled yet.
	Run int64 `json:"run,omitempty"`
}

// Verdict kinds and severities of an [Annotation].
const (
	KindCrash    = "crash"
	KindSilenced = "silenced"

	SeverityOK    = "ok"
	SeverityWarn  = "warn"
	SeverityAlert = "alert"
)

// Annotation is a person's verdict on an error group: PUT /v1/errors/{fp}.
type Annotation struct {
	Kind     string `json:"kind"`     // crash | silenced
	Severity string `json:"severity"` // ok | warn | alert
	Note     string `json:"note,omitempty"`
	// Updated and Version are set by the store: when the verdict was given
	// and the newest app version seen in the group then.
	Updated time.Time `json:"updated,omitzero"`
	Version string    `json:"version,omitempty"`
}

// Validate checks Kind and Severity, naming the bad field in a
// [*wire.FieldError].
func (a *Annotation) Validate() error {
	switch a.Kind {
	case KindCrash, KindSilenced:
	default:
		return &wire.FieldError{Field: "kind", Msg: `want "crash" or "silenced"`}
	}
	switch a.Severity {
	case SeverityOK, SeverityWarn, SeverityAlert:
	default:
		return &wire.FieldError{Field: "severity", Msg: `want "ok", "warn" or "alert"`}
	}
	if len(a.Note) > 10000 {
		return &wire.FieldError{Field: "note", Msg: "longer than 10000 bytes"}
	}
	return nil
}

// ErrorGroup is the errors that share a fingerprint: GET /v1/errors.
type ErrorGroup struct {
	Fingerprint     string           `json:"fingerprint"`
	GroupingVersion int              `json:"grouping_version"`
	Type            string           `json:"type"`
	Message         string           `json:"message"` // of the latest occurrence
	Name            string           `json:"name"`    // span name
	Location        string           `json:"location"`
	App             string           `json:"app"`
	FirstSeen       time.Time        `json:"first_seen"`
	LastSeen        time.Time        `json:"last_seen"`
	Count           int              `json:"count"`
	LastTraceID     spantree.TraceID `json:"last_trace_id"`
	LastVersion     string           `json:"last_version,omitempty"`
	Annotation      *Annotation      `json:"annotation,omitempty"`
	// Regressed is set when a silenced group recurs from an app version
	// newer than the one it was silenced at.
	Regressed bool `json:"regressed"`
}

// App is one service seen by the receiver.
type App struct {
	Name     string    `json:"app"`
	Versions []string  `json:"versions"`
	Spans    int64     `json:"spans"` // spans received, counting replacements
	LastSeen time.Time `json:"last_seen"`
}

// SpanStat is what the analyses read of a finished span.
type SpanStat struct {
	TraceID     spantree.TraceID
	SpanID      spantree.SpanID
	Root        bool // no parent
	Name        string
	Location    string
	App         string
	Start       time.Time
	Duration    time.Duration
	Failed      bool
	Fingerprint string // "" when the span's error was not grouped
}

// Rollup summarises the finished spans of one name, location and app that
// started in one minute. Engines write it as spans arrive, counting each span
// once: a span sent again once finished (the same trace and span ids) does
// not count twice.
type Rollup struct {
	Minute   time.Time // the start of the minute
	Name     string
	Location string
	App      string
	Count    int
	Failed   int
	// Roots and RootsFailed count the spans without a parent.
	Roots       int
	RootsFailed int
	// LastSeen is the latest end of these spans, in trace LastTraceID.
	LastSeen    time.Time
	LastTraceID spantree.TraceID
	// Max is the longest duration, in trace MaxTraceID.
	Max        time.Duration
	MaxTraceID spantree.TraceID
	Hist       Histogram
	// Fingerprints are the error groups of the failures, sorted.
	Fingerprints []string
}

// RollupMinute is the length of a [Rollup]'s time bucket.
const RollupMinute = time.Minute
