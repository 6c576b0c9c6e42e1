// Package web is the browser view of spantree: a single page, plain
// JavaScript and CSS embedded in the binary (no build step, no CDN), that
// reads the receiver's JSON API (docs/architecture.md, "HTTP API") with the
// API key the user types once, or, on a receiver that signs people in
// (package signin), with the user's session cookie and CSRF token.
//
// [Handler] serves the page under whatever prefix it is mounted at. The page
// finds the API at "../v1/" relative to itself, so it works mounted at the
// root of the receiver or one level below it:
//
//	mux.Handle("/", server.New(st, opts))
//	mux.Handle("GET /ui/", http.StripPrefix("/ui", web.Handler()))
//
// The page shows the dashboard (GET /v1/dashboard), trace lists
// (GET /v1/traces), one trace as a waterfall (GET /v1/traces/{id}), the
// error groups with their triage (GET /v1/errors, PUT /v1/errors/{fp}) and
// the health report (GET /v1/health), and for a signed-in user the keys of
// the namespace (GET, POST /v1/keys, DELETE /v1/keys/{id}) and a switch of
// namespace (PUT /v1/me). Views are addressed by the URL
// fragment (#/trace/ID), so links to them can be shared.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// assets are the embedded files by their path below static/, read once.
var assets = mustLoad()

func mustLoad() map[string]*asset {
	m, err := load(static, "static")
	if err != nil {
		panic("web: " + err.Error())
	}
	return m
}

// load reads every file below dir of fsys with its content type and an ETag
// made of its hash (embedded files have no modification time).
func load(fsys fs.FS, dir string) (map[string]*asset, error) {
	m := map[string]*asset{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, dir+"/")] = &asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assets: %w", err)
	}
	if m["index.html"] == nil {
		return nil, fmt.Errorf("load assets: no index.html in %s", dir)
	}
	return m, nil
}

// csp allows the page its own scripts, styles and API calls, and nothing
// else: the page builds its DOM from API data as text, never as HTML.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler returns the handler of the web view. Mounted with its prefix
// stripped, it serves the page at "/" (and "/index.html") and its scripts
// and styles next to it; anything else is 404. Only GET and HEAD are
// allowed. The handler is safe for concurrent use.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		name = "index.html"
	}
	a := assets[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	// Revalidate every time: the assets change with the binary, and the
	// ETag makes an unchanged one a 304.
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
