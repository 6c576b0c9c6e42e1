package signin

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// provider is an OpenID provider for the tests of what the receiver
// refuses: it signs whatever ID token a case asks for (another issuer,
// another audience, a wrong nonce), which no real provider would. The
// sign-in against a real provider, Ory Hydra, is web's TestSignInHydra.
type provider struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu    sync.Mutex
	codes map[string]grant // code -> what it was issued for
	// claims edits the ID token's claims of the next token request.
	claims func(c map[string]any)
}

type grant struct{ challenge, nonce string }

func newProvider(t *testing.T) *provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{key: key, codes: map[string]grant{}, claims: func(map[string]any) {}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// authorize is what the provider does with the browser sent to it: a code
// for the request's challenge and nonce, and the redirect back.
func (p *provider) authorize(t *testing.T, authURL string) (code, state string) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Fatalf("authorize URL %s: want a PKCE S256 challenge", authURL)
	}
	if q.Get("nonce") == "" || q.Get("state") == "" || q.Get("client_id") != "spantree" {
		t.Fatalf("authorize URL %s: want client_id, state and nonce", authURL)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	code = fmt.Sprintf("code%d", len(p.codes))
	p.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
	return code, q.Get("state")
}

// token redeems a code whose PKCE verifier matches its challenge.
func (p *provider) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	p.mu.Lock()
	g, ok := p.codes[r.Form.Get("code")]
	delete(p.codes, r.Form.Get("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
	if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant"}`)
		return
	}
	claims := map[string]any{"iss": p.srv.URL, "aud": "spantree", "sub": "u1", "nonce": g.nonce,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix(), "email": "Ann@Example.com", "email_verified": true}
	p.claims(claims)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		panic(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	idt, _ := jws.CompactSerialize()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "id_token": idt})
}

func newAuth(t *testing.T, p *provider, public string, edit func(*Config)) (*Auth, store.Users) {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{Issuer: p.srv.URL, ClientID: "spantree", ClientSecret: "s3cret", PublicURL: public,
		Domains: map[string]string{"Example.com": "acme"}, Log: log.New(io.Discard, "", 0)}
	if edit != nil {
		edit(&cfg)
	}
	a, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	return a, st
}

// cookieOf returns the cookie name set by resp, or nil.
func cookieOf(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// start runs GET /auth/login and returns its flow cookie and the
// provider's answer for it.
func start(t *testing.T, a *Auth, p *provider, query string) (flow *http.Cookie, code, state string) {
	t.Helper()
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/auth/login"+query, nil))
	resp := rec.Result()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET /auth/login = %d %s; want 302", resp.StatusCode, rec.Body)
	}
	flow = cookieOf(resp, a.cookieName(flowCookie))
	if flow == nil || !flow.HttpOnly || flow.SameSite != http.SameSiteLaxMode || flow.Path != "/" {
		t.Fatalf("flow cookie %+v; want HttpOnly, SameSite=Lax, Path=/", flow)
	}
	code, state = p.authorize(t, resp.Header.Get("Location"))
	return flow, code, state
}

func callback(a *Auth, query string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", CallbackPath+query, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	return rec
}

// TestSignIn: the whole flow makes the user, in the namespace of its
// domain, and a session whose cookie is HttpOnly and SameSite; the browser
// goes back where it started.
func TestSignIn(t *testing.T) {
	p := newProvider(t)
	a, users := newAuth(t, p, "http://127.0.0.1:7070", nil)
	flow, code, state := start(t, a, p, "?return="+url.QueryEscape("/ui/#/keys"))
	rec := callback(a, "?code="+code+"&state="+state, flow)
	resp := rec.Result()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/#/keys" {
		t.Fatalf("callback = %d to %q (%s); want 303 to /ui/#/keys", resp.StatusCode, resp.Header.Get("Location"), rec.Body)
	}
	sess := cookieOf(resp, "spantree_session")
	if sess == nil || !sess.HttpOnly || sess.Secure || sess.SameSite != http.SameSiteLaxMode || sess.MaxAge != int(DefaultSessionTTL/time.Second) {
		t.Fatalf("session cookie %+v; want HttpOnly, not Secure over http, SameSite=Lax, the session's age", sess)
	}
	if c := cookieOf(resp, "spantree_signin"); c == nil || c.MaxAge >= 0 {
		t.Errorf("flow cookie after the callback %+v; want it cleared", c)
	}
	u, err := users.User(t.Context(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme"}, u.Namespaces); diff != "" || u.LastNamespace != "acme" {
		t.Errorf("user %+v: want a member of acme, working in it (-want +got):\n%s", u, diff)
	}

	// The session is the user's; what changes something needs its CSRF
	// token, from this origin.
	get := httptest.NewRequest("GET", "/v1/traces", nil)
	get.AddCookie(sess)
	m, err := a.Member(get)
	if err != nil || m.Email != "ann@example.com" || m.Namespace != "acme" || m.CSRF == "" {
		t.Fatalf("Member(GET) = %+v, %v; want ann in acme with a CSRF token", m, err)
	}
	for _, c := range []struct {
		name, token, origin string
		want                error
	}{
		{"no token", "", "", ErrCSRF},
		{"another session's token", csrfToken("sts_other"), "", ErrCSRF},
		{"the token from another origin", m.CSRF, "http://evil.example", ErrCSRF},
		{"the token", m.CSRF, "", nil},
		{"the token from this origin", m.CSRF, "http://127.0.0.1:7070", nil},
	} {
		req := httptest.NewRequest("POST", "/v1/keys", nil)
		req.AddCookie(sess)
		if c.token != "" {
			req.Header.Set("X-CSRF-Token", c.token)
		}
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		if _, err := a.Member(req); err != c.want {
			t.Errorf("Member(POST, %s) error = %v; want %v", c.name, err, c.want)
		}
	}

	// Signing out ends the session at once.
	out := httptest.NewRequest("POST", "/auth/logout", nil)
	out.AddCookie(sess)
	out.Header.Set("X-CSRF-Token", m.CSRF)
	rec = httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, out)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("POST /auth/logout = %d %s; want 204", rec.Code, rec.Body)
	}
	if _, err := a.Member(get); err != ErrSessionEnded {
		t.Errorf("Member after sign-out: error = %v; want ErrSessionEnded", err)
	}
}

// TestCallbackRefuses: an answer that is not for this browser's sign-in,
// an ID token that is not for this receiver, and a person no rule lets in
// are refused, and no session is made.
func TestCallbackRefuses(t *testing.T) {
	cases := []struct {
		name   string
		claims func(map[string]any)
		query  func(code, state string) string
		flow   bool // send the flow cookie
		cfg    func(*Config)
		status int
		reason string
	}{
		{name: "another state", query: func(code, _ string) string { return "?code=" + code + "&state=forged" }, flow: true,
			status: 400, reason: "state: the provider&#39;s answer is not for the sign-in this browser started"},
		{name: "no sign-in under way", flow: false, status: 400, reason: "no sign-in is under way"},
		{name: "another issuer", claims: func(c map[string]any) { c["iss"] = "https://evil.example" }, flow: true,
			status: 401, reason: "id_token: oidc: id token issued by a different provider"},
		{name: "another audience", claims: func(c map[string]any) { c["aud"] = "someone-else" }, flow: true,
			status: 401, reason: "id_token: oidc: expected audience"},
		{name: "another nonce", claims: func(c map[string]any) { c["nonce"] = "replayed" }, flow: true,
			status: 401, reason: "id_token: nonce: not the one of this sign-in"},
		{name: "expired", claims: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, flow: true,
			status: 401, reason: "id_token: oidc: token is expired"},
		{name: "no email", claims: func(c map[string]any) { delete(c, "email") }, flow: true,
			status: 403, reason: "id_token: email: missing"},
		{name: "email not verified", claims: func(c map[string]any) { c["email_verified"] = false }, flow: true,
			status: 403, reason: "email_verified"},
		{name: "no rule lets the domain in", claims: func(c map[string]any) { c["email"] = "eve@elsewhere.example" }, flow: true,
			status: 403, reason: "eve@elsewhere.example is in no namespace"},
		{name: "the provider said no", query: func(string, string) string { return "?error=access_denied&error_description=nope" }, flow: true,
			status: 403, reason: "access_denied: nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProvider(t)
			if c.claims != nil {
				p.claims = c.claims
			}
			a, _ := newAuth(t, p, "http://127.0.0.1:7070", c.cfg)
			flow, code, state := start(t, a, p, "")
			q := "?code=" + code + "&state=" + state
			if c.query != nil {
				q = c.query(code, state)
			}
			var cookies []*http.Cookie
			if c.flow {
				cookies = append(cookies, flow)
			}
			rec := callback(a, q, cookies...)
			if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.reason) {
				t.Errorf("callback = %d %s; want %d saying %q", rec.Code, rec.Body, c.status, c.reason)
			}
			if s := cookieOf(rec.Result(), "spantree_session"); s != nil {
				t.Errorf("callback set a session cookie %+v", s)
			}
		})
	}
}

// TestSecureCookies: behind https the cookies are Secure, with the
// __Host- prefix.
func TestSecureCookies(t *testing.T) {
	p := newProvider(t)
	a, _ := newAuth(t, p, "https://spantree.example.com", nil)
	flow, code, state := start(t, a, p, "")
	if flow.Name != "__Host-spantree_signin" || !flow.Secure {
		t.Errorf("flow cookie %+v; want __Host-spantree_signin, Secure", flow)
	}
	resp := callback(a, "?code="+code+"&state="+state, flow).Result()
	if s := cookieOf(resp, "__Host-spantree_session"); s == nil || !s.Secure || !s.HttpOnly {
		t.Errorf("session cookie %+v; want __Host-spantree_session, Secure, HttpOnly", s)
	}
	if got := a.RedirectURL(); got != "https://spantree.example.com/auth/callback" {
		t.Errorf("RedirectURL = %q", got)
	}
}

// TestPublicOrigin: the public URL is compared with Origin as browsers
// write it, so a default port or capitals in it do not refuse every change.
func TestPublicOrigin(t *testing.T) {
	p := newProvider(t)
	for public, want := range map[string]string{
		"https://Spantree.Example.com:443/": "https://spantree.example.com",
		"http://127.0.0.1:80":               "http://127.0.0.1",
		"http://127.0.0.1:7070":             "http://127.0.0.1:7070",
		"https://spantree.example.com:8443": "https://spantree.example.com:8443",
	} {
		a, _ := newAuth(t, p, public, nil)
		if got := a.RedirectURL(); got != want+CallbackPath {
			t.Errorf("public URL %s: RedirectURL = %q; want %q", public, got, want+CallbackPath)
		}
	}
}

func TestReturnPath(t *testing.T) {
	for in, want := range map[string]string{
		"/ui/#/keys":           "/ui/#/keys",
		"/ui/":                 "/ui/",
		"":                     "/ui/",
		"//evil.example/":      "/ui/",
		"/\\evil.example":      "/ui/",
		"https://evil.example": "/ui/",
		"/ui/\r\nSet-Cookie:x": "/ui/",
	} {
		if got := returnPath(in); got != want {
			t.Errorf("returnPath(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestNamespacesFor(t *testing.T) {
	p := newProvider(t)
	a, _ := newAuth(t, p, "http://127.0.0.1:7070", func(c *Config) {
		c.Domains = map[string]string{"Example.com": "acme", "ops.example.com": "ops"}
		c.Namespace = "sandbox"
	})
	for email, want := range map[string][]string{
		"ann@example.com":     {"acme", "sandbox"},
		"bob@ops.example.com": {"ops", "sandbox"},
		"eve@evil.example":    {"sandbox"},
		"a@b@example.com":     {"acme", "sandbox"},
	} {
		if diff := cmp.Diff(want, a.namespacesFor(email)); diff != "" {
			t.Errorf("namespacesFor(%s) (-want +got):\n%s", email, diff)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for name, cfg := range map[string]Config{
		"issuer: empty":         {ClientID: "c", PublicURL: "http://x"},
		"issuer: want an":       {Issuer: "ftp://x", ClientID: "c", PublicURL: "http://x"},
		"client id: empty":      {Issuer: "http://i", PublicURL: "http://x"},
		"public URL: want":      {Issuer: "http://i", ClientID: "c", PublicURL: "http://x/ui/"},
		`domain rule "a@b.c"`:   {Issuer: "http://i", ClientID: "c", PublicURL: "http://x", Domains: map[string]string{"a@b.c": "n"}},
		"public URL: want http": {Issuer: "http://i", ClientID: "c"},
	} {
		if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("New(%+v) error = %v; want one saying %q", cfg, err, name)
		}
	}
}

// TestSignInAgainEndsTheOldSession: a browser that signs in again gets a
// new session, and the token it had before is refused.
func TestSignInAgainEndsTheOldSession(t *testing.T) {
	p := newProvider(t)
	a, _ := newAuth(t, p, "http://127.0.0.1:7070", nil)
	flow, code, state := start(t, a, p, "")
	first := cookieOf(callback(a, "?code="+code+"&state="+state, flow).Result(), "spantree_session")
	flow, code, state = start(t, a, p, "")
	second := cookieOf(callback(a, "?code="+code+"&state="+state, flow, first).Result(), "spantree_session")
	if first == nil || second == nil || first.Value == second.Value {
		t.Fatalf("sessions %v and %v; want two different ones", first, second)
	}
	for c, want := range map[*http.Cookie]error{first: ErrSessionEnded, second: nil} {
		req := httptest.NewRequest("GET", "/v1/traces", nil)
		req.AddCookie(c)
		if _, err := a.Member(req); err != want {
			t.Errorf("Member(%s...) error = %v; want %v", c.Value[:8], err, want)
		}
	}
}
