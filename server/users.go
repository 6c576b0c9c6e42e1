package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/spantree/spantree/signin"
	"github.com/spantree/spantree/store"
)

// Users. The routes under /v1/me and /v1/keys are the web view's
// signed-in users' (Options.SignIn): who they are and which namespace they
// work in, and the API keys of that namespace, made and revoked for
// programs. They take the session cookie only, never an API key: a key
// that could make keys would outlive its own revocation.

// errKeyNotSession refuses a key on the users' routes.
var errKeyNotSession = &httpError{status: http.StatusForbidden,
	msg: "X-API-Key: this route is for signed-in users of the web view (keys are made with spantree key, or on the web view's Keys page)"}

// signedIn adapts an endpoint of the signed-in user.
func signedIn(h func(s *server, w http.ResponseWriter, r *http.Request, m *signin.Member) error) func(*server, http.ResponseWriter, *http.Request) {
	return func(s *server, w http.ResponseWriter, r *http.Request) {
		err := func() error {
			if s.opts.SignIn == nil {
				return &httpError{status: http.StatusNotFound, msg: "sign-in is not configured on this receiver (spantree serve -oidc-issuer): use an API key"}
			}
			if r.Header.Get("X-API-Key") != "" {
				return errKeyNotSession
			}
			m, err := s.opts.SignIn.Member(r)
			if err != nil {
				return err
			}
			return h(s, w, r, m)
		}()
		if err != nil {
			s.fail(w, r, err)
		}
	}
}

// meJSON is GET /v1/me's answer.
type meJSON struct {
	Email      string    `json:"email"`
	Namespace  string    `json:"namespace"`
	Namespaces []string  `json:"namespaces"`
	LastAccess time.Time `json:"last_access"`
	// CSRFToken goes in X-CSRF-Token on every call that changes
	// something.
	CSRFToken string `json:"csrf_token"`
}

func meOf(m *signin.Member) meJSON {
	return meJSON{Email: m.Email, Namespace: m.Namespace, Namespaces: m.Namespaces, LastAccess: m.LastAccess, CSRFToken: m.CSRF}
}

// me is GET /v1/me: the signed-in user.
func (s *server) me(w http.ResponseWriter, r *http.Request, m *signin.Member) error {
	writeJSON(w, http.StatusOK, meOf(m))
	return nil
}

// setMe is PUT /v1/me {"namespace":"..."}: work in another of the user's
// namespaces, which the next sign-in lands on too.
func (s *server) setMe(w http.ResponseWriter, r *http.Request, m *signin.Member) error {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req struct {
		Namespace *string `json:"namespace"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest("body", "want {\"namespace\":\"...\"}: %v", err)
	}
	if req.Namespace == nil || *req.Namespace == "" {
		return badRequest("namespace", "missing")
	}
	ns := *req.Namespace
	if !slices.Contains(m.Namespaces, ns) {
		return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("namespace: %q is not one of yours", ns)}
	}
	if err := s.opts.SignIn.SetNamespace(r.Context(), m, ns); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("namespace: %q is not one of yours", ns)}
		}
		return err
	}
	m.Namespace = ns
	writeJSON(w, http.StatusOK, meOf(m))
	return nil
}

// keyJSON is a key of GET /v1/keys; Key is there only in the answer of
// POST /v1/keys, the one time it is shown.
type keyJSON struct {
	ID        string    `json:"id"`
	Namespace string    `json:"namespace"`
	Created   time.Time `json:"created"`
	Key       string    `json:"key,omitempty"`
}

func (s *server) keys() (store.Keys, error) {
	ks, ok := s.st.(store.Keys)
	if !ok {
		return nil, fmt.Errorf("the store %T does not manage keys", s.st)
	}
	return ks, nil
}

// namespaceOf returns m's namespace, or ErrNoNamespace.
func namespaceOf(m *signin.Member) (string, error) {
	if m.Namespace == "" {
		return "", signin.ErrNoNamespace
	}
	return m.Namespace, nil
}

// keyList is GET /v1/keys: {"keys":[...]}, the namespace's keys, oldest
// first, without their secrets.
func (s *server) keyList(w http.ResponseWriter, r *http.Request, m *signin.Member) error {
	ns, err := namespaceOf(m)
	if err != nil {
		return err
	}
	ks, err := s.keys()
	if err != nil {
		return err
	}
	list, err := ks.ListKeys(r.Context(), ns)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	out := make([]keyJSON, len(list))
	for i, k := range list {
		out[i] = keyJSON{ID: k.ID, Namespace: k.Namespace, Created: k.Created}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

// createKey is POST /v1/keys: 201 and a new key of the namespace, shown
// this once.
func (s *server) createKey(w http.ResponseWriter, r *http.Request, m *signin.Member) error {
	ns, err := namespaceOf(m)
	if err != nil {
		return err
	}
	key, err := s.st.CreateKey(r.Context(), ns)
	if err != nil {
		return err
	}
	s.opts.Log.Printf("spantree: %s made key %s of namespace %s", m.Email, store.KeyID(key), ns)
	writeJSON(w, http.StatusCreated, keyJSON{ID: store.KeyID(key), Namespace: ns, Created: time.Now().UTC(), Key: key})
	return nil
}

// revokeKey is DELETE /v1/keys/{id}: 204, or 404 when the namespace has
// no key of that id. The key is refused at once, as after spantree key
// revoke.
func (s *server) revokeKey(w http.ResponseWriter, r *http.Request, m *signin.Member) error {
	ns, err := namespaceOf(m)
	if err != nil {
		return err
	}
	ks, err := s.keys()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	list, err := ks.ListKeys(r.Context(), ns)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Only a key of the user's namespace: the id is checked against its
	// list before anything is revoked.
	if !slices.ContainsFunc(list, func(k store.KeyInfo) bool { return k.ID == id }) {
		return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("id: no key %q in namespace %s", id, ns)}
	}
	if _, err := ks.RevokeKey(r.Context(), id); err != nil {
		return err
	}
	s.opts.Log.Printf("spantree: %s revoked key %s of namespace %s", m.Email, id, ns)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
