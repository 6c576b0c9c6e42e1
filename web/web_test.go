package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spantree/spantree/alert"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
	"github.com/spantree/spantree/web"
)

func TestHandlerServesAssets(t *testing.T) {
	ts := httptest.NewServer(http.StripPrefix("/ui", web.Handler()))
	defer ts.Close()
	tests := []struct {
		method, path string
		status       int
		ctype        string
		contains     string
	}{
		{"GET", "/ui/", 200, "text/html; charset=utf-8", `<script type="module" src="app.js"></script>`},
		{"GET", "/ui/index.html", 200, "text/html; charset=utf-8", `<main id="view"`},
		{"HEAD", "/ui/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/ui/app.js", 200, "text/javascript; charset=utf-8", `from "./api.js"`},
		{"GET", "/ui/api.js", 200, "text/javascript; charset=utf-8", `X-API-Key`},
		{"GET", "/ui/style.css", 200, "text/css; charset=utf-8", `.wf-row`},
		{"GET", "/ui/nope.js", 404, "text/plain; charset=utf-8", "not found"},
		{"GET", "/ui/static/app.js", 404, "text/plain; charset=utf-8", "not found"},
		{"POST", "/ui/", 405, "text/plain; charset=utf-8", "method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status {
				t.Errorf("status = %d; want %d", res.StatusCode, tt.status)
			}
			if got := res.Header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type = %q; want %q", got, tt.ctype)
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Errorf("body does not contain %q:\n%.300s", tt.contains, body)
			}
			if tt.status == 200 {
				for _, h := range []string{"ETag", "Content-Security-Policy", "X-Content-Type-Options"} {
					if res.Header.Get(h) == "" {
						t.Errorf("no %s header", h)
					}
				}
			}
		})
	}
}

func TestHandlerRevalidates(t *testing.T) {
	h := web.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/app.js", nil))
	etag := rec.Header().Get("ETag")
	if rec.Code != 200 || etag == "" {
		t.Fatalf("GET /app.js = %d, ETag %q; want 200 with an ETag", rec.Code, etag)
	}
	req := httptest.NewRequest("GET", "/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("GET /app.js with If-None-Match %s = %d; want 304", etag, rec.Code)
	}
}

// staticFiles reads web/static from disk: the same files the binary embeds.
func staticFiles(t *testing.T) map[string]string {
	t.Helper()
	entries, err := os.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("static", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

// TestReferencesResolve checks that every file the page loads (scripts,
// styles, module imports) is one the handler serves.
func TestReferencesResolve(t *testing.T) {
	files := staticFiles(t)
	refs := regexp.MustCompile(`(?:src|href)="([^"#:]+)"|from "\./([^"]+)"`)
	h := web.Handler()
	for name, text := range files {
		for _, m := range refs.FindAllStringSubmatch(text, -1) {
			ref := m[1] + m[2]
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+ref, nil))
			if rec.Code != 200 {
				t.Errorf("%s refers to %q, which the handler answers with %d", name, ref, rec.Code)
			}
		}
	}
}

// endpointRE matches the entries of ENDPOINTS in api.js.
var endpointRE = regexp.MustCompile(`"(GET|PUT|POST|DELETE|PATCH) (/[^"]*)"`)

// commentRE matches whole-line // comments, which may mention endpoints.
var commentRE = regexp.MustCompile(`(?m)^\s*//.*$`)

// jsEndpoints returns the "METHOD /path" entries of api.js's ENDPOINTS, and
// fails if any script mentions an API path outside that table.
func jsEndpoints(t *testing.T) []string {
	t.Helper()
	files := staticFiles(t)
	var eps []string
	for _, m := range endpointRE.FindAllStringSubmatch(files["api.js"], -1) {
		eps = append(eps, m[1]+" "+m[2])
	}
	if len(eps) == 0 {
		t.Fatal("no endpoints found in api.js")
	}
	for name, text := range files {
		rest := text
		if name == "api.js" {
			rest = endpointRE.ReplaceAllString(text, "")
		}
		if strings.Contains(commentRE.ReplaceAllString(rest, ""), "/v1/") {
			t.Errorf("%s mentions /v1/ outside api.js's ENDPOINTS table; add the endpoint there", name)
		}
	}
	return eps
}

// TestEndpointsExist checks every endpoint the page calls against the
// server's route table (server.Routes) and against the real server: it must
// be routed (not the server's "no such endpoint" answer, not 405) and accept
// the page's key.
func TestEndpointsExist(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "spantree.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := st.CreateKey(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	en, err := alert.New(alert.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer en.Close()
	ts := httptest.NewServer(server.New(st, server.Options{P99Refresh: -1, Alerts: en}))
	defer ts.Close()

	// Path parameters get well-formed values that name nothing: such a
	// call reaches its handler and answers 404 "not found".
	params := strings.NewReplacer("{id}", "0123456789abcdef0123456789abcdef", "{fingerprint}", "0000000000000000")
	for _, ep := range jsEndpoints(t) {
		t.Run(ep, func(t *testing.T) {
			if !slices.Contains(server.Routes(), ep) {
				t.Errorf("api.js calls %s, which is not in server.Routes", ep)
			}
			method, path, _ := strings.Cut(ep, " ")
			var body io.Reader
			switch ep {
			case "PUT /v1/errors/{fingerprint}":
				body = strings.NewReader(`{"kind":"crash","severity":"ok"}`)
			case "POST /v1/alerts/rules":
				body = strings.NewReader(`{"id":"untriaged","kind":"new_group"}`)
			}
			req, err := http.NewRequest(method, ts.URL+params.Replace(path), body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-API-Key", key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var answer struct {
				Error string `json:"error"`
			}
			b, _ := io.ReadAll(res.Body)
			_ = json.Unmarshal(b, &answer)
			if res.StatusCode == http.StatusMethodNotAllowed || strings.HasPrefix(answer.Error, "no such endpoint") ||
				res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusBadRequest {
				t.Errorf("%s %s = %d %s; want it routed and accepted", method, path, res.StatusCode, bytes.TrimSpace(b))
			}
		})
	}
}
