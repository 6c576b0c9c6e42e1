package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spantree/spantree/query"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/wire"
)

// since reads the since= parameter: a duration back from now ("15m") or an
// RFC 3339 time; def when absent.
func since(r *http.Request, now time.Time, def time.Duration) (time.Time, error) {
	return timeParam(r, "since", now, def)
}

// timeParam reads a time parameter (since=, until=): a duration back from
// now or an RFC 3339 time; def back from now when absent (0: the zero time).
func timeParam(r *http.Request, name string, now time.Time, def time.Duration) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if def == 0 {
			return time.Time{}, nil
		}
		return now.Add(-def), nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		if d <= 0 {
			return time.Time{}, badRequest(name, "want a positive duration such as 1h, got %q", v)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badRequest(name, "want a duration such as 1h or an RFC 3339 time, got %.40q", v)
	}
	return t, nil
}

// trace is GET /v1/traces/{id}.
func (s *server) trace(w http.ResponseWriter, r *http.Request, ns string) error {
	id, err := wire.ParseTraceID(r.PathValue("id"))
	if err != nil {
		return badRequest("id", "%v", err)
	}
	t, err := s.st.Trace(r.Context(), ns, id)
	if err != nil {
		return err
	}
	if m := s.p99s(ns); m != nil {
		t.SlowSpans = m.SlowSpans(t)
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// p99s returns the namespace's per-span p99s, recomputing them in the
// background when they are older than P99Refresh; until the first
// computation ends it returns nil and no span is marked.
func (s *server) p99s(ns string) store.P99s {
	if s.opts.P99Refresh < 0 {
		return nil
	}
	s.p99mu.Lock()
	defer s.p99mu.Unlock()
	e := s.p99[ns]
	if e == nil {
		e = &p99Entry{}
		s.p99[ns] = e
	}
	if !e.running && time.Since(e.at) > s.opts.P99Refresh {
		e.running = true
		go func() {
			now := time.Now()
			m, err := store.SpanP99s(context.Background(), s.st, ns, now.Add(-p99Window), now)
			if err != nil {
				s.opts.Log.Printf("spantree: p99s of %q: %v", ns, err)
			}
			s.p99mu.Lock()
			defer s.p99mu.Unlock()
			e.running, e.at = false, now
			if err == nil {
				e.m = m
			}
		}()
	}
	return e.m
}

// traces is GET /v1/traces.
func (s *server) traces(w http.ResponseWriter, r *http.Request, ns string) error {
	q := r.URL.Query()
	var tq store.TraceQuery
	switch st := spantree.Status(q.Get("status")); st {
	case "", spantree.StatusStarted, spantree.StatusSucceeded, spantree.StatusFailed:
		tq.Status = st
	default:
		return badRequest("status", `want "started", "succeeded" or "failed", got %.20q`, st)
	}
	tq.Name = q.Get("name")
	for _, kv := range q["tag"] {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || k == "" {
			return badRequest("tag", "want key:value, got %.40q", kv)
		}
		if tq.Tags == nil {
			tq.Tags = map[string]string{}
		}
		tq.Tags[k] = v
	}
	if v := q.Get("min_duration"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return badRequest("min_duration", "want a duration such as 100ms, got %.40q", v)
		}
		tq.MinDuration = d
	}
	if v := q.Get("run"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return badRequest("run", "want a run number from 1, got %.20q", v)
		}
		tq.Run = n
	}
	now := time.Now()
	var err error
	if tq.Since, err = since(r, now, 0); err != nil {
		return err
	}
	if tq.Until, err = timeParam(r, "until", now, 0); err != nil {
		return err
	}
	tq.Limit = store.DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > store.MaxLimit {
			return badRequest("limit", "want a number from 1 to %d, got %.20q", store.MaxLimit, v)
		}
		tq.Limit = n
	}
	if tq.Where, err = query.Parse(q.Get("q")); err != nil {
		return badRequest("q", "%v", err)
	}
	if v := q.Get("cursor"); v != "" {
		if tq.After, err = store.ParseCursor(v); err != nil {
			return badRequest("cursor", "%v", err)
		}
	}
	list, err := s.st.Traces(r.Context(), ns, tq)
	if err != nil {
		return err
	}
	out := store.TracePage{Traces: list}
	if len(list) == tq.Limit { // a full page: there may be more
		out.NextCursor = store.CursorAt(&list[len(list)-1]).String()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// services is GET /v1/services: the search pickers' services and span
// names with their calls.
func (s *server) services(w http.ResponseWriter, r *http.Request, ns string) error {
	now := time.Now()
	from, err := since(r, now, 24*time.Hour)
	if err != nil {
		return err
	}
	list, err := store.Services(r.Context(), s.st, ns, from, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"services": list})
	return nil
}

// errors is GET /v1/errors.
func (s *server) errors(w http.ResponseWriter, r *http.Request, ns string) error {
	from, err := since(r, time.Now(), 0)
	if err != nil {
		return err
	}
	groups, err := s.st.ErrorGroups(r.Context(), ns, from)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"errors": groups})
	return nil
}

// annotate is PUT /v1/errors/{fingerprint}.
func (s *server) annotate(w http.ResponseWriter, r *http.Request, ns string) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var a store.Annotation
	if err := wire.Unmarshal(body, &a, ""); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	g, err := s.st.Annotate(r.Context(), ns, r.PathValue("fingerprint"), store.Annotation{Kind: a.Kind, Severity: a.Severity, Note: a.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

// slow is GET /v1/slow.
func (s *server) slow(w http.ResponseWriter, r *http.Request, ns string) error {
	now := time.Now()
	from, err := since(r, now, 24*time.Hour)
	if err != nil {
		return err
	}
	list, err := store.Slow(r.Context(), s.st, ns, from, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"spans": list})
	return nil
}

// health is GET /v1/health.
func (s *server) health(w http.ResponseWriter, r *http.Request, ns string) error {
	now := time.Now()
	from, err := since(r, now, 24*time.Hour)
	if err != nil {
		return err
	}
	h, err := store.ComputeHealth(r.Context(), s.st, ns, from, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

// dashboard is GET /v1/dashboard.
func (s *server) dashboard(w http.ResponseWriter, r *http.Request, ns string) error {
	now := time.Now()
	from, err := since(r, now, time.Hour)
	if err != nil {
		return err
	}
	rows, err := store.Dashboard(r.Context(), s.st, ns, from, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rows": rows})
	return nil
}
