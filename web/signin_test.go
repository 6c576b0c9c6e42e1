package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/internal/proctest"
	spantree "github.com/spantree/spantree/runtime"
)

// TestSignInHydra signs a person in to the web view of a real `spantree
// serve` through a real OpenID provider, Ory Hydra (built from the module
// proxy by e2e/hydra.sh, on an in-memory database), in real Chromium: the
// person lands on their last namespace, makes a key on the Keys page, a
// program sends a trace with it, the trace is in the view, the key is
// revoked and the next send is refused. Hydra's login and consent are this
// test's own tiny handler, which accepts ann@example.com through Hydra's
// admin API. It runs when SPANTREE_HYDRA names Hydra's binary (make e2e
// sets it).
func TestSignInHydra(t *testing.T) {
	hydra := os.Getenv("SPANTREE_HYDRA")
	if hydra == "" {
		t.Skip("SPANTREE_HYDRA is not set: run make e2e, or SPANTREE_HYDRA=$(e2e/hydra.sh) go test -run TestSignInHydra ./web")
	}
	b := newBrowser(t)
	dir := t.TempDir()
	recvAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	public := "http://" + recvAddr
	issuer, admin := startHydra(t, hydra, dir)
	clientID, secret := hydraClient(t, admin, public+"/auth/callback")

	bin := filepath.Join(dir, "spantree")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/spantree").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/spantree: %v\n%s", err, out)
	}
	startServe(t, bin, dir, recvAddr, []string{"SPANTREE_OIDC_CLIENT_SECRET=" + secret},
		"-oidc-issuer", issuer, "-oidc-client-id", clientID, "-public-url", public,
		"-oidc-domain", "example.com=shop", "-oidc-namespace", "sandbox")
	ui := public + "/ui/"

	signIn := func() {
		t.Helper()
		b.waitText("#key-panel", "Sign in")
		b.do(chromedp.Click(chromedp.CSS("#sign-in")))
		// The browser goes to Hydra, its login and consent, and back.
		waitAcross(b, "signed in", `!document.querySelector("#user").hidden && document.querySelector("#user-email").innerText === "ann@example.com"`)
	}

	t.Run("sign in lands on the first namespace", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(ui))
		b.waitText("#message", "Sign in to see")
		signIn()
		if got := eval[string](b, `document.querySelector("#ns-select").value`); got != "shop" {
			t.Errorf("namespace after the first sign-in = %q; want shop (the domain's)", got)
		}
		if got := eval[string](b, `location.pathname`); got != "/ui/" {
			t.Errorf("back at %q; want /ui/", got)
		}
	})

	t.Run("the last namespace is remembered", func(t *testing.T) {
		b.t = t
		b.do(chromedp.SetValue(chromedp.CSS("#ns-select"), "sandbox"))
		eval[chromedp.Void](b, `document.querySelector("#ns-select").dispatchEvent(new Event("change"))`)
		b.waitFor("the switch to sandbox", `document.querySelector("#ns-select").value === "sandbox" && !document.querySelector("#ns-select").disabled`)
		b.do(chromedp.Click(chromedp.CSS("#sign-out")))
		b.waitText("#key-panel", "Sign in")
		b.do(chromedp.Navigate(ui + "#/traces"))
		signIn()
		b.waitFor("sandbox after signing in again", `document.querySelector("#ns-select").value === "sandbox"`)
		if got := eval[string](b, `location.hash`); got != "#/traces" {
			t.Errorf("back at %q; want #/traces, where the sign-in started", got)
		}
	})

	var key string
	t.Run("a key made on the Keys page", func(t *testing.T) {
		b.t = t
		b.goHash("#/keys")
		b.waitText("#view", "No key in this namespace yet")
		b.waitText("#keys-namespace", "sandbox")
		b.do(chromedp.Click(chromedp.CSS("#create-key")))
		b.waitText("#new-key", "stk_")
		key = b.text("#new-key")
		b.waitFor("the key's row", `document.querySelectorAll(".key-list tbody tr").length === 1`)
		b.screenshot("keys")
	})

	trace := spantree.NewTraceID(time.Now())
	send := func() error {
		now := time.Now().UTC()
		_, err := client.New(public, key).Ingest(context.Background(), spantree.Batch{Tags: map[string]string{"service": "billing"},
			Spans: []spantree.SpanData{{TraceID: trace, SpanID: spantree.SpanID{7}, Name: "billing.Invoice", Location: "billing/invoice.go:12",
				Start: now.Add(-30 * time.Millisecond), End: now, Status: spantree.StatusSucceeded}}})
		return err
	}

	t.Run("the key sends a trace the view shows", func(t *testing.T) {
		b.t = t
		if err := send(); err != nil {
			t.Fatalf("ingest with the new key: %v", err)
		}
		b.goHash("#/traces")
		b.waitText("#view", "billing.Invoice")
		b.goHash("#/trace/" + trace.String())
		b.waitText("#view", "billing/invoice.go:12")
	})

	t.Run("a revoked key is refused at once", func(t *testing.T) {
		b.t = t
		b.goHash("#/keys")
		b.waitFor("the key's row", `!!document.querySelector(".key-list button.revoke")`)
		b.do(chromedp.Click(chromedp.CSS(".key-list button.revoke")))
		b.do(chromedp.Click(chromedp.CSS(".key-list button.revoke")))
		b.waitText("#message", "revoked")
		b.waitText("#view", "No key in this namespace yet")
		err := send()
		var he *client.Error
		if !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
			t.Errorf("ingest with the revoked key: %v; want 401", err)
		}
		b.noErrors()
	})

	t.Run("an answer for no sign-in of this browser is refused", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(public + "/auth/callback?code=forged&state=forged"))
		b.waitText("#reason", "no sign-in is under way in this browser")
		b.do(chromedp.Navigate(ui))
		b.waitText("#user-email", "ann@example.com") // the session it had is untouched
	})

	t.Run("a call without the CSRF token is refused", func(t *testing.T) {
		b.t = t
		got := eval[int](b, `fetch("../v1/keys", {method: "POST", credentials: "same-origin"}).then((r) => r.status)`)
		if got != http.StatusForbidden {
			t.Errorf("POST /v1/keys with the session but no X-CSRF-Token = %d; want 403", got)
		}
	})
}

// waitAcross waits until the JavaScript condition holds on the page, as
// browser.waitFor does, through the navigations of a sign-in, which end the
// page a wait started on.
func waitAcross(b *browser, what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s (%s): %v\npage:\n%s", what, cond, err, b.pageText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitUp polls u until it answers 200, for up to a minute.
func waitUp(t *testing.T, what, u string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come up at %s: %v", what, u, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func startServe(t *testing.T, bin, dir, addr string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "-addr", addr, "-db", filepath.Join(dir, "spantree.db")}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	proctest.Start(t, cmd, dir, "spantree serve")
	waitUp(t, "spantree serve", "http://"+addr+"/healthz")
}

// startHydra runs Hydra on an in-memory database with this test's login
// and consent handler, and returns its issuer and its admin API's URL.
func startHydra(t *testing.T, bin, dir string) (issuer, admin string) {
	t.Helper()
	pub, adm := freePort(t), freePort(t)
	admin = fmt.Sprintf("http://127.0.0.1:%d", adm)
	login := httptest.NewServer(loginConsent(t, admin))
	t.Cleanup(login.Close)
	cmd := exec.Command(bin, "serve", "all", "--dev")
	cmd.Env = append(os.Environ(),
		"DSN=memory",
		fmt.Sprintf("URLS_SELF_ISSUER=http://127.0.0.1:%d", pub),
		"URLS_LOGIN="+login.URL+"/login",
		"URLS_CONSENT="+login.URL+"/consent",
		"SECRETS_SYSTEM=spantree-test-system-secret-0123456789",
		"SERVE_PUBLIC_HOST=127.0.0.1", fmt.Sprintf("SERVE_PUBLIC_PORT=%d", pub),
		"SERVE_ADMIN_HOST=127.0.0.1", fmt.Sprintf("SERVE_ADMIN_PORT=%d", adm),
		"SQA_OPT_OUT=true", "LOG_LEVEL=warn")
	proctest.Start(t, cmd, dir, "hydra")
	disc := fmt.Sprintf("http://127.0.0.1:%d/.well-known/openid-configuration", pub)
	waitUp(t, "hydra", admin+"/health/ready")
	waitUp(t, "hydra's discovery", disc)
	var d struct {
		Issuer string `json:"issuer"`
	}
	hydraJSON(t, http.MethodGet, disc, nil, &d)
	return d.Issuer, admin
}

// hydraClient registers the receiver's client and returns its id and
// secret (Hydra makes both).
func hydraClient(t *testing.T, admin, redirect string) (id, secret string) {
	t.Helper()
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	hydraJSON(t, http.MethodPost, admin+"/admin/clients", map[string]any{
		"client_name": "spantree", "redirect_uris": []string{redirect},
		"grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
		"scope": "openid email", "token_endpoint_auth_method": "client_secret_basic",
	}, &c)
	if c.ID == "" || c.Secret == "" {
		t.Fatalf("hydra made client %+v; want an id and a secret", c)
	}
	return c.ID, c.Secret
}

// loginConsent is the provider's login and consent app: it signs in
// ann@example.com without asking and grants what the client asked for,
// with her email in the ID token.
func loginConsent(t *testing.T, admin string) http.Handler {
	const email = "ann@example.com"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		ch := url.QueryEscape(r.URL.Query().Get("login_challenge"))
		var next struct {
			RedirectTo string `json:"redirect_to"`
		}
		hydraJSON(t, http.MethodPut, admin+"/admin/oauth2/auth/requests/login/accept?login_challenge="+ch,
			map[string]any{"subject": email, "remember": false}, &next)
		http.Redirect(w, r, next.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		ch := url.QueryEscape(r.URL.Query().Get("consent_challenge"))
		var req struct {
			Scope    []string `json:"requested_scope"`
			Audience []string `json:"requested_access_token_audience"`
		}
		hydraJSON(t, http.MethodGet, admin+"/admin/oauth2/auth/requests/consent?consent_challenge="+ch, nil, &req)
		var next struct {
			RedirectTo string `json:"redirect_to"`
		}
		hydraJSON(t, http.MethodPut, admin+"/admin/oauth2/auth/requests/consent/accept?consent_challenge="+ch, map[string]any{
			"grant_scope": req.Scope, "grant_access_token_audience": req.Audience,
			"session": map[string]any{"id_token": map[string]any{"email": email, "email_verified": true}},
		}, &next)
		http.Redirect(w, r, next.RedirectTo, http.StatusFound)
	})
	return mux
}

// hydraJSON calls Hydra's API with body as JSON and decodes the answer
// into out; anything but 2xx fails the test.
func hydraJSON(t *testing.T, method, u string, body, out any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Error(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, u, err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Errorf("%s %s = %d %s", method, u, resp.StatusCode, strings.TrimSpace(string(b)))
		return
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Errorf("%s %s: %v in %s", method, u, err, b)
	}
}
