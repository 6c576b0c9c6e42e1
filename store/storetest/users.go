package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/store"
)

func users(t *testing.T, open Opener) (store.Store, store.Users) {
	t.Helper()
	st := open(t)
	us, ok := st.(store.Users)
	if !ok {
		t.Fatalf("%T does not implement store.Users", st)
	}
	return st, us
}

// testUsers: a first sign-in makes the user, a member of the namespaces it
// joins and working in the first; later sign-ins add namespaces, keep the
// last one and move the last access; the last namespace moves only to a
// namespace of the user's.
func testUsers(t *testing.T, open Opener) {
	st, us := users(t, open)
	ctx := context.Background()
	t1, t2, t3 := t0, t0.Add(time.Hour), t0.Add(2*time.Hour)
	if _, err := us.User(ctx, "ann@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("User(unknown) error = %v; want ErrNotFound", err)
	}
	u, err := us.SignIn(ctx, "ann@example.com", []string{"acme"}, t1)
	if err != nil {
		t.Fatal(err)
	}
	want := &store.User{Email: "ann@example.com", LastNamespace: "acme", LastAccess: t1, Created: t1, Namespaces: []string{"acme"}}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("first SignIn (-want +got):\n%s", diff)
	}
	u, err = us.SignIn(ctx, "ann@example.com", []string{"beta", "acme"}, t2)
	if err != nil {
		t.Fatal(err)
	}
	want = &store.User{Email: "ann@example.com", LastNamespace: "acme", LastAccess: t2, Created: t1, Namespaces: []string{"acme", "beta"}}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("second SignIn (-want +got):\n%s", diff)
	}
	if err := us.SetLastNamespace(ctx, "ann@example.com", "beta", t3); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"gamma", "other"} {
		if err := us.SetLastNamespace(ctx, "ann@example.com", ns, t3); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetLastNamespace(%s) error = %v; want ErrNotFound", ns, err)
		}
	}
	if err := us.SetLastNamespace(ctx, "bob@example.com", "acme", t3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetLastNamespace of an unknown user: error = %v; want ErrNotFound", err)
	}
	u, err = us.User(ctx, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	want = &store.User{Email: "ann@example.com", LastNamespace: "beta", LastAccess: t3, Created: t1, Namespaces: []string{"acme", "beta"}}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("User after SetLastNamespace (-want +got):\n%s", diff)
	}
	// A user no rule gives a namespace to is a member of none.
	u, err = us.SignIn(ctx, "bob@example.com", nil, t1)
	if err != nil {
		t.Fatal(err)
	}
	want = &store.User{Email: "bob@example.com", LastAccess: t1, Created: t1, Namespaces: []string{}}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("SignIn without namespaces (-want +got):\n%s", diff)
	}
	// The namespaces a sign-in joined exist for keys and ingest alike.
	nss, err := st.Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme", "beta"}, nss); diff != "" {
		t.Errorf("Namespaces (-want +got):\n%s", diff)
	}
}

// testSessions: a session names its user until it ends or expires; a token
// never made names nobody.
func testSessions(t *testing.T, open Opener) {
	_, us := users(t, open)
	ctx := context.Background()
	if _, err := us.SignIn(ctx, "ann@example.com", []string{"acme"}, t0); err != nil {
		t.Fatal(err)
	}
	live, err := us.CreateSession(ctx, "ann@example.com", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	other, err := us.CreateSession(ctx, "ann@example.com", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expired, err := us.CreateSession(ctx, "ann@example.com", time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if live == other {
		t.Fatalf("two sessions got the same token %q", live)
	}
	for _, tok := range []string{live, other} {
		if got, err := us.Session(ctx, tok); err != nil || got != "ann@example.com" {
			t.Errorf("Session(live) = %q, %v; want ann@example.com", got, err)
		}
	}
	for name, tok := range map[string]string{"expired": expired, "unknown": live + "x", "empty": "", "an API key": "stk_" + live[4:]} {
		if got, err := us.Session(ctx, tok); !errors.Is(err, store.ErrUnauthorized) {
			t.Errorf("Session(%s) = %q, %v; want ErrUnauthorized", name, got, err)
		}
	}
	if err := us.EndSession(ctx, live); err != nil {
		t.Fatal(err)
	}
	if got, err := us.Session(ctx, live); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("Session(ended) = %q, %v; want ErrUnauthorized", got, err)
	}
	if got, err := us.Session(ctx, other); err != nil || got != "ann@example.com" {
		t.Errorf("Session(other) after the first ended = %q, %v; want ann@example.com", got, err)
	}
	if err := us.EndSession(ctx, "sts_never"); err != nil {
		t.Errorf("EndSession(unknown) = %v; want nil", err)
	}
}

// testKeyLifecycle: a key is listed under its namespace by its id, and
// refused at once once revoked by that id; the other namespace's key stays.
func testKeyLifecycle(t *testing.T, open Opener) {
	st := open(t)
	ks, ok := st.(store.Keys)
	if !ok {
		t.Fatalf("%T does not implement store.Keys", st)
	}
	ctx := context.Background()
	ka, err := st.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	kb, err := st.CreateKey(ctx, "beta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, ka); err != nil {
		t.Fatal(err)
	}
	list, err := ks.ListKeys(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Namespace != "acme" || len(list[0].ID) != 12 {
		t.Fatalf("ListKeys(acme) = %+v; want one key of acme with a 12-character id", list)
	}
	all, err := ks.ListKeys(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(all, func(k store.KeyInfo) bool { return k.Namespace == "beta" }) || len(all) != 2 {
		t.Errorf("ListKeys() = %+v; want the keys of acme and beta", all)
	}
	if _, err := ks.ListKeys(ctx, "gamma"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListKeys(gamma) error = %v; want ErrNotFound", err)
	}
	got, err := ks.RevokeKey(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != list[0].ID || got.Namespace != "acme" {
		t.Errorf("RevokeKey = %+v; want %+v", got, list[0])
	}
	if _, err := st.Authenticate(ctx, ka); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("Authenticate(revoked) error = %v; want ErrUnauthorized", err)
	}
	if ns, err := st.Authenticate(ctx, kb); err != nil || ns != "beta" {
		t.Errorf("Authenticate(beta's key) = %q, %v; want beta", ns, err)
	}
	if list, err := ks.ListKeys(ctx, "acme"); err != nil || len(list) != 0 {
		t.Errorf("ListKeys(acme) after revoke = %+v, %v; want none", list, err)
	}
	if _, err := ks.RevokeKey(ctx, list[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeKey again: error = %v; want ErrNotFound", err)
	}
}
