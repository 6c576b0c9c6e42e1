package clickhouse

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spantree/spantree/store"
)

// keyPrefix marks spantree API keys, as the SQLite engine's do.
const keyPrefix = "stk_"

// KeyIDLen is the length of a key's id: the first hex characters of its
// hash.
const KeyIDLen = 12

// keyTTL is how long a key found stays trusted without another look, so
// that a key revoked through any receiver stops working within it.
const keyTTL = 500 * time.Millisecond

type keyEntry struct {
	ns    string
	until time.Time
}

// CreateKey makes a key of 32 random bytes and stores its SHA-256 hash.
func (s *Store) CreateKey(ctx context.Context, namespace string) (string, error) {
	if namespace == "" {
		return "", fmt.Errorf("create key: empty namespace")
	}
	var raw [32]byte
	rand.Read(raw[:])
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	hash := sha256.Sum256([]byte(key))
	now := time.Now().UnixNano()
	if err := s.ensureNamespace(ctx, namespace); err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	if err := s.insert(ctx, "api_keys", "hash, ns, created, revoked, ver", [][]any{{string(hash[:]), namespace, now, uint8(0), uint64(now)}}); err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	return key, nil
}

// Authenticate looks the key's hash up and compares it in constant time.
func (s *Store) Authenticate(ctx context.Context, key string) (string, error) {
	if key == "" {
		return "", store.ErrUnauthorized
	}
	hash := sha256.Sum256([]byte(key))
	if e, ok := s.keys.Load(hash); ok && time.Now().Before(e.(keyEntry).until) {
		return e.(keyEntry).ns, nil
	}
	var stored, ns string
	var revoked uint8
	err := s.conn.QueryRow(ctx, `SELECT hash, argMax(ns, ver), argMax(revoked, ver) FROM api_keys WHERE hash = ? GROUP BY hash`, string(hash[:])).Scan(&stored, &ns, &revoked)
	if isNoRows(err) || (err == nil && revoked == 1) {
		s.keys.Delete(hash)
		return "", store.ErrUnauthorized
	}
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", classify(err))
	}
	if subtle.ConstantTimeCompare([]byte(stored), hash[:]) != 1 {
		return "", store.ErrUnauthorized
	}
	s.keys.Store(hash, keyEntry{ns: ns, until: time.Now().Add(keyTTL)})
	return ns, nil
}

// Namespaces lists the namespaces by name.
func (s *Store) Namespaces(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT name FROM namespaces ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", classify(err))
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list namespaces: %w", classify(err))
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list namespaces: %w", classify(err))
	}
	return out, nil
}

// KeyInfo describes an API key without its secret (its ID has KeyIDLen
// hex characters).
type KeyInfo = store.KeyInfo

// ListKeys lists the keys not revoked of namespace (all when empty),
// oldest first; it returns store.ErrNotFound for a namespace that does not
// exist.
func (s *Store) ListKeys(ctx context.Context, namespace string) ([]KeyInfo, error) {
	if namespace != "" {
		nss, err := s.Namespaces(ctx)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		if !slices.Contains(nss, namespace) {
			return nil, fmt.Errorf("list keys of %q: %w", namespace, store.ErrNotFound)
		}
	}
	rows, err := s.conn.Query(ctx, `SELECT hash, argMax(ns, ver) AS n, min(created) AS c, argMax(revoked, ver) AS r FROM api_keys
		GROUP BY hash HAVING r = 0 AND (? = '' OR n = ?) ORDER BY c, n`, namespace, namespace)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", classify(err))
	}
	defer rows.Close()
	out := []KeyInfo{}
	for rows.Next() {
		var hash string
		var k KeyInfo
		var created int64
		var revoked uint8
		if err := rows.Scan(&hash, &k.Namespace, &created, &revoked); err != nil {
			return nil, fmt.Errorf("list keys: %w", classify(err))
		}
		k.ID = hex.EncodeToString([]byte(hash)[:KeyIDLen/2])
		k.Created = time.Unix(0, created).UTC()
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list keys: %w", classify(err))
	}
	return out, nil
}

// RevokeKey revokes a key, given as the key itself or its id, by a newer
// row of it; receivers refuse it within keyTTL. It returns
// store.ErrNotFound when no key matches, and an error when an id matches
// several.
func (s *Store) RevokeKey(ctx context.Context, keyOrID string) (KeyInfo, error) {
	var id string
	switch {
	case strings.HasPrefix(keyOrID, keyPrefix):
		h := sha256.Sum256([]byte(keyOrID))
		id = hex.EncodeToString(h[:KeyIDLen/2])
	case len(keyOrID) == KeyIDLen:
		if _, err := hex.DecodeString(keyOrID); err != nil {
			return KeyInfo{}, fmt.Errorf("revoke key: %q is neither a key (%s...) nor a key id (%d hex characters)", keyOrID, keyPrefix, KeyIDLen)
		}
		id = strings.ToLower(keyOrID)
	default:
		return KeyInfo{}, fmt.Errorf("revoke key: %q is neither a key (%s...) nor a key id (%d hex characters)", keyOrID, keyPrefix, KeyIDLen)
	}
	rows, err := s.conn.Query(ctx, `SELECT hash, argMax(ns, ver), min(created), argMax(revoked, ver) AS r FROM api_keys
		WHERE lower(hex(substring(hash, 1, ?))) = ? GROUP BY hash HAVING r = 0`, KeyIDLen/2, id)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("revoke key: %w", classify(err))
	}
	var hashes []string
	var k KeyInfo
	for rows.Next() {
		var hash string
		var created int64
		var revoked uint8
		if err := rows.Scan(&hash, &k.Namespace, &created, &revoked); err != nil {
			rows.Close()
			return KeyInfo{}, fmt.Errorf("revoke key: %w", classify(err))
		}
		hashes = append(hashes, hash)
		k.ID, k.Created = id, time.Unix(0, created).UTC()
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return KeyInfo{}, fmt.Errorf("revoke key: %w", classify(err))
	}
	switch len(hashes) {
	case 0:
		return KeyInfo{}, fmt.Errorf("revoke key %s: %w", keyOrID[:min(len(keyOrID), KeyIDLen)], store.ErrNotFound)
	case 1:
	default:
		return KeyInfo{}, fmt.Errorf("revoke key: id %s matches %d keys; give the key itself", keyOrID, len(hashes))
	}
	now := time.Now().UnixNano()
	if err := s.insert(ctx, "api_keys", "hash, ns, created, revoked, ver", [][]any{{hashes[0], k.Namespace, k.Created.UnixNano(), uint8(1), uint64(now)}}); err != nil {
		return KeyInfo{}, fmt.Errorf("revoke key: %w", err)
	}
	var h [32]byte
	copy(h[:], hashes[0])
	s.keys.Delete(h)
	return k, nil
}
