package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// User is a person who signs in to the web view (OpenID Connect, package
// signin): known by the email address the provider vouched for, a member of
// some namespaces, working in one of them at a time.
type User struct {
	Email string `json:"email"`
	// LastNamespace is the namespace the user worked in last, where the
	// next sign-in lands; "" when the user is a member of none.
	LastNamespace string `json:"last_namespace"`
	// LastAccess is the user's latest sign-in or change of namespace.
	LastAccess time.Time `json:"last_access"`
	Created    time.Time `json:"created"`
	// Namespaces are those the user is a member of, sorted.
	Namespaces []string `json:"namespaces"`
}

// Users is what an engine keeps of the people who sign in: users, their
// namespaces, and their sessions (kept as SHA-256 hashes of the session
// tokens, as API keys are). Both engines implement it.
type Users interface {
	// SignIn records a sign-in of email at time at: it makes the user on
	// the first one, adds it to the namespaces of join (each made if
	// needed; none is ever taken away) and sets its last access. The last
	// namespace, when the user has none yet, becomes join's first. It
	// returns the user as stored.
	SignIn(ctx context.Context, email string, join []string, at time.Time) (*User, error)
	// User returns the user of email, or ErrNotFound.
	User(ctx context.Context, email string) (*User, error)
	// SetLastNamespace makes namespace the user's last one, at time at; it
	// returns ErrNotFound when the user is not a member of it.
	SetLastNamespace(ctx context.Context, email, namespace string, at time.Time) error

	// CreateSession makes a session of the user email that lasts until
	// expires, and returns its token; only the token's hash is kept.
	CreateSession(ctx context.Context, email string, expires time.Time) (string, error)
	// Session returns the email of the session token, or ErrUnauthorized
	// when there is no such session, or it ended or expired.
	Session(ctx context.Context, token string) (string, error)
	// EndSession ends the session of token (signing out); ending one that
	// does not exist is not an error.
	EndSession(ctx context.Context, token string) error
}

// KeyInfo describes an API key without its secret.
type KeyInfo struct {
	ID        string // the first hex characters of its hash
	Namespace string
	Created   time.Time
}

// Keys is the lifecycle of API keys beyond [Store.CreateKey], which both
// engines implement: `spantree key list` and `revoke`, and the web view's
// Keys page.
type Keys interface {
	// ListKeys lists the keys of namespace (all when ""), oldest first;
	// ErrNotFound for a namespace that does not exist.
	ListKeys(ctx context.Context, namespace string) ([]KeyInfo, error)
	// RevokeKey revokes a key given as the key or its id, effective at
	// once on every receiver of the database (within half a second);
	// ErrNotFound when no key matches.
	RevokeKey(ctx context.Context, keyOrID string) (KeyInfo, error)
}

// KeyIDLen is the length of a key's id: the first hex characters of its
// hash, which say nothing of the key itself.
const KeyIDLen = 12

// KeyID returns the id of key, as ListKeys shows it.
func KeyID(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:KeyIDLen/2])
}

// sessionPrefix marks session tokens, as the engines' API keys have a
// prefix of their own.
const sessionPrefix = "sts_"

// NewSessionToken returns a new random session token and the hash an
// engine keeps of it: the token itself is never stored.
func NewSessionToken() (token string, hash [32]byte) {
	var raw [32]byte
	rand.Read(raw[:])
	token = sessionPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	return token, SessionHash(token)
}

// SessionHash is the hash an engine keeps of a session token.
func SessionHash(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// IsSessionToken reports whether token has the form of a session token
// (an engine refuses any other without looking it up).
func IsSessionToken(token string) bool { return strings.HasPrefix(token, sessionPrefix) }
