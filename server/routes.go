package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/spantree/spantree/store"
)

// route is one endpoint: its [http.ServeMux] pattern and its handler.
type route struct {
	pattern string
	serve   func(s *server, w http.ResponseWriter, r *http.Request)
}

// routes is the HTTP API, in the order of its documentation; newServer
// registers exactly these, and [Routes] lists them.
var routes = []route{
	{"POST /v1/spans", keyed((*server).ingest)},
	{"POST /v1/traces", (*server).otlpHandler},
	{"GET /v1/traces/{id}", keyed((*server).trace)},
	{"GET /v1/traces", keyed((*server).traces)},
	{"GET /v1/services", keyed((*server).services)},
	{"GET /v1/errors", keyed((*server).errors)},
	{"PUT /v1/errors/{fingerprint}", keyed((*server).annotate)},
	{"GET /v1/slow", keyed((*server).slow)},
	{"GET /v1/health", keyed((*server).health)},
	{"GET /v1/dashboard", keyed((*server).dashboard)},
	{"GET /v1/series", keyed((*server).series)},
	{"GET /healthz", (*server).healthz},
	{"GET /metrics", (*server).metricsHandler},
	{"GET /v1/status", keyed((*server).status)},
	{"GET /v1/alerts/rules", keyed((*server).alertRules)},
	{"POST /v1/alerts/rules", keyed((*server).setAlertRule)},
	{"DELETE /v1/alerts/rules/{id}", keyed((*server).deleteAlertRule)},
	{"GET /v1/alerts", keyed((*server).alertList)},
	{"GET /v1/me", signedIn((*server).me)},
	{"PUT /v1/me", signedIn((*server).setMe)},
	{"GET /v1/keys", signedIn((*server).keyList)},
	{"POST /v1/keys", signedIn((*server).createKey)},
	{"DELETE /v1/keys/{id}", signedIn((*server).revokeKey)},
}

// Routes returns the endpoints of the HTTP API as "METHOD /path" patterns
// ([http.ServeMux] syntax, such as "GET /v1/traces/{id}"). The server answers
// exactly these (anything else gets 404 "no such endpoint"); the tests of
// the clients, the web page and the architecture document check themselves
// against this one list.
func Routes() []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = rt.pattern
	}
	return out
}

// keyed adapts an endpoint that works in the namespace of the caller's key.
func keyed(h func(s *server, w http.ResponseWriter, r *http.Request, ns string) error) func(*server, http.ResponseWriter, *http.Request) {
	return func(s *server, w http.ResponseWriter, r *http.Request) {
		ns, err := s.ns(r)
		if err == nil {
			err = h(s, w, r, ns)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	}
}

// readiness is what a store may tell of its ability to take writes (the
// SQLite and ClickHouse stores do: see sqlite.Store.Ready and
// clickhouse.Store.Ready).
type readiness interface {
	Ready(ctx context.Context) error
}

// healthz is GET /healthz, with no key: 200 {"ok":true}, or 503
// {"ok":false,"error":"..."} while the store cannot take writes (a full
// disk, a damaged file).
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	if rd, ok := s.st.(readiness); ok {
		if err := rd.Ready(r.Context()); err != nil {
			// The reason without the file's path: no key is needed here.
			reason := "store not ready (see the server's log)"
			switch {
			case errors.Is(err, store.ErrFull):
				w.Header().Set("Retry-After", fullRetryAfter)
				reason = "storage full: writes fail for want of disk space"
			case errors.Is(err, store.ErrCorrupt):
				reason = "database file corrupt (see the server's log)"
			case errors.Is(err, store.ErrUnavailable):
				w.Header().Set("Retry-After", unavailableRetryAfter)
				reason = "storage unavailable: the database server cannot be reached"
			}
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": reason})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
