// Package signin signs people in to the web view with OpenID Connect: the
// authorization code flow with PKCE against the operator's provider
// (github.com/coreos/go-oidc/v3 verifies the ID token, golang.org/x/oauth2
// runs the flow), a user made on the first sign-in and a session kept in
// the store ([store.Users]) behind an HttpOnly cookie.
//
// [Auth.Handler] serves the three routes of the flow under /auth/:
//
//	GET  /auth/login?return=/ui/#/keys   starts a sign-in: to the provider
//	GET  /auth/callback                  where the provider sends the browser back
//	POST /auth/logout                    ends the session (X-CSRF-Token)
//
// and [Auth.Member] tells the receiver's API who a request's session cookie
// stands for, checking the CSRF token of every request that changes
// something. Programs and the CLI keep their API keys: a request with
// X-API-Key is never looked at here.
//
// Which namespaces a user joins is the operator's [Config]: a namespace
// every user joins, and namespaces by the domain of the email address. The
// rules are applied at every sign-in (a namespace is never taken away), and
// a person whom no rule lets in, and who is a member of no namespace yet, is
// refused.
package signin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/spantree/spantree/store"
)

// Config is the operator's configuration of sign-in.
type Config struct {
	// Issuer is the provider's issuer URL, as its discovery document
	// (Issuer + "/.well-known/openid-configuration") names it.
	Issuer string
	// ClientID and ClientSecret are the receiver's client at the provider.
	ClientID, ClientSecret string
	// PublicURL is where browsers reach the receiver, such as
	// https://spantree.example.com: the redirect URL registered at the
	// provider is PublicURL + "/auth/callback", and cookies are Secure
	// when it is https.
	PublicURL string
	// Namespace is the namespace every user joins ("": none).
	Namespace string
	// Domains maps the domain of an email address (example.com) to the
	// namespace its users join, before Namespace.
	Domains map[string]string
	// SessionTTL is how long a session lasts (default DefaultSessionTTL).
	SessionTTL time.Duration
	// Client makes the calls to the provider (default: one with a 10 s
	// timeout).
	Client *http.Client
	// Log receives what went wrong that the browser is not told in full
	// (default log.Default()).
	Log *log.Logger
}

// DefaultSessionTTL is the default of Config.SessionTTL.
const DefaultSessionTTL = 7 * 24 * time.Hour

// CallbackPath is the path of the redirect URL below Config.PublicURL.
const CallbackPath = "/auth/callback"

// flowTTL bounds the time between the start of a sign-in and the
// provider's answer.
const flowTTL = 10 * time.Minute

// memberTTL is how long a session found stays trusted without another
// look in the store, so that a session ended through another receiver stops
// working within it (as an API key revoked does).
const memberTTL = 500 * time.Millisecond

// Errors of [Auth.Member]; the receiver's API answers them 401 and 403.
var (
	// ErrNoSession: the request carries no session cookie.
	ErrNoSession = errors.New("not signed in")
	// ErrSessionEnded: the cookie names a session that ended or expired.
	ErrSessionEnded = errors.New("session: ended or expired; sign in again")
	// ErrCSRF: a request that changes something came without the
	// session's CSRF token, or from another origin.
	ErrCSRF = errors.New("X-CSRF-Token: missing or not this session's (or the request came from another origin)")
	// ErrNoNamespace: the user is a member of no namespace.
	ErrNoNamespace = errors.New("you are a member of no namespace: ask the receiver's operator")
)

// Auth is sign-in configured. It is safe for concurrent use.
type Auth struct {
	cfg    Config
	users  store.Users
	public *url.URL
	secure bool // cookies are Secure, with the __Host- prefix

	mu       sync.Mutex
	provider *oidc.Provider // found at the first sign-in, then kept

	members sync.Map // [32]byte token hash -> memberEntry
	// stored counts the entries stored in members, so that every
	// sweepEvery-th store sweeps out the stale ones.
	stored atomic.Int64
}

// sweepEvery is how many sessions are looked up between two sweeps of the
// stale entries of Auth.members: the cache stays about as large as the
// sessions in use in the last memberTTL.
const sweepEvery = 1024

// sweep deletes the stale entries of the members cache, every sweepEvery
// calls.
func (a *Auth) sweep() {
	if a.stored.Add(1)%sweepEvery != 0 {
		return
	}
	now := time.Now()
	a.members.Range(func(k, v any) bool {
		if now.After(v.(memberEntry).until) {
			a.members.Delete(k)
		}
		return true
	})
}

type memberEntry struct {
	email string
	user  *store.User
	until time.Time
}

// Member is the signed-in user of a request.
type Member struct {
	Email string
	// Namespace is the namespace the user works in, its last one; "" when
	// it is a member of none.
	Namespace  string
	Namespaces []string
	LastAccess time.Time
	// CSRF is the token that requests changing something must carry in
	// X-CSRF-Token: an HMAC of the session token, so that only a page that
	// read it from GET /v1/me can send it.
	CSRF  string
	token string
}

// New checks cfg and returns its Auth over users. The provider is looked
// up at the first sign-in, not here: a receiver starts, and takes spans,
// whether the provider answers or not.
func New(cfg Config, users store.Users) (*Auth, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("issuer: empty")
	}
	iss, err := url.Parse(cfg.Issuer)
	if err != nil || (iss.Scheme != "https" && iss.Scheme != "http") || iss.Host == "" {
		return nil, fmt.Errorf("issuer: want an http(s) URL, not %q", cfg.Issuer)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("client id: empty")
	}
	pub, err := url.Parse(cfg.PublicURL)
	if err != nil || (pub.Scheme != "https" && pub.Scheme != "http") || pub.Host == "" || (pub.Path != "" && pub.Path != "/") || pub.RawQuery != "" {
		return nil, fmt.Errorf("public URL: want http(s)://HOST[:PORT] where browsers reach the receiver, not %q", cfg.PublicURL)
	}
	// The origin as browsers send it in Origin: the host in lower case,
	// without the scheme's default port.
	pub.Path, pub.Host = "", strings.ToLower(pub.Host)
	if p := pub.Port(); (pub.Scheme == "https" && p == "443") || (pub.Scheme == "http" && p == "80") {
		pub.Host = pub.Hostname()
	}
	domains := make(map[string]string, len(cfg.Domains))
	for d, ns := range cfg.Domains {
		if d == "" || strings.Contains(d, "@") || ns == "" {
			return nil, fmt.Errorf("domain rule %q=%q: want DOMAIN=NAMESPACE", d, ns)
		}
		domains[strings.ToLower(d)] = ns
	}
	cfg.Domains = domains
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = log.Default()
	}
	return &Auth{cfg: cfg, users: users, public: pub, secure: pub.Scheme == "https"}, nil
}

// RedirectURL is the URL to register at the provider.
func (a *Auth) RedirectURL() string { return a.public.String() + CallbackPath }

// cookieName is name with the __Host- prefix when cookies are Secure: the
// browser then takes the cookie only from this origin, over HTTPS, for the
// whole site, so no other site (a sibling subdomain) can set it.
func (a *Auth) cookieName(name string) string {
	if a.secure {
		return "__Host-" + name
	}
	return name
}

// Cookie names, without the prefix.
const (
	sessionCookie = "spantree_session"
	flowCookie    = "spantree_signin"
)

func (a *Auth) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: a.cookieName(name), Value: value, Path: "/", HttpOnly: true, Secure: a.secure,
		// Lax, not Strict: the provider's redirect back to the callback
		// is a navigation from another site, which must carry the
		// sign-in's cookie. Requests that change something are guarded by
		// the CSRF token, not by SameSite alone.
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)}
	if maxAge < 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// oidcProvider returns the provider, looking it up the first time (and
// again after a failure).
func (a *Auth) oidcProvider() (*oidc.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	// The provider keeps the context for its later fetches of the keys:
	// it must not end. The client's timeout bounds each call.
	p, err := oidc.NewProvider(oidc.ClientContext(context.Background(), a.cfg.Client), a.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the OpenID provider %s: %w", a.cfg.Issuer, err)
	}
	a.provider = p
	return p, nil
}

func (a *Auth) oauth2Config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     a.cfg.ClientID,
		ClientSecret: a.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  a.RedirectURL(),
		Scopes:       []string{oidc.ScopeOpenID, "email"},
	}
}

// namespacesFor returns the namespaces the rules give to email: its
// domain's, then the one of every user.
func (a *Auth) namespacesFor(email string) []string {
	var out []string
	domain := strings.ToLower(email[strings.LastIndex(email, "@")+1:])
	if ns := a.cfg.Domains[domain]; ns != "" {
		out = append(out, ns)
	}
	if a.cfg.Namespace != "" && !slices.Contains(out, a.cfg.Namespace) {
		out = append(out, a.cfg.Namespace)
	}
	return out
}

// randomString returns 32 random bytes, base64url.
func randomString() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// csrfToken derives the CSRF token of a session from its token.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("spantree csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Member returns the signed-in user of r's session cookie. A request with
// a method other than GET and HEAD must carry the session's CSRF token in
// X-CSRF-Token, and an Origin header, when it has one, must be the public
// URL's; otherwise the error is ErrCSRF.
func (a *Auth) Member(r *http.Request) (*Member, error) {
	c, err := r.Cookie(a.cookieName(sessionCookie))
	if err != nil || c.Value == "" {
		return nil, ErrNoSession
	}
	m, err := a.member(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if o := r.Header.Get("Origin"); o != "" && o != a.public.String() {
			return nil, ErrCSRF
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(m.CSRF)) != 1 {
			return nil, ErrCSRF
		}
	}
	return m, nil
}

func (a *Auth) member(ctx context.Context, token string) (*Member, error) {
	hash := hashOf(token)
	var e memberEntry
	if v, ok := a.members.Load(hash); ok && time.Now().Before(v.(memberEntry).until) {
		e = v.(memberEntry)
	} else {
		email, err := a.users.Session(ctx, token)
		if errors.Is(err, store.ErrUnauthorized) {
			a.members.Delete(hash)
			return nil, ErrSessionEnded
		}
		if err != nil {
			return nil, err
		}
		u, err := a.users.User(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrSessionEnded
		}
		if err != nil {
			return nil, err
		}
		e = memberEntry{email: email, user: u, until: time.Now().Add(memberTTL)}
		a.members.Store(hash, e)
		a.sweep()
	}
	return &Member{Email: e.email, Namespace: e.user.LastNamespace, Namespaces: e.user.Namespaces,
		LastAccess: e.user.LastAccess, CSRF: csrfToken(token), token: token}, nil
}

// SetNamespace makes namespace m's current (and last) one: ErrNotFound when
// m is not a member of it.
func (a *Auth) SetNamespace(ctx context.Context, m *Member, namespace string) error {
	if err := a.users.SetLastNamespace(ctx, m.Email, namespace, time.Now()); err != nil {
		return err
	}
	a.members.Delete(hashOf(m.token))
	return nil
}

func hashOf(token string) [32]byte { return sha256.Sum256([]byte(token)) }
