package signin

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/spantree/spantree/store"
)

// flow is what a sign-in under way keeps in the browser's flow cookie
// between /auth/login and /auth/callback: the values the provider's answer
// is checked against.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE
	Return   string `json:"r"` // where the browser goes once signed in
}

// Handler serves /auth/login, /auth/callback and /auth/logout.
func (a *Auth) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/login", a.login)
	mux.HandleFunc("GET "+CallbackPath, a.callback)
	mux.HandleFunc("POST /auth/logout", a.logout)
	return mux
}

// returnPath keeps a return address only if it is a path of this receiver:
// never another site (//evil.example, /\evil.example, https://...).
func returnPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/ui/"
	}
	return p
}

// login starts the authorization code flow with PKCE: fresh state, nonce
// and verifier in the flow cookie, and the browser sent to the provider.
func (a *Auth) login(w http.ResponseWriter, r *http.Request) {
	p, err := a.oidcProvider()
	if err != nil {
		a.cfg.Log.Printf("spantree: sign-in: %v", err)
		a.page(w, http.StatusBadGateway, "The OpenID provider cannot be reached", fmt.Sprintf("%s did not answer its discovery request; see the receiver's log.", a.cfg.Issuer))
		return
	}
	f := flow{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(), Return: returnPath(r.URL.Query().Get("return"))}
	b, _ := json.Marshal(f)
	a.setCookie(w, flowCookie, base64.RawURLEncoding.EncodeToString(b), flowTTL)
	u := a.oauth2Config(p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	http.Redirect(w, r, u, http.StatusFound)
}

// readFlow reads and clears the flow cookie: each sign-in is answered once.
func (a *Auth) readFlow(w http.ResponseWriter, r *http.Request) (*flow, error) {
	c, err := r.Cookie(a.cookieName(flowCookie))
	if err != nil {
		return nil, errors.New("no sign-in is under way in this browser (it took longer than 10 minutes, or cookies are off)")
	}
	a.setCookie(w, flowCookie, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	var f flow
	if err == nil {
		err = json.Unmarshal(b, &f)
	}
	if err != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return nil, errors.New("the sign-in cookie is damaged")
	}
	return &f, nil
}

// callback checks the provider's answer against the flow cookie (state),
// redeems the code with the PKCE verifier, verifies the ID token (signature,
// issuer, audience, expiry, nonce), signs the user in and sets the session
// cookie.
func (a *Auth) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		a.page(w, http.StatusForbidden, "The OpenID provider did not sign you in", e+": "+q.Get("error_description"))
		return
	}
	f, err := a.readFlow(w, r)
	if err != nil {
		a.page(w, http.StatusBadRequest, "Sign-in failed", err.Error())
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		a.page(w, http.StatusBadRequest, "Sign-in failed", "state: the provider's answer is not for the sign-in this browser started")
		return
	}
	email, status, err := a.verify(r.Context(), q.Get("code"), f)
	if err != nil {
		a.cfg.Log.Printf("spantree: sign-in: %v", err)
		a.page(w, status, "Sign-in failed", err.Error())
		return
	}
	join := a.namespacesFor(email)
	if len(join) == 0 {
		u, err := a.users.User(r.Context(), email)
		if errors.Is(err, store.ErrNotFound) || (err == nil && len(u.Namespaces) == 0) {
			a.page(w, http.StatusForbidden, "Not a member of this receiver", email+" is in no namespace of this receiver, and no rule of its operator lets this address in.")
			return
		}
		if err != nil {
			a.fail(w, err)
			return
		}
	}
	if _, err := a.users.SignIn(r.Context(), email, join, time.Now()); err != nil {
		a.fail(w, err)
		return
	}
	// A session this browser had ends: each sign-in gets a new token, so
	// a token known before the sign-in is worth nothing after it.
	if c, err := r.Cookie(a.cookieName(sessionCookie)); err == nil && c.Value != "" {
		if err := a.users.EndSession(r.Context(), c.Value); err != nil {
			a.fail(w, err)
			return
		}
		a.members.Delete(hashOf(c.Value))
	}
	token, err := a.users.CreateSession(r.Context(), email, time.Now().Add(a.cfg.SessionTTL))
	if err != nil {
		a.fail(w, err)
		return
	}
	a.setCookie(w, sessionCookie, token, a.cfg.SessionTTL)
	http.Redirect(w, r, f.Return, http.StatusSeeOther)
}

// verify redeems code and returns the verified email of the ID token, or
// the status and error to answer.
func (a *Auth) verify(ctx context.Context, code string, f *flow) (string, int, error) {
	if code == "" {
		return "", http.StatusBadRequest, errors.New("code: missing from the provider's answer")
	}
	p, err := a.oidcProvider()
	if err != nil {
		return "", http.StatusBadGateway, err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, a.cfg.Client)
	tok, err := a.oauth2Config(p).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return "", http.StatusBadGateway, fmt.Errorf("the provider refused the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", http.StatusBadGateway, errors.New("id_token: missing from the provider's token response")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: a.cfg.ClientID}).Verify(oidc.ClientContext(ctx, a.cfg.Client), raw)
	if err != nil {
		return "", http.StatusUnauthorized, fmt.Errorf("id_token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return "", http.StatusUnauthorized, errors.New("id_token: nonce: not the one of this sign-in")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return "", http.StatusUnauthorized, fmt.Errorf("id_token: at_hash: %w", err)
		}
	}
	var claims struct {
		Email    string `json:"email"`
		Verified *bool  `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil {
		return "", http.StatusUnauthorized, fmt.Errorf("id_token: claims: %w", err)
	}
	if claims.Email == "" || !strings.Contains(claims.Email, "@") {
		return "", http.StatusForbidden, errors.New("id_token: email: missing (the provider must grant the email scope)")
	}
	if claims.Verified != nil && !*claims.Verified {
		return "", http.StatusForbidden, fmt.Errorf("id_token: email_verified: %s is not verified at the provider", claims.Email)
	}
	return strings.ToLower(claims.Email), 0, nil
}

// logout ends the request's session (a change: it needs the CSRF token)
// and clears its cookie.
func (a *Auth) logout(w http.ResponseWriter, r *http.Request) {
	m, err := a.Member(r)
	switch {
	case errors.Is(err, ErrNoSession), errors.Is(err, ErrSessionEnded):
		a.setCookie(w, sessionCookie, "", -1)
		w.WriteHeader(http.StatusNoContent)
		return
	case errors.Is(err, ErrCSRF):
		writeError(w, http.StatusForbidden, err.Error())
		return
	case err != nil:
		a.fail(w, err)
		return
	}
	if err := a.users.EndSession(r.Context(), m.token); err != nil {
		a.fail(w, err)
		return
	}
	a.members.Delete(hashOf(m.token))
	a.setCookie(w, sessionCookie, "", -1)
	w.WriteHeader(http.StatusNoContent)
}

func (a *Auth) fail(w http.ResponseWriter, err error) {
	a.cfg.Log.Printf("spantree: sign-in: %v", err)
	status := http.StatusInternalServerError
	if errors.Is(err, store.ErrUnavailable) {
		status = http.StatusServiceUnavailable
	}
	a.page(w, status, "Sign-in failed", "The receiver could not keep the sign-in; see its log.")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>spantree · {{.Title}}</title></head>
<body><h1>{{.Title}}</h1><p id="reason">{{.Reason}}</p><p><a href="/ui/">Back to spantree</a> · <a href="/auth/login">Sign in again</a></p></body></html>
`))

// page answers a browser with a small HTML page saying what happened.
func (a *Auth) page(w http.ResponseWriter, status int, title, reason string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	pageTmpl.Execute(w, struct{ Title, Reason string }{title, reason})
}
