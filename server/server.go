// Package server is the receiver's HTTP API (docs/architecture.md, "HTTP
// API"; the routes are [Routes]): ingest of span batches, trace queries, error groups and their
// verdicts, slow spans, health and the dashboard, all JSON, all scoped to the
// namespace of the caller's X-API-Key.
//
// Errors are JSON objects {"error":"..."} naming the bad field: 400 for bad
// input, 401 for a missing or unknown key, 404 for what does not exist in the
// caller's namespace, 408 for a body not received in time, 413 for a body
// over the limit; 503 with Retry-After while the decode budget
// (Options.DecodeBudget) is taken or the database server cannot be reached
// (store.ErrUnavailable), 507 with Retry-After when the disk is
// full (store.ErrFull). Bad input never gets a 500 and is never stored in
// part. The OTLP/HTTP endpoint, POST /v1/traces,
// answers as OTLP exporters expect instead: in the request's encoding, with
// a google.rpc.Status {"code","message"} for errors.
package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spantree/spantree/alert"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/signin"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/wire"
)

// Options tune the server; the zero value is ready to use.
type Options struct {
	// MaxBody bounds a request body as sent (default 8 MiB), and
	// MaxDecoded the body after gzip decompression (default 64 MiB).
	MaxBody, MaxDecoded int64
	// DecodeBudget bounds the bytes of request bodies being read and
	// decoded at once, over all requests, each byte of a body's buffer
	// counting twice (the body and the spans decoded from it); a request
	// that finds no room gets 503 with Retry-After (default 256 MiB).
	DecodeBudget int64
	// Log receives internal errors (default: log.Default()).
	Log *log.Logger
	// P99Refresh is how often the per-span p99s that mark slow spans in a
	// trace are recomputed, in the background (default 5m; negative: never,
	// and no spans are marked).
	P99Refresh time.Duration
	// Alerts is the alert engine behind /v1/alerts (nil: those routes
	// answer 404); its series join the receiver's own on /metrics.
	Alerts *alert.Engine
	// SignIn lets the web view's signed-in users call the API with their
	// session cookie instead of a key, and serves /v1/me and /v1/keys
	// (nil: keys only, and those routes answer 404). A request with
	// X-API-Key is checked against the keys whatever its cookies.
	SignIn *signin.Auth
}

const (
	// DefaultMaxBody and DefaultMaxDecoded are the defaults of
	// Options.MaxBody and Options.MaxDecoded.
	DefaultMaxBody    = 8 << 20
	DefaultMaxDecoded = 64 << 20
	// p99Window is the history a span's own p99 is taken over.
	p99Window = 24 * time.Hour
)

type server struct {
	st   store.Store
	opts Options
	ns   func(r *http.Request) (string, error)
	mux  *http.ServeMux
	// local is set for server.Local: the in-process API of a database
	local bool

	budget *budget

	p99mu sync.Mutex
	p99   map[string]*p99Entry

	metrics *metrics // GET /metrics (metrics.go)
}

type p99Entry struct {
	m       store.P99s
	at      time.Time
	running bool
}

// New returns the HTTP API over st, every call but GET /healthz checked
// against the API keys of st.
func New(st store.Store, opts Options) http.Handler {
	s := newServer(st, opts)
	s.ns = func(r *http.Request) (string, error) {
		key := r.Header.Get("X-API-Key")
		if key != "" || opts.SignIn == nil {
			return st.Authenticate(r.Context(), key)
		}
		m, err := opts.SignIn.Member(r)
		if errors.Is(err, signin.ErrNoSession) {
			return "", store.ErrUnauthorized // as for a program without a key
		}
		if err != nil {
			return "", err
		}
		if m.Namespace == "" {
			return "", signin.ErrNoNamespace
		}
		return m.Namespace, nil
	}
	return s
}

// Local returns the HTTP API over st serving namespace with no key checks:
// for in-process use by the CLI and the terminal UI on a database file
// (`spantree ui -db PATH`), never for a listening socket.
func Local(st store.Store, namespace string) http.Handler {
	s := newServer(st, Options{})
	s.ns = func(*http.Request) (string, error) { return namespace, nil }
	s.local = true
	return s
}

func newServer(st store.Store, opts Options) *server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxDecoded <= 0 {
		opts.MaxDecoded = DefaultMaxDecoded
	}
	if opts.DecodeBudget <= 0 {
		opts.DecodeBudget = DefaultDecodeBudget
	}
	// The largest body must fit, or it would be refused for ever.
	opts.DecodeBudget = max(opts.DecodeBudget, decodeWeight*(opts.MaxDecoded+1))
	if opts.Log == nil {
		opts.Log = log.Default()
	}
	if opts.P99Refresh == 0 {
		opts.P99Refresh = 5 * time.Minute
	}
	s := &server{st: st, opts: opts, mux: http.NewServeMux(), p99: map[string]*p99Entry{}, budget: &budget{limit: opts.DecodeBudget}, metrics: newMetrics()}
	if opts.Alerts != nil {
		s.metrics.own.MustRegister(opts.Alerts.Collectors()...)
	}
	for _, rt := range routes {
		s.mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) { rt.serve(s, w, r) })
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		s.mux.ServeHTTP(w, r)
		return
	}
	s.withCharge(w, r, s.mux)
}

// httpError is an error with its status.
type httpError struct {
	status     int
	msg        string
	retryAfter string // seconds, for Retry-After; "" for none
}

func (e *httpError) Error() string { return e.msg }

func badRequest(field, format string, args ...any) error {
	return &wire.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// fail answers err with its status (see errorStatus).
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if status, msg := s.errorStatus(r, err); status != 0 {
		if r.Method == http.MethodPost {
			s.metrics.refused.WithLabelValues(strconv.Itoa(status)).Inc()
		}
		retryAfter(w, err)
		writeError(w, status, msg)
	}
}

// errorStatus returns the status and message that answer err: input errors
// say what is wrong, internal ones are logged and get a generic message.
// It returns 0 when the client went away and nobody reads the answer.
func (s *server) errorStatus(r *http.Request, err error) (int, string) {
	var fe *wire.FieldError
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest, fe.Error()
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("body: larger than %d bytes", mbe.Limit)
	case errors.Is(err, signin.ErrNoSession), errors.Is(err, signin.ErrSessionEnded):
		return http.StatusUnauthorized, err.Error()
	case errors.Is(err, signin.ErrCSRF), errors.Is(err, signin.ErrNoNamespace):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, store.ErrUnauthorized):
		return http.StatusUnauthorized, "X-API-Key: missing or unknown API key"
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, store.ErrFull):
		s.opts.Log.Printf("spantree: %s %s: %v", r.Method, r.URL.Path, err)
		return http.StatusInsufficientStorage, "storage full: nothing of this request was stored; retry later"
	case errors.Is(err, store.ErrCorrupt):
		s.opts.Log.Printf("spantree: %s %s: %v", r.Method, r.URL.Path, err)
		return http.StatusInternalServerError, "database file corrupt (see the server's log and GET /healthz)"
	case errors.Is(err, store.ErrUnavailable):
		s.opts.Log.Printf("spantree: %s %s: %v", r.Method, r.URL.Path, err)
		return http.StatusServiceUnavailable, "storage unavailable: this request was not acknowledged; retry later"
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return 0, ""
	}
	s.opts.Log.Printf("spantree: %s %s: %v", r.Method, r.URL.Path, err)
	return http.StatusInternalServerError, "internal error (see the server's log)"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// readBody reads a request body within the limits, decompressing gzip.
func (s *server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
	var rd io.Reader = body
	hint := min(r.ContentLength, s.opts.MaxBody)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, badRequest("body", "bad gzip data: %v", err)
		}
		defer zr.Close()
		rd = zr
		hint = 0
	default:
		return nil, &httpError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("Content-Encoding: %q not supported (want gzip or none)", enc)}
	}
	b, err := s.readAll(r.Context(), rd, hint, s.opts.MaxDecoded)
	if err == errBusy {
		return nil, err
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return nil, &httpError{status: http.StatusRequestTimeout, msg: "body: not received in time"}
		}
		if r.Context().Err() != nil {
			return nil, r.Context().Err()
		}
		return nil, badRequest("body", "read: %v", err)
	}
	if int64(len(b)) > s.opts.MaxDecoded {
		return nil, &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("body: larger than %d bytes once decompressed", s.opts.MaxDecoded)}
	}
	return b, nil
}

// ingest is POST /v1/spans.
func (s *server) ingest(w http.ResponseWriter, r *http.Request, ns string) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	b, err := wire.DecodeBatch(body)
	if err != nil {
		return err
	}
	n, err := s.st.Ingest(r.Context(), ns, []spantree.Batch{b})
	if err != nil {
		return err
	}
	s.metrics.ingested(ns, []spantree.Batch{b})
	writeJSON(w, http.StatusAccepted, map[string]int{"accepted": n})
	return nil
}
