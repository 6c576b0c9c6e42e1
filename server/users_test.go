package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/signin"
	"github.com/spantree/spantree/store/sqlite"
)

// signinEnv is a server whose web view signs people in; ann is a member of
// acme and beta, working in acme, and her session's cookie header is
// cookie. The provider is never called: sessions are made in the store, as
// a sign-in makes them.
func signinEnv(t *testing.T) (e *env, cookie string) {
	t.Helper()
	e = newEnvOf(t, func(st *sqlite.Store) server.Options {
		a, err := signin.New(signin.Config{Issuer: "http://127.0.0.1:1", ClientID: "spantree", PublicURL: "http://127.0.0.1:7070", Namespace: "acme"}, st)
		if err != nil {
			t.Fatal(err)
		}
		return server.Options{P99Refresh: -1, SignIn: a}
	})
	ctx := context.Background()
	if _, err := e.st.SignIn(ctx, "ann@example.com", []string{"acme", "beta"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	token, err := e.st.CreateSession(ctx, "ann@example.com", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return e, "spantree_session=" + token
}

func (e *env) me(cookie string) (csrf, namespace string) {
	e.t.Helper()
	status, body := e.do("GET", "/v1/me", "", nil, "Cookie", cookie)
	var me struct {
		Email, Namespace string
		Namespaces       []string
		CSRF             string `json:"csrf_token"`
	}
	if err := json.Unmarshal([]byte(body), &me); status != 200 || err != nil {
		e.t.Fatalf("GET /v1/me = %d %s", status, body)
	}
	if me.Email != "ann@example.com" || me.CSRF == "" || !cmp.Equal(me.Namespaces, []string{"acme", "beta"}) {
		e.t.Fatalf("GET /v1/me = %s; want ann, a member of acme and beta, with a CSRF token", body)
	}
	return me.CSRF, me.Namespace
}

// TestSessionAccess: a session reads its namespace as a key does; what
// changes something needs the CSRF token; no session, an ended one, or a
// key on the users' routes are refused.
func TestSessionAccess(t *testing.T) {
	e, cookie := signinEnv(t)
	csrf, ns := e.me(cookie)
	if ns != "acme" {
		t.Fatalf("namespace = %q; want acme", ns)
	}
	e.ingest(nil, span(1, 1, 0, "shop.Checkout", 0, time.Millisecond, false))
	ended, err := e.st.CreateSession(context.Background(), "ann@example.com", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.EndSession(context.Background(), ended); err != nil {
		t.Fatal(err)
	}
	annot := []byte(`{"kind":"crash","severity":"ok"}`)
	for _, c := range []struct {
		name, method, path, key string
		body                    []byte
		hdr                     []string
		status                  int
		says                    string
	}{
		{"a session reads its namespace", "GET", "/v1/traces", "", nil, []string{"Cookie", cookie}, 200, "shop.Checkout"},
		{"nothing", "GET", "/v1/traces", "", nil, nil, 401, "X-API-Key: missing"},
		{"an ended session", "GET", "/v1/traces", "", nil, []string{"Cookie", "spantree_session=" + ended}, 401, "session: ended"},
		{"a change without the CSRF token", "PUT", "/v1/errors/0000000000000000", "", annot, []string{"Cookie", cookie}, 403, "X-CSRF-Token"},
		{"a change from another origin", "PUT", "/v1/errors/0000000000000000", "", annot,
			[]string{"Cookie", cookie, "X-CSRF-Token", csrf, "Origin", "http://evil.example"}, 403, "X-CSRF-Token"},
		{"a change with the CSRF token", "PUT", "/v1/errors/0000000000000000", "", annot,
			[]string{"Cookie", cookie, "X-CSRF-Token", csrf, "Origin", "http://127.0.0.1:7070"}, 404, "not found"},
		{"a key on the users' routes", "GET", "/v1/keys", e.key, nil, nil, 403, "signed-in users"},
		{"a key wins over a cookie", "GET", "/v1/me", e.key, nil, []string{"Cookie", cookie}, 403, "signed-in users"},
		{"a program's key is as before", "GET", "/v1/traces", e.key, nil, []string{"Cookie", "spantree_session=sts_forged"}, 200, "shop.Checkout"},
		{"another namespace of the user", "PUT", "/v1/me", "", []byte(`{"namespace":"gamma"}`), []string{"Cookie", cookie, "X-CSRF-Token", csrf}, 404, `gamma\" is not one of yours`},
		{"no namespace", "PUT", "/v1/me", "", []byte(`{}`), []string{"Cookie", cookie, "X-CSRF-Token", csrf}, 400, "namespace: missing"},
		{"an unknown field", "PUT", "/v1/me", "", []byte(`{"colour":"red"}`), []string{"Cookie", cookie, "X-CSRF-Token", csrf}, 400, "unknown field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.do(c.method, c.path, c.key, c.body, c.hdr...)
			if status != c.status || !strings.Contains(body, c.says) {
				t.Errorf("%s %s = %d %s; want %d saying %q", c.method, c.path, status, body, c.status, c.says)
			}
		})
	}

	// Switching namespace: the session then reads beta's, and it is
	// remembered for the next sign-in.
	if status, body := e.do("PUT", "/v1/me", "", []byte(`{"namespace":"beta"}`), "Cookie", cookie, "X-CSRF-Token", csrf); status != 200 {
		t.Fatalf("PUT /v1/me beta = %d %s", status, body)
	}
	if _, ns := e.me(cookie); ns != "beta" {
		t.Errorf("namespace after the switch = %q; want beta", ns)
	}
	if status, body := e.do("GET", "/v1/traces", "", nil, "Cookie", cookie); status != 200 || strings.Contains(body, "shop.Checkout") {
		t.Errorf("GET /v1/traces in beta = %d %s; want none of acme's traces", status, body)
	}
	u, err := e.st.User(context.Background(), "ann@example.com")
	if err != nil || u.LastNamespace != "beta" {
		t.Errorf("user %+v, %v; want beta as the last namespace", u, err)
	}
}

// TestKeysOfSession: a key made through the session works for a program
// at once, the list shows it by id, another namespace's key cannot be
// revoked, and the revoked key is refused at once.
func TestKeysOfSession(t *testing.T) {
	e, cookie := signinEnv(t)
	csrf, _ := e.me(cookie)
	other, err := e.st.CreateKey(context.Background(), "beta")
	if err != nil {
		t.Fatal(err)
	}
	status, body := e.do("POST", "/v1/keys", "", nil, "Cookie", cookie, "X-CSRF-Token", csrf)
	var made struct{ ID, Namespace, Key string }
	if err := json.Unmarshal([]byte(body), &made); status != http.StatusCreated || err != nil || made.Namespace != "acme" || !strings.HasPrefix(made.Key, "stk_") {
		t.Fatalf("POST /v1/keys = %d %s; want 201 and a key of acme", status, body)
	}
	batch := []byte(`{"spans":[]}`)
	if status, body := e.do("POST", "/v1/spans", made.Key, batch); status != http.StatusAccepted {
		t.Fatalf("POST /v1/spans with the new key = %d %s; want 202", status, body)
	}
	status, body = e.do("GET", "/v1/keys", "", nil, "Cookie", cookie)
	var list struct {
		Keys []struct{ ID, Namespace, Key string }
	}
	if err := json.Unmarshal([]byte(body), &list); status != 200 || err != nil {
		t.Fatalf("GET /v1/keys = %d %s", status, body)
	}
	var ids []string
	for _, k := range list.Keys {
		if k.Key != "" || k.Namespace != "acme" {
			t.Errorf("listed key %+v: want acme's, without its secret", k)
		}
		ids = append(ids, k.ID)
	}
	if want := []string{sqlite.KeyID(e.key), made.ID}; !cmp.Equal(want, ids) {
		t.Errorf("GET /v1/keys ids = %v; want %v (the env's key, then the new one)", ids, want)
	}
	if status, body := e.do("DELETE", "/v1/keys/"+sqlite.KeyID(other), "", nil, "Cookie", cookie, "X-CSRF-Token", csrf); status != 404 {
		t.Errorf("DELETE beta's key from acme = %d %s; want 404", status, body)
	}
	if status, body := e.do("DELETE", "/v1/keys/"+made.ID, "", nil, "Cookie", cookie); status != 403 {
		t.Errorf("DELETE without the CSRF token = %d %s; want 403", status, body)
	}
	if status, body := e.do("DELETE", "/v1/keys/"+made.ID, "", nil, "Cookie", cookie, "X-CSRF-Token", csrf); status != http.StatusNoContent {
		t.Fatalf("DELETE /v1/keys/%s = %d %s; want 204", made.ID, status, body)
	}
	if status, body := e.do("POST", "/v1/spans", made.Key, batch); status != http.StatusUnauthorized {
		t.Errorf("POST /v1/spans with the revoked key = %d %s; want 401", status, body)
	}
	if status, body := e.do("POST", "/v1/spans", other, batch); status != http.StatusAccepted {
		t.Errorf("POST /v1/spans with beta's key = %d %s; want 202", status, body)
	}
}

// TestUsersRoutesWithoutSignIn: a receiver that signs nobody in answers
// the users' routes 404, saying so.
func TestUsersRoutesWithoutSignIn(t *testing.T) {
	e := newEnv(t, server.Options{P99Refresh: -1})
	for _, ep := range []string{"GET /v1/me", "GET /v1/keys", "POST /v1/keys"} {
		method, path, _ := strings.Cut(ep, " ")
		if status, body := e.do(method, path, e.key, nil); status != 404 || !strings.Contains(body, "sign-in is not configured") {
			t.Errorf("%s = %d %s; want 404 saying sign-in is not configured", ep, status, body)
		}
	}
}
