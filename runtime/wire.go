package spantree

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"
)

// SpanData is one span as it travels on the wire: the JSON object of the
// contract in docs/architecture.md, one per line in json sinks and in the "spans" array
// of a receiver batch. Fields may be added; none may change meaning.
type SpanData struct {
	TraceID       TraceID        `json:"trace_id"`
	SpanID        SpanID         `json:"span_id"`
	ParentID      SpanID         `json:"parent_id,omitzero"`
	Name          string         `json:"name"`
	Location      string         `json:"location"`
	Start         time.Time      `json:"start"`
	End           time.Time      `json:"end,omitzero"`
	Status        Status         `json:"status"`
	Error         *ErrorInfo     `json:"error,omitempty"`
	HandledErrors []ErrorInfo    `json:"handled_errors,omitempty"`
	Level         Level          `json:"level,omitempty"`
	Attrs         map[string]any `json:"attrs,omitempty"`
	Events        []Event        `json:"events,omitempty"`
	Links         []Link         `json:"links,omitempty"`
	Goroutine     bool           `json:"goroutine,omitempty"`
	Fold          *Fold          `json:"fold,omitempty"`
	// Kind is the OpenTelemetry span kind when it is not internal: "server"
	// for the root span of a request handler. An added field.
	Kind SpanKind `json:"kind,omitempty"`
	// Service is the service (the "service" tag) of the process that
	// recorded the span. The runtime leaves it empty, since its batches
	// carry their process's tags once; the receiver fills it in the traces
	// it serves, where the spans of one trace may come from several
	// processes. An added field.
	Service string `json:"service,omitempty"`
}

// SpanKind is the role of a span in a remote call, as OpenTelemetry names it.
type SpanKind string

// Span kinds; the zero value means internal.
const (
	KindServer SpanKind = "server"
	KindClient SpanKind = "client"
)

// Duration is End-Start, or zero while the span runs.
func (d *SpanData) Duration() time.Duration {
	if d.End.IsZero() {
		return 0
	}
	return d.End.Sub(d.Start)
}

// Status is the state of a span: started while it runs, then succeeded or failed.
type Status string

// The statuses of the wire contract.
const (
	StatusStarted   Status = "started"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
)

// Level is the severity of a span or an event.
type Level string

// The levels of the wire contract, lowest first.
const (
	LevelDebug Level = "debug"
	LevelInfo  Level = "info"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
)

// Rank orders levels: debug < info < warn < error; unknown levels rank 0.
func (l Level) Rank() int {
	switch l {
	case LevelDebug:
		return 1
	case LevelInfo:
		return 2
	case LevelWarn:
		return 3
	case LevelError:
		return 4
	}
	return 0
}

// ErrorInfo describes an error a span returned (SpanData.Error) or one it
// handled (SpanData.HandledErrors, where SpanID names the child that returned it).
type ErrorInfo struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Panic   bool   `json:"panic,omitempty"`
	Stack   string `json:"stack,omitempty"`
	SpanID  SpanID `json:"span_id,omitzero"`
}

// Event is a point in time inside a span, such as a log record.
type Event struct {
	Time  time.Time      `json:"time"`
	Level Level          `json:"level,omitempty"`
	Msg   string         `json:"msg"`
	Attrs map[string]any `json:"attrs,omitempty"`
}

// Link ties a span to another span, in this trace or another: the launcher of a
// server's request trace, or the producer of a message (Ref).
type Link struct {
	TraceID TraceID `json:"trace_id"`
	SpanID  SpanID  `json:"span_id,omitzero"`
	Ref     string  `json:"ref,omitempty"`
}

// Fold summarises Count fast calls of one function under one parent that were
// folded into a single span.
type Fold struct {
	Count   int64 `json:"count"`
	TotalNS int64 `json:"total_ns"`
	MinNS   int64 `json:"min_ns"`
	MaxNS   int64 `json:"max_ns"`
}

// Batch is what a process sends to the receiver: POST /v1/spans.
type Batch struct {
	Tags  map[string]string `json:"tags,omitempty"`
	Spans []SpanData        `json:"spans"`
}

// SpanID is 8 random bytes, written as 16 lowercase hex characters.
type SpanID [8]byte

// IsZero reports whether id is unset (a root span's parent).
func (id SpanID) IsZero() bool { return id == SpanID{} }

func (id SpanID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText writes id as 16 hex characters.
func (id SpanID) MarshalText() ([]byte, error) {
	b := make([]byte, 16)
	hex.Encode(b, id[:])
	return b, nil
}

// UnmarshalText reads 16 hex characters.
func (id *SpanID) UnmarshalText(b []byte) error {
	v, err := ParseSpanID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseSpanID reads 16 hex characters.
func ParseSpanID(s string) (SpanID, error) {
	var id SpanID
	if len(s) != 16 {
		return id, fmt.Errorf("span id %q: want 16 hex characters, got %d", s, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("span id %q: %w", s, err)
	}
	return id, nil
}

// ksuidEpoch is the KSUID time origin (2014-05-13T16:53:20Z) in Unix seconds.
const ksuidEpoch = 1400000000

// TraceID is a KSUID: a 4-byte big-endian timestamp (seconds since the KSUID
// epoch) followed by a 16-byte payload. The payload is the W3C / OTLP trace id,
// so a trace is found by either its 27-character base62 form or 32 hex.
type TraceID [20]byte

// NewTraceID returns a trace id stamped with t and a random payload.
func NewTraceID(t time.Time) TraceID {
	var id TraceID
	putTimestamp(&id, t)
	// The runtime's ChaCha8 generator, seeded from the system's entropy per
	// thread: unpredictable, and without crypto/rand's system call per trace.
	a, b := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		id[4+i], id[12+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	return id
}

// TraceIDFromW3C returns the trace id with the given 16-byte payload and a
// timestamp of t (the time prefix does not take part in identity).
func TraceIDFromW3C(payload [16]byte, t time.Time) TraceID {
	var id TraceID
	putTimestamp(&id, t)
	copy(id[4:], payload[:])
	return id
}

func putTimestamp(id *TraceID, t time.Time) {
	ts := uint32(t.Unix() - ksuidEpoch)
	id[0], id[1], id[2], id[3] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
}

// Payload is the 16-byte W3C trace id.
func (id TraceID) Payload() [16]byte {
	var p [16]byte
	copy(p[:], id[4:])
	return p
}

// Hex is the payload as 32 lowercase hex characters (the W3C / OTLP form).
func (id TraceID) Hex() string { return hex.EncodeToString(id[4:]) }

// Time is the second the trace id was stamped with.
func (id TraceID) Time() time.Time {
	ts := uint32(id[0])<<24 | uint32(id[1])<<16 | uint32(id[2])<<8 | uint32(id[3])
	return time.Unix(int64(ts)+ksuidEpoch, 0).UTC()
}

// IsZero reports whether id is unset.
func (id TraceID) IsZero() bool { return id == TraceID{} }

// String is the 27-character base62 KSUID.
func (id TraceID) String() string { return string(id.appendBase62(make([]byte, 0, 27))) }

// MarshalText writes the 27-character KSUID.
func (id TraceID) MarshalText() ([]byte, error) { return id.appendBase62(make([]byte, 0, 27)), nil }

// UnmarshalText reads a 27-character KSUID or 32 hex characters.
func (id *TraceID) UnmarshalText(b []byte) error {
	v, err := ParseTraceID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ParseTraceID reads a 27-character base62 KSUID, or 32 hex characters (a
// W3C trace id, which gets a zero time prefix).
func ParseTraceID(s string) (TraceID, error) {
	var id TraceID
	switch len(s) {
	case 32:
		var p [16]byte
		if _, err := hex.Decode(p[:], []byte(s)); err != nil {
			return id, fmt.Errorf("trace id %q: %w", s, err)
		}
		copy(id[4:], p[:])
		return id, nil
	case 27:
		// Base62 to base 2^32, most significant digit first.
		var parts [5]uint64
		for i := 0; i < 27; i++ {
			d := base62Digit(s[i])
			if d < 0 {
				return id, fmt.Errorf("trace id %q: invalid character %q at %d", s, s[i], i)
			}
			carry := uint64(d)
			for j := 4; j >= 0; j-- {
				v := parts[j]*62 + carry
				parts[j] = v & 0xffffffff
				carry = v >> 32
			}
			if carry != 0 {
				return id, fmt.Errorf("trace id %q: value out of range", s)
			}
		}
		for j, p := range parts {
			id[4*j], id[4*j+1], id[4*j+2], id[4*j+3] = byte(p>>24), byte(p>>16), byte(p>>8), byte(p)
		}
		return id, nil
	}
	return id, fmt.Errorf("trace id %q: want a 27-character KSUID or 32 hex characters, got %d characters", s, len(s))
}

func base62Digit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 36
	}
	return -1
}

func (id TraceID) appendBase62(dst []byte) []byte {
	// The 160-bit number (five 32-bit words) is divided by 62^5 six times,
	// each remainder giving five digits: 30 word divisions instead of the
	// 135 that digit-by-digit division takes.
	const d5 = 62 * 62 * 62 * 62 * 62
	var parts [5]uint32
	for j := range parts {
		parts[j] = uint32(id[4*j])<<24 | uint32(id[4*j+1])<<16 | uint32(id[4*j+2])<<8 | uint32(id[4*j+3])
	}
	var out [30]byte // 27 digits, and room for the last round's three leading zeros
	for i := len(out) - 1; i >= 0; i -= 5 {
		var rem uint64
		for j := range parts {
			v := rem<<32 | uint64(parts[j])
			parts[j] = uint32(v / d5)
			rem = v % d5
		}
		for k := 0; k < 5; k++ {
			out[i-k] = base62[rem%62]
			rem /= 62
		}
	}
	return append(dst, out[3:]...)
}
