package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/signin"
	"github.com/spantree/spantree/store/sqlite"
	"github.com/spantree/spantree/web"
)

// TestBrowserSession drives the signed-in page in Chromium without a
// provider (the flow through a real one is TestSignInHydra, in make e2e):
// a session made in the store, as a sign-in makes it, shows its user and
// namespaces, switches namespace, makes and revokes a key on the Keys page,
// and signing out asks to sign in again.
func TestBrowserSession(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "spantree.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.SignIn(ctx, "ann@example.com", []string{"shop", "sandbox"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	token, err := st.CreateSession(ctx, "ann@example.com", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	public := "http://" + ts.Listener.Addr().String()
	// The provider is never reached: sessions are made above.
	a, err := signin.New(signin.Config{Issuer: "http://127.0.0.1:9", ClientID: "spantree", PublicURL: public, Namespace: "shop"}, st)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", server.New(st, server.Options{P99Refresh: -1, SignIn: a}))
	mux.Handle("/auth/", a.Handler())
	mux.Handle("GET /ui/", http.StripPrefix("/ui", web.Handler()))
	// What the callback does once the provider vouched for ann.
	mux.HandleFunc("GET /test/session", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "spantree_session", Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/ui/#/keys", http.StatusSeeOther)
	})
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)

	b.do(chromedp.Navigate(public + "/ui/"))
	b.waitText("#message", "Sign in to see")
	if got := eval[bool](b, `!document.querySelector("#sign-in-box").hidden && document.querySelector("#sign-in").href.includes("/auth/login?return=")`); !got {
		t.Errorf("the key panel offers no sign-in link:\n%s", b.pageText())
	}
	b.do(chromedp.Navigate(public + "/test/session"))
	b.waitText("#user-email", "ann@example.com")
	b.waitText("#keys-namespace", "shop") // the first namespace joined
	if got := eval[bool](b, `document.cookie.includes("spantree_session")`); got {
		t.Error("the page's scripts can read the session cookie; want it HttpOnly")
	}

	b.do(chromedp.SetValue(chromedp.CSS("#ns-select"), "sandbox"))
	eval[chromedp.Void](b, `document.querySelector("#ns-select").dispatchEvent(new Event("change"))`)
	b.waitText("#keys-namespace", "sandbox")
	b.do(chromedp.Click(chromedp.CSS("#create-key")))
	b.waitText("#new-key", "stk_")
	key := b.text("#new-key")
	if ns, err := st.Authenticate(ctx, key); err != nil || ns != "sandbox" {
		t.Errorf("the key made on the page authenticates as %q, %v; want sandbox", ns, err)
	}
	b.do(chromedp.Click(chromedp.CSS(".key-list button.revoke")), chromedp.Click(chromedp.CSS(".key-list button.revoke")))
	b.waitText("#message", "revoked")
	if _, err := st.Authenticate(ctx, key); err == nil {
		t.Error("the key revoked on the page still authenticates")
	}

	b.do(chromedp.Click(chromedp.CSS("#sign-out")))
	b.waitText("#key-panel", "Sign in")
	if _, err := st.Session(ctx, token); err == nil {
		t.Error("the session still works after signing out")
	}
	b.noErrors()
}
