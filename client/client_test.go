package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
)

// traceA is the trace the receiver double knows.
const traceA = "2JZqQbHJxyBDEqWcFgCkgFXsyq7"

// receiverDouble answers like the receiver's HTTP API, with its wire shapes,
// and records the requests.
func receiverDouble(t *testing.T, key string) (http.Handler, *[]string) {
	var seen []string
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, v string) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, v)
	}
	mux.HandleFunc("GET /v1/dashboard", func(w http.ResponseWriter, r *http.Request) {
		write(w, `{"rows":[{"name":"shop.charge","location":"shop/pay.go:44","app":"shop","count":3,"failed":1,
			"last_seen":"2026-11-25T11:59:00Z","p50_ns":1000,"p95_ns":2000,"max_ns":3000,"last_trace_id":"`+traceA+`",
			"fingerprints":["fp-panic"],"verdict":"alert"}]}`)
	})
	mux.HandleFunc("GET /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		write(w, `{"traces":[{"trace_id":"`+traceA+`","hex":"5995860cd1be4cda9a575caa146c8d8f","name":"shop.(*Server).Checkout",
			"app":"shop","start":"2026-11-25T11:58:30Z","duration_ns":120000000,"status":"failed","spans":7,"errors":3,"tags":{"service":"shop"}}]}`)
	})
	mux.HandleFunc("GET /v1/traces/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != traceA {
			w.WriteHeader(http.StatusNotFound)
			write(w, `{"error":"trace `+r.PathValue("id")+` not found"}`)
			return
		}
		write(w, `{"trace_id":"`+traceA+`","hex":"5995860cd1be4cda9a575caa146c8d8f","tags":{"service":"shop"},
			"spans":[{"trace_id":"`+traceA+`","span_id":"0000000000000001","name":"shop.(*Server).Checkout","location":"shop/server.go:40",
			"start":"2026-11-25T11:58:30Z","end":"2026-11-25T11:58:30.12Z","status":"failed","error":{"type":"*errors.errorString","message":"declined"}}],
			"slow_spans":["0000000000000001"],"errors":[{"span_id":"0000000000000001","fingerprint":"fp-declined"}]}`)
	})
	mux.HandleFunc("GET /v1/errors", func(w http.ResponseWriter, r *http.Request) {
		write(w, `{"errors":[{"fingerprint":"fp-panic","grouping_version":1,"type":"*errors.errorString","message":"declined",
			"name":"shop.charge","location":"shop/pay.go:44","app":"shop","first_seen":"2026-11-25T07:00:00Z","last_seen":"2026-11-25T11:58:29Z",
			"count":12,"last_trace_id":"`+traceA+`","annotation":{"kind":"crash","severity":"alert","note":"PAY-12","updated":"2026-11-25T08:00:00Z"},"regressed":false}]}`)
	})
	mux.HandleFunc("PUT /v1/errors/{fp}", func(w http.ResponseWriter, r *http.Request) {
		var a store.Annotation
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil || (a.Kind != "crash" && a.Kind != "silenced") {
			w.WriteHeader(http.StatusBadRequest)
			write(w, `{"error":"kind: want \"crash\" or \"silenced\""}`)
			return
		}
		b, _ := json.Marshal(store.ErrorGroup{Fingerprint: r.PathValue("fp"), Annotation: &a})
		write(w, string(b))
	})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.RequestURI())
		if key != "" && r.Header.Get("X-API-Key") != key {
			w.WriteHeader(http.StatusUnauthorized)
			write(w, `{"error":"missing or unknown API key"}`)
			return
		}
		mux.ServeHTTP(w, r)
	})
	return h, &seen
}

func mustTraceID(s string) spantree.TraceID {
	id, err := spantree.ParseTraceID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// TestClient checks each call against a receiver over a socket and in
// process (the -db path), the queries sent and the shapes decoded.
func TestClient(t *testing.T) {
	h, seen := receiverDouble(t, "k1")
	srv := httptest.NewServer(h)
	defer srv.Close()
	inProcess := NewHandler(h)
	inProcess.Key = "k1"
	for _, c := range []*Client{
		New(srv.URL, "k1"),
		New(strings.TrimPrefix(srv.URL, "http://"), "k1"), // a bare host:port
		inProcess,
	} {
		t.Run(c.Base, func(t *testing.T) {
			*seen = nil
			ctx := context.Background()
			rows, err := c.Dashboard(ctx, 15*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			wantRow := store.DashboardRow{Name: "shop.charge", Location: "shop/pay.go:44", App: "shop", Count: 3, Failed: 1,
				LastSeen: time.Date(2026, 11, 25, 11, 59, 0, 0, time.UTC), P50: 1000, P95: 2000, Max: 3000,
				LastTraceID: mustTraceID(traceA), Fingerprints: []string{"fp-panic"}, Verdict: "alert"}
			if diff := cmp.Diff([]store.DashboardRow{wantRow}, rows); diff != "" {
				t.Errorf("Dashboard (-want +got):\n%s", diff)
			}
			list, err := c.Traces(ctx, store.TraceQuery{Status: spantree.StatusFailed, Name: "shop.charge",
				Tags:        map[string]string{"service": "shop", "env": "prod"},
				MinDuration: 100 * time.Millisecond, Since: time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC), Run: 7, Limit: 50})
			if err != nil || len(list) != 1 || list[0].Errors != 3 || list[0].Duration != 120e6 {
				t.Errorf("Traces = %+v, %v; want one failed trace with 3 errors", list, err)
			}
			tr, err := c.Trace(ctx, traceA)
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Spans) != 1 || tr.Spans[0].Error == nil || tr.Errors[0].Fingerprint != "fp-declined" || tr.SlowSpans[0] != (spantree.SpanID{7: 1}) {
				t.Errorf("Trace = %+v; want one failed span grouped as fp-declined and slow", tr)
			}
			_, err = c.Trace(ctx, "2JZqQbHJxyBDEqWcFgCkgFXsyq9")
			if !IsStatus(err, http.StatusNotFound) {
				t.Errorf("Trace(unknown) error = %v; want a 404", err)
			}
			gs, err := c.Errors(ctx, 0)
			if err != nil || len(gs) != 1 || gs[0].Annotation == nil || gs[0].Annotation.Note != "PAY-12" {
				t.Errorf("Errors = %+v, %v; want one annotated group", gs, err)
			}
			g, err := c.Annotate(ctx, "fp-panic", store.Annotation{Kind: "silenced", Severity: "ok"})
			if err != nil || g.Annotation.Kind != "silenced" {
				t.Errorf("Annotate = %+v, %v; want the group silenced", g, err)
			}
			_, err = c.Annotate(ctx, "fp-panic", store.Annotation{Kind: "bogus"})
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 || !strings.Contains(e.Message, "kind") {
				t.Errorf("Annotate(bad kind) error = %v; want a 400 naming the field", err)
			}
			want := []string{
				"GET /v1/dashboard?since=15m0s",
				"GET /v1/traces?limit=50&min_duration=100ms&name=shop.charge&run=7&since=2026-11-25T11%3A00%3A00Z&status=failed&tag=env%3Aprod&tag=service%3Ashop",
				"GET /v1/traces/" + traceA,
				"GET /v1/traces/2JZqQbHJxyBDEqWcFgCkgFXsyq9",
				"GET /v1/errors",
				"PUT /v1/errors/fp-panic",
				"PUT /v1/errors/fp-panic",
			}
			if diff := cmp.Diff(want, *seen); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClientErrors checks the errors of a refused key and an unreachable
// receiver.
func TestClientErrors(t *testing.T) {
	h, _ := receiverDouble(t, "right")
	srv := httptest.NewServer(h)
	defer srv.Close()
	closed := httptest.NewServer(h)
	closed.Close()
	tests := []struct {
		name string
		c    *Client
		want string
	}{
		{"wrong key", New(srv.URL, "wrong"), "401 Unauthorized: missing or unknown API key"},
		{"no key", New(srv.URL, ""), "401 Unauthorized: missing or unknown API key"},
		{"unreachable", New(closed.URL, "right"), "cannot reach the receiver at " + closed.URL + ": dial tcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Dashboard(context.Background(), time.Hour)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Dashboard error = %v; want it to start with %q", err, tt.want)
			}
		})
	}
}

// TestClientRoutes calls every method of the client against a mux that
// routes exactly server.Routes, so a path the server does not serve fails.
func TestClientRoutes(t *testing.T) {
	mux := http.NewServeMux()
	var used []string
	for _, rt := range server.Routes() {
		mux.HandleFunc(rt, func(w http.ResponseWriter, r *http.Request) {
			used = append(used, r.Pattern)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{}`)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("%s %s is not in server.Routes", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	c := NewHandler(mux)
	ctx := context.Background()
	if _, err := c.Ingest(ctx, spantree.Batch{}); err != nil {
		t.Error(err)
	}
	if _, err := c.Trace(ctx, traceA); err != nil {
		t.Error(err)
	}
	if _, err := c.Traces(ctx, store.TraceQuery{}); err != nil {
		t.Error(err)
	}
	if _, err := c.Errors(ctx, 0); err != nil {
		t.Error(err)
	}
	if _, err := c.Annotate(ctx, "fp", store.Annotation{Kind: "crash", Severity: "ok"}); err != nil {
		t.Error(err)
	}
	if _, err := c.Slow(ctx, 0); err != nil {
		t.Error(err)
	}
	if _, err := c.Health(ctx, 0); err != nil {
		t.Error(err)
	}
	if _, err := c.Dashboard(ctx, 0); err != nil {
		t.Error(err)
	}
	if len(used) != 8 {
		t.Errorf("the client's methods reached %q; want 8 routes", used)
	}
}
