package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// HTTP is a [Backend] speaking the receiver's HTTP API (DESIGN.md, "HTTP API").
// The zero value is not usable: set Base, and Key unless the handler behind
// Client checks none.
type HTTP struct {
	Base   string       // "http://127.0.0.1:7070"; a bare host:port gets http://
	Key    string       // sent as X-API-Key
	Client *http.Client // nil: a client with a 10s timeout
}

var _ Backend = (*HTTP)(nil)

// maxBody bounds what the UI reads from one answer.
const maxBody = 64 << 20

var defaultClient = &http.Client{Timeout: 10 * time.Second}

func (h *HTTP) base() string {
	b := strings.TrimRight(h.Base, "/")
	if !strings.Contains(b, "://") {
		b = "http://" + b
	}
	return b
}

// do sends one request and decodes a JSON answer into out (if not nil).
func (h *HTTP) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	u := h.base() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if h.Key != "" {
		req.Header.Set("X-API-Key", h.Key)
	}
	c := h.Client
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the receiver at %s: %w", h.base(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("read %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return &Error{Status: resp.StatusCode, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
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

func sinceValues(since time.Duration) url.Values {
	q := url.Values{}
	if since > 0 {
		q.Set("since", since.String())
	}
	return q
}

// Dashboard implements [Backend]: GET /v1/dashboard.
func (h *HTTP) Dashboard(ctx context.Context, since time.Duration) ([]Row, error) {
	var out struct {
		Rows []Row `json:"rows"`
	}
	if err := h.do(ctx, http.MethodGet, "/v1/dashboard", sinceValues(since), nil, &out); err != nil {
		return nil, err
	}
	return out.Rows, nil
}

// Traces implements [Backend]: GET /v1/traces.
func (h *HTTP) Traces(ctx context.Context, tq TraceQuery) ([]TraceSummary, error) {
	q := sinceValues(tq.Since)
	if tq.Status != "" {
		q.Set("status", tq.Status)
	}
	if tq.Name != "" {
		q.Set("name", tq.Name)
	}
	for _, t := range tq.Tags {
		q.Add("tag", t)
	}
	if tq.MinDuration > 0 {
		q.Set("min_duration", tq.MinDuration.String())
	}
	if tq.Limit > 0 {
		q.Set("limit", strconv.Itoa(tq.Limit))
	}
	var out struct {
		Traces []TraceSummary `json:"traces"`
	}
	if err := h.do(ctx, http.MethodGet, "/v1/traces", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Traces, nil
}

// Trace implements [Backend]: GET /v1/traces/{id}.
func (h *HTTP) Trace(ctx context.Context, id string) (*Trace, error) {
	var t Trace
	if err := h.do(ctx, http.MethodGet, "/v1/traces/"+url.PathEscape(id), nil, nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Errors implements [Backend]: GET /v1/errors.
func (h *HTTP) Errors(ctx context.Context, since time.Duration) ([]ErrorGroup, error) {
	var out struct {
		Errors []ErrorGroup `json:"errors"`
	}
	if err := h.do(ctx, http.MethodGet, "/v1/errors", sinceValues(since), nil, &out); err != nil {
		return nil, err
	}
	return out.Errors, nil
}

// Annotate implements [Backend]: PUT /v1/errors/{fingerprint}.
func (h *HTTP) Annotate(ctx context.Context, fingerprint string, a Annotation) (*ErrorGroup, error) {
	var g ErrorGroup
	if err := h.do(ctx, http.MethodPut, "/v1/errors/"+url.PathEscape(fingerprint), nil, a, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// handlerTransport is an [http.RoundTripper] that serves every request with
// an in-process handler: `spantree ui -db PATH` talks to server.Local this
// way, with no port opened.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	t.h.ServeHTTP(rec, req)
	return &http.Response{
		Status:        strconv.Itoa(rec.code) + " " + http.StatusText(rec.code),
		StatusCode:    rec.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// recorder is the minimal [http.ResponseWriter] behind handlerTransport.
type recorder struct {
	header      http.Header
	code        int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.code, r.wroteHeader = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
