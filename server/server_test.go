package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// env is a real server on a loopback port over a fresh database.
type env struct {
	t   *testing.T
	st  *sqlite.Store
	srv *httptest.Server
	key string // of namespace "acme"
	db  string // the database file
}

func newEnv(t *testing.T, opts server.Options) *env {
	t.Helper()
	return newEnvOf(t, func(*sqlite.Store) server.Options { return opts })
}

// newEnvOf is newEnv with the server's options made from its store.
func newEnvOf(t *testing.T, options func(*sqlite.Store) server.Options) *env {
	t.Helper()
	db := filepath.Join(t.TempDir(), "test.db")
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	key, err := st.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(st, options(st)))
	t.Cleanup(func() {
		srv.Close()
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return &env{t: t, st: st, srv: srv, key: key, db: db}
}

func (e *env) client() *client.Client { return client.New(e.srv.URL, e.key) }

// do sends a request and returns the status and body.
func (e *env) do(method, path, key string, body []byte, hdr ...string) (int, string) {
	e.t.Helper()
	status, _, b := e.send(method, path, key, body, hdr...)
	return status, strings.TrimSpace(string(b))
}

// send sends a request with the key (when not empty) and the header pairs
// hdr, and returns the status, the response header and the body.
func (e *env) send(method, path, key string, body []byte, hdr ...string) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func traceID(n byte) spantree.TraceID {
	var p [16]byte
	p[0], p[15] = 0xab, n
	return spantree.TraceIDFromW3C(p, t0)
}

func spanID(n byte) spantree.SpanID { return spantree.SpanID{0, 0, 0, 0, 0, 0, 1, n} }

// span makes a finished span of trace tr.
func span(tr, id, parent byte, name string, start, dur time.Duration, failed bool) spantree.SpanData {
	d := spantree.SpanData{
		TraceID: traceID(tr), SpanID: spanID(id), Name: name, Location: name + ".go:1",
		Start: t0.Add(start), End: t0.Add(start + dur), Status: spantree.StatusSucceeded,
	}
	if parent != 0 {
		d.ParentID = spanID(parent)
	}
	if failed {
		d.Status = spantree.StatusFailed
		d.Error = &spantree.ErrorInfo{Type: "*errors.errorString", Message: "boom " + name}
	}
	return d
}

func (e *env) ingest(tags map[string]string, spans ...spantree.SpanData) {
	e.t.Helper()
	n, err := e.client().Ingest(context.Background(), spantree.Batch{Tags: tags, Spans: spans})
	if err != nil {
		e.t.Fatal(err)
	}
	if n != len(spans) {
		e.t.Fatalf("Ingest accepted %d spans; want %d", n, len(spans))
	}
}

func TestIngestBadInput(t *testing.T) {
	e := newEnv(t, server.Options{MaxBody: 4096})
	good := `{"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"0000000000000001","name":"main.main","start":"2026-11-25T10:00:00Z","end":"2026-11-25T10:00:01Z","status":"succeeded"}`
	with := func(field, value string) string {
		var m map[string]any
		json.Unmarshal([]byte(good), &m)
		if value == "" {
			delete(m, field)
		} else {
			m[field] = json.RawMessage(value)
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name   string
		body   string
		status int
		want   string // in the error message
	}{
		{"not json", `{"spans":[`, 400, "body: malformed JSON"},
		{"trailing data", `{"spans":[]} x`, 400, "body: malformed JSON"},
		{"spans not array", `{"spans":{}}`, 400, "spans: want []json.RawMessage"},
		{"no spans", `{"tags":{}}`, 400, "spans: missing"},
		{"tags wrong type", `{"tags":{"a":1},"spans":[]}`, 400, "tags: want string"},
		{"bad span id", `{"spans":[` + good + `,` + with("span_id", `"xyz"`) + `]}`, 400, "spans[1].span_id: want 16 hex characters"},
		{"span id number", `{"spans":[` + with("span_id", `12`) + `]}`, 400, "spans[0].span_id: want string"},
		{"bad trace id", `{"spans":[` + with("trace_id", `"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8!"`) + `]}`, 400, "spans[0].trace_id: want a 27-character base62 KSUID"},
		{"missing name", `{"spans":[` + with("name", "") + `]}`, 400, "spans[0].name: missing"},
		{"bad start", `{"spans":[` + with("start", `"yesterday"`) + `]}`, 400, "spans[0].start: want an RFC 3339 time"},
		{"bad status", `{"spans":[` + with("status", `"done"`) + `]}`, 400, "spans[0].status: want"},
		{"end missing", `{"spans":[` + with("end", "") + `]}`, 400, "spans[0].end: missing on a span with status succeeded"},
		{"end before start", `{"spans":[` + with("end", `"2026-11-24T10:00:00Z"`) + `]}`, 400, "spans[0].end: before start"},
		{"bad level", `{"spans":[` + with("level", `"loud"`) + `]}`, 400, "spans[0].level: want"},
		{"bad link", `{"spans":[` + with("links", `[{"trace_id":"nope"}]`) + `]}`, 400, "spans[0].links[0].trace_id"},
		{"bad handled error span", `{"spans":[` + with("handled_errors", `[{"type":"x","message":"y","span_id":"zz"}]`) + `]}`, 400, "spans[0].handled_errors[0].span_id"},
		{"too large", `{"spans":[` + strings.Repeat(good+",", 40) + good + `]}`, 413, "body: larger than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.do("POST", "/v1/spans", e.key, []byte(tt.body))
			var got struct{ Error string }
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("answer %q is not a JSON error: %v", body, err)
			}
			if status != tt.status || !strings.Contains(got.Error, tt.want) {
				t.Errorf("POST /v1/spans = %d %q; want %d with %q", status, got.Error, tt.status, tt.want)
			}
		})
	}
	// A batch with one bad span stored nothing, not even its good spans.
	list, err := e.client().Traces(context.Background(), store.TraceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("after bad batches, %d traces stored; want 0", len(list))
	}
}

func TestAuthAndNamespaces(t *testing.T) {
	e := newEnv(t, server.Options{})
	other, err := e.st.CreateKey(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	e.ingest(map[string]string{"service": "api"}, span(1, 1, 0, "main.main", 0, time.Second, false))
	id := traceID(1).String()
	tests := []struct {
		name, method, path, key string
		status                  int
	}{
		{"healthz needs no key", "GET", "/healthz", "", 200},
		{"own trace", "GET", "/v1/traces/" + id, e.key, 200},
		{"own trace by hex", "GET", "/v1/traces/" + traceID(1).Hex(), e.key, 200},
		{"no key", "GET", "/v1/traces/" + id, "", 401},
		{"wrong key", "GET", "/v1/traces/" + id, "stk_nope", 401},
		{"other namespace", "GET", "/v1/traces/" + id, other, 404},
		{"unknown trace", "GET", "/v1/traces/" + traceID(9).String(), e.key, 404},
		{"bad id", "GET", "/v1/traces/xyz", e.key, 400},
		{"ingest without key", "POST", "/v1/spans", "", 401},
		{"errors without key", "GET", "/v1/errors", "", 401},
		{"health without key", "GET", "/v1/health", "", 401},
		{"unknown endpoint", "GET", "/v1/nope", e.key, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.do(tt.method, tt.path, tt.key, nil)
			if status != tt.status {
				t.Errorf("%s %s = %d %s; want %d", tt.method, tt.path, status, body, tt.status)
			}
			if status >= 400 && !strings.HasPrefix(body, `{"error":`) {
				t.Errorf("%s %s: error body %q is not {\"error\":...}", tt.method, tt.path, body)
			}
		})
	}
	list, err := client.New(e.srv.URL, other).Traces(context.Background(), store.TraceQuery{})
	if err != nil || len(list) != 0 {
		t.Errorf("other namespace lists %d traces (err %v); want 0", len(list), err)
	}
}

func TestReplaceAndDistributedTrace(t *testing.T) {
	e := newEnv(t, server.Options{})
	ctx := context.Background()
	root := span(1, 1, 0, "main.main", 0, 3*time.Second, false)
	running := root
	running.End, running.Status = time.Time{}, spantree.StatusStarted
	child := span(1, 2, 1, "main.work", time.Second, time.Second, false)
	e.ingest(map[string]string{"service": "api"}, running, child)
	// The same trace from another process, whose KSUID has another time prefix.
	remote := span(1, 3, 2, "worker.handle", 1100*time.Millisecond, 500*time.Millisecond, false)
	remote.TraceID = spantree.TraceIDFromW3C(traceID(1).Payload(), t0.Add(time.Hour))
	e.ingest(map[string]string{"service": "worker"}, remote)
	e.ingest(map[string]string{"service": "api"}, root)
	e.ingest(map[string]string{"service": "api"}, running) // late copy of the running span
	e.ingest(map[string]string{"service": "api"}, root, child)

	for _, id := range []string{traceID(1).String(), remote.TraceID.String(), traceID(1).Hex()} {
		tr, err := e.client().Trace(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range tr.Spans {
			got = append(got, fmt.Sprintf("%s %s %v", s.Name, s.Status, s.Duration()))
		}
		want := []string{"main.main succeeded 3s", "main.work succeeded 1s", "worker.handle succeeded 500ms"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("trace %s spans (-want +got):\n%s", id, diff)
		}
		if tr.TraceID != traceID(1) {
			t.Errorf("trace %s: trace_id = %s; want the first seen, %s", id, tr.TraceID, traceID(1))
		}
	}
	list, err := e.client().Traces(ctx, store.TraceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Status != spantree.StatusSucceeded || list[0].Spans != 3 || list[0].Name != "main.main" || list[0].Duration != int64(3*time.Second) {
		t.Errorf("Traces = %+v; want one succeeded main.main of 3 spans, 3s", list)
	}
}

func TestTraceQueries(t *testing.T) {
	e := newEnv(t, server.Options{})
	ctx := context.Background()
	e.ingest(map[string]string{"service": "api", "env": "prod"},
		span(1, 1, 0, "api.get", 0, 10*time.Millisecond, false),
		span(2, 1, 0, "api.get", time.Second, 200*time.Millisecond, true),
		span(2, 2, 1, "db.query", time.Second, 150*time.Millisecond, false))
	e.ingest(map[string]string{"service": "cron", "env": "dev"}, span(3, 1, 0, "cron.run", 2*time.Second, time.Second, false))
	tests := []struct {
		q    store.TraceQuery
		want []byte // trace numbers, newest first
	}{
		{store.TraceQuery{}, []byte{3, 2, 1}},
		{store.TraceQuery{Status: spantree.StatusFailed}, []byte{2}},
		{store.TraceQuery{Name: "db.query"}, []byte{2}},
		{store.TraceQuery{Tags: map[string]string{"env": "prod"}}, []byte{2, 1}},
		{store.TraceQuery{Tags: map[string]string{"env": "prod", "service": "cron"}}, nil},
		{store.TraceQuery{MinDuration: 100 * time.Millisecond}, []byte{3, 2}},
		{store.TraceQuery{Since: t0.Add(500 * time.Millisecond)}, []byte{3, 2}},
		{store.TraceQuery{Limit: 1}, []byte{3}},
		// Traces 1 and 2 are api's runs 1 and 2, trace 3 cron's run 1.
		{store.TraceQuery{Run: 1}, []byte{3, 1}},
		{store.TraceQuery{Run: 2}, []byte{2}},
		{store.TraceQuery{Run: 1, Tags: map[string]string{"service": "api"}}, []byte{1}},
		{store.TraceQuery{Run: 3}, nil},
	}
	for _, tt := range tests {
		list, err := e.client().Traces(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for _, s := range list {
			got = append(got, s.TraceID.Payload()[15])
			if tt.q.Run != 0 && s.Run != tt.q.Run {
				t.Errorf("Traces(%+v): trace %d has run %d", tt.q, s.TraceID.Payload()[15], s.Run)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Traces(%+v) (-want +got):\n%s", tt.q, diff)
		}
	}
	// The JSON carries "run", in the list and in the trace.
	for _, path := range []string{"/v1/traces?run=2", "/v1/traces/" + traceID(2).String()} {
		if status, body := e.do("GET", path, e.key, nil); status != 200 || !strings.Contains(body, `"run":2`) {
			t.Errorf("GET %s = %d %s; want 200 with \"run\":2", path, status, body)
		}
	}
	for _, q := range []string{"status=done", "limit=0", "min_duration=fast", "tag=novalue", "since=-1h", "run=0", "run=shop%23142"} {
		status, body := e.do("GET", "/v1/traces?"+q, e.key, nil)
		if field, _, _ := strings.Cut(q, "="); status != 400 || !strings.Contains(body, field) {
			t.Errorf("GET /v1/traces?%s = %d %s; want 400 naming %s", q, status, body, field)
		}
	}
}

func TestErrorVerdicts(t *testing.T) {
	e := newEnv(t, server.Options{})
	ctx := context.Background()
	c := e.client()
	fail := func(tr byte, version string) {
		// The error starts in db.query and crosses main.main: one group.
		e.ingest(map[string]string{"service": "api", "version": version},
			span(tr, 1, 0, "main.main", 0, time.Second, true),
			span(tr, 2, 1, "db.query", 0, time.Millisecond, true))
	}
	fail(1, "1.9.0")
	fail(1, "1.9.0") // sent twice: still one occurrence
	fail(2, "1.9.0")
	groups, err := c.Errors(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Name != "db.query" || groups[0].Count != 2 || groups[0].Annotation != nil {
		t.Fatalf("Errors = %+v; want one unjudged db.query group of 2", groups)
	}
	fp := groups[0].Fingerprint
	h, err := c.Health(ctx, 100000*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != store.SeverityWarn || len(h.Apps) != 1 || h.Apps[0].Unannotated != 1 || h.Apps[0].Traces != 2 || h.Apps[0].Failed != 2 {
		t.Errorf("Health before judging = %+v; want warn, one unjudged group, 2 of 2 traces failed", h)
	}

	for _, tt := range []struct{ body, want string }{
		{`{"kind":"oops","severity":"ok"}`, "kind: want"},
		{`{"kind":"crash","severity":"meh"}`, "severity: want"},
		{`{"kind":1}`, "kind: want string"},
	} {
		if status, body := e.do("PUT", "/v1/errors/"+fp, e.key, []byte(tt.body)); status != 400 || !strings.Contains(body, tt.want) {
			t.Errorf("PUT %s = %d %s; want 400 with %q", tt.body, status, body, tt.want)
		}
	}
	if status, _ := e.do("PUT", "/v1/errors/ffff", e.key, []byte(`{"kind":"crash","severity":"ok"}`)); status != 404 {
		t.Errorf("PUT unknown fingerprint = %d; want 404", status)
	}

	g, err := c.Annotate(ctx, fp, store.Annotation{Kind: store.KindSilenced, Severity: store.SeverityOK, Note: "retried upstream"})
	if err != nil {
		t.Fatal(err)
	}
	if g.Annotation == nil || g.Annotation.Version != "1.9.0" || g.Regressed {
		t.Errorf("Annotate = %+v; want silenced at version 1.9.0", g)
	}
	fail(3, "1.9.0") // same version: inherits the verdict quietly
	tr, err := c.Trace(ctx, traceID(3).String())
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Errors) != 1 || tr.Errors[0].Annotation == nil || tr.Errors[0].Annotation.Note != "retried upstream" || tr.Errors[0].Regressed {
		t.Errorf("trace 3 errors = %+v; want the inherited verdict, not regressed", tr.Errors)
	}
	if h, _ := c.Health(ctx, 100000*time.Hour); h.Status != store.SeverityOK {
		t.Errorf("Health after silencing = %+v; want ok", h)
	}
	fail(4, "1.10.0") // newer version: regressed
	groups, _ = c.Errors(ctx, 0)
	if len(groups) != 1 || !groups[0].Regressed || groups[0].Count != 4 {
		t.Errorf("Errors after 1.10.0 = %+v; want the group regressed, count 4", groups)
	}
	h, _ = c.Health(ctx, 100000*time.Hour)
	if h.Status != store.SeverityWarn || len(h.Apps[0].RegressedErrors) != 1 {
		t.Errorf("Health after regression = %+v; want warn with one regressed group", h)
	}
	if _, err := c.Annotate(ctx, fp, store.Annotation{Kind: store.KindCrash, Severity: store.SeverityAlert}); err != nil {
		t.Fatal(err)
	}
	h, _ = c.Health(ctx, 100000*time.Hour)
	if h.Status != store.SeverityAlert || cmp.Diff([]string{fp}, h.Apps[0].AlertErrors) != "" {
		t.Errorf("Health after ALERT = %+v; want alert naming %s", h, fp)
	}
	rows, err := c.Dashboard(ctx, 100000*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Name != "db.query" || rows[0].Verdict != store.SeverityAlert || rows[0].Failed != 4 {
		t.Errorf("Dashboard = %+v; want db.query first, 4 failed, verdict alert", rows)
	}
}

func TestSlow(t *testing.T) {
	e := newEnv(t, server.Options{})
	ctx := context.Background()
	now := time.Now().Add(-time.Minute)
	var spans []spantree.SpanData
	for i := 1; i <= 100; i++ {
		s := span(byte(i), 1, 0, "api.get", 0, time.Duration(i)*time.Millisecond, false)
		s.Start, s.End = now, now.Add(time.Duration(i)*time.Millisecond)
		spans = append(spans, s)
	}
	e.ingest(map[string]string{"service": "api"}, spans...)
	got, err := e.client().Slow(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("Slow = %+v; want one span", got)
	}
	s := got[0]
	// Percentiles are estimated from a log-scale histogram: within 3%.
	// The maximum is exact.
	want := []float64{50, 95, 99, 100}
	ests := []float64{float64(s.P50) / 1e6, float64(s.P95) / 1e6, float64(s.P99) / 1e6, float64(s.Max) / 1e6}
	within := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 0.03*math.Max(a, b) })
	if diff := cmp.Diff(want, ests, within); diff != "" || s.Max != int64(100*time.Millisecond) || s.Count != 100 || s.SlowCount != 1 {
		t.Errorf("Slow p50, p95, p99, max in ms (-want +got):\n%s\nmax %v, count %d, slow %d; want 100ms, 100, 1", diff, time.Duration(s.Max), s.Count, s.SlowCount)
	}
	if len(s.Slowest) == 0 || s.Slowest[0] != spans[99].TraceID {
		t.Errorf("Slowest = %v; want %s first", s.Slowest, spans[99].TraceID)
	}
	if s.Impact <= 0 {
		t.Errorf("Impact = %v; want > 0", s.Impact)
	}
}

func TestGzip(t *testing.T) {
	e := newEnv(t, server.Options{})
	var buf bytes.Buffer
	if err := client.EncodeBatch(&buf, &spantree.Batch{Spans: []spantree.SpanData{span(1, 1, 0, "main.main", 0, time.Second, false)}}); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(buf.Bytes())
	zw.Close()
	if status, body := e.do("POST", "/v1/spans", e.key, gz.Bytes(), "Content-Encoding", "gzip"); status != 202 || body != `{"accepted":1}` {
		t.Errorf("gzip POST = %d %s; want 202 {\"accepted\":1}", status, body)
	}
	if status, body := e.do("POST", "/v1/spans", e.key, buf.Bytes(), "Content-Encoding", "gzip"); status != 400 {
		t.Errorf("POST of plain JSON marked gzip = %d %s; want 400", status, body)
	}
	if status, body := e.do("POST", "/v1/spans", e.key, buf.Bytes(), "Content-Encoding", "br"); status != 415 {
		t.Errorf("POST with Content-Encoding br = %d %s; want 415", status, body)
	}
	// A gzip bomb: small on the wire, over MaxDecoded once inflated.
	small := newEnv(t, server.Options{MaxDecoded: 1 << 20})
	var bomb bytes.Buffer
	zw = gzip.NewWriter(&bomb)
	zw.Write([]byte(`{"spans":[`))
	zw.Write(bytes.Repeat([]byte(" "), 2<<20))
	zw.Write([]byte(`]}`))
	zw.Close()
	if status, body := small.do("POST", "/v1/spans", small.key, bomb.Bytes(), "Content-Encoding", "gzip"); status != 413 {
		t.Errorf("gzip bomb = %d %s; want 413", status, body)
	}
}
