// Package client calls the receiver's HTTP API (package server) and returns
// the result types of package store. The CLI (cmd/spantree) and the terminal
// UI (package ui) use it for both a remote server (-addr, -key) and a
// database file (-db), the latter through server.Local in process, so both
// have a single data path; [Target] is the flags that choose between them.
package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spantree/spantree/alert"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// Client calls one receiver. Its fields may be set before the first call;
// it is then safe for concurrent use.
type Client struct {
	// Base is the receiver's URL, such as http://127.0.0.1:7070.
	Base string
	// Key is sent as X-API-Key.
	Key string
	// HTTP does the calls (default: a client with a 30s timeout).
	HTTP *http.Client
}

// New returns a client of the receiver at addr ("host:port" gets http://).
func New(addr, key string) *Client {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return &Client{Base: strings.TrimRight(addr, "/"), Key: key, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// NewHandler returns a client that calls h in process, with no network: for
// server.Local over a database file.
func NewHandler(h http.Handler) *Client {
	return &Client{Base: "http://local", HTTP: &http.Client{Transport: handlerTransport{h}}}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// Error is an answer other than 2xx: the status and the server's message.
type Error struct {
	Status  int    // HTTP status
	Message string // the "error" field of the body, or the body itself
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// do sends a request with a JSON (or nil) body and decodes a JSON answer
// into out (unless nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, gz bool, out any) error {
	u := c.Base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.Key != "" {
		req.Header.Set("X-API-Key", c.Key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if gz {
			req.Header.Set("Content-Encoding", "gzip")
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the receiver at %s: %w", c.Base, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return &Error{Status: resp.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// unwrapURLError drops the *url.Error layer, whose text repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// IsStatus reports whether err is a receiver's answer with the given status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Ingest posts a batch, gzip-compressed, and returns how many spans the
// receiver accepted.
func (c *Client) Ingest(ctx context.Context, b spantree.Batch) (int, error) {
	var raw bytes.Buffer
	zw := gzip.NewWriter(&raw)
	if err := EncodeBatch(zw, &b); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	var out struct {
		Accepted int `json:"accepted"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/spans", nil, raw.Bytes(), true, &out); err != nil {
		return 0, err
	}
	return out.Accepted, nil
}

// EncodeBatch writes b as the body of POST /v1/spans.
func EncodeBatch(w io.Writer, b *spantree.Batch) error {
	buf := []byte(`{"tags":`)
	tags, err := json.Marshal(b.Tags)
	if err != nil {
		return fmt.Errorf("encode tags: %w", err)
	}
	buf = append(buf, tags...)
	buf = append(buf, `,"spans":[`...)
	for i := range b.Spans {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = b.Spans[i].AppendJSON(buf)
	}
	buf = append(buf, "]}"...)
	_, err = w.Write(buf)
	return err
}

// Trace fetches a trace by KSUID or 32 hex.
func (c *Client) Trace(ctx context.Context, id string) (*store.Trace, error) {
	var t store.Trace
	if err := c.do(ctx, http.MethodGet, "/v1/traces/"+url.PathEscape(id), nil, nil, false, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Traces lists traces matching q, newest first.
func (c *Client) Traces(ctx context.Context, q store.TraceQuery) ([]store.TraceSummary, error) {
	p, err := c.TracePage(ctx, q)
	if err != nil {
		return nil, err
	}
	return p.Traces, nil
}

// TracePage lists traces matching q, newest first, with the cursor of the
// next page when this one is full.
func (c *Client) TracePage(ctx context.Context, q store.TraceQuery) (*store.TracePage, error) {
	v := url.Values{}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	if q.Name != "" {
		v.Set("name", q.Name)
	}
	for _, k := range slices.Sorted(maps.Keys(q.Tags)) {
		v.Add("tag", k+":"+q.Tags[k])
	}
	if q.MinDuration > 0 {
		v.Set("min_duration", q.MinDuration.String())
	}
	if q.Run > 0 {
		v.Set("run", strconv.FormatInt(q.Run, 10))
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Where != nil {
		v.Set("q", q.Where.String())
	}
	if q.After != nil {
		v.Set("cursor", q.After.String())
	}
	var out store.TracePage
	if err := c.do(ctx, http.MethodGet, "/v1/traces", v, nil, false, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func sinceQuery(d time.Duration) url.Values {
	if d <= 0 {
		return nil
	}
	return url.Values{"since": {d.String()}}
}

// Errors lists the error groups seen in the last since (0: all).
func (c *Client) Errors(ctx context.Context, since time.Duration) ([]store.ErrorGroup, error) {
	var out struct {
		Errors []store.ErrorGroup `json:"errors"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/errors", sinceQuery(since), nil, false, &out); err != nil {
		return nil, err
	}
	return out.Errors, nil
}

// Annotate gives an error group its verdict.
func (c *Client) Annotate(ctx context.Context, fingerprint string, a store.Annotation) (*store.ErrorGroup, error) {
	body, err := json.Marshal(map[string]string{"kind": a.Kind, "severity": a.Severity, "note": a.Note})
	if err != nil {
		return nil, err
	}
	var g store.ErrorGroup
	if err := c.do(ctx, http.MethodPut, "/v1/errors/"+url.PathEscape(fingerprint), nil, body, false, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// Slow returns the latency of each span name over the last since (0: the
// server's default, 24h).
func (c *Client) Slow(ctx context.Context, since time.Duration) ([]store.SlowSpan, error) {
	var out struct {
		Spans []store.SlowSpan `json:"spans"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/slow", sinceQuery(since), nil, false, &out); err != nil {
		return nil, err
	}
	return out.Spans, nil
}

// Health returns the health report over the last since (0: 24h).
func (c *Client) Health(ctx context.Context, since time.Duration) (*store.Health, error) {
	var h store.Health
	if err := c.do(ctx, http.MethodGet, "/v1/health", sinceQuery(since), nil, false, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Status returns each app's OK / WARN / ALERT with the reason, over the
// last since (0: 1h).
func (c *Client) Status(ctx context.Context, since time.Duration) (*store.StatusReport, error) {
	var out store.StatusReport
	if err := c.do(ctx, http.MethodGet, "/v1/status", sinceQuery(since), nil, false, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Dashboard returns the dashboard rows over the last since (0: 1h).
func (c *Client) Dashboard(ctx context.Context, since time.Duration) ([]store.DashboardRow, error) {
	var out struct {
		Rows []store.DashboardRow `json:"rows"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/dashboard", sinceQuery(since), nil, false, &out); err != nil {
		return nil, err
	}
	return out.Rows, nil
}

// Series returns the time series q selects (GET /v1/series); a zero Since
// or Until is the server's default (an hour back, now), a zero Step its
// choice.
func (c *Client) Series(ctx context.Context, q store.SeriesQuery) (*store.Series, error) {
	v := url.Values{}
	if q.App != "" {
		v.Set("app", q.App)
	}
	if q.Name != "" {
		v.Set("name", q.Name)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	if q.Step != 0 {
		v.Set("step", q.Step.String())
	}
	var s store.Series
	if err := c.do(ctx, http.MethodGet, "/v1/series", v, nil, false, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Alerts returns the namespace's alerts (GET /v1/alerts): firing first,
// then pending, then those resolved in the last hour.
func (c *Client) Alerts(ctx context.Context) ([]alert.Alert, error) {
	var out struct {
		Alerts []alert.Alert `json:"alerts"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/alerts", nil, nil, false, &out); err != nil {
		return nil, err
	}
	return out.Alerts, nil
}

// AlertRules returns the rules that apply to the namespace (GET
// /v1/alerts/rules), by id.
func (c *Client) AlertRules(ctx context.Context) ([]alert.Rule, error) {
	var out struct {
		Rules []alert.Rule `json:"rules"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/alerts/rules", nil, nil, false, &out); err != nil {
		return nil, err
	}
	return out.Rules, nil
}
