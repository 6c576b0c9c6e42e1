package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/spantree/spantree/store"
)

// KeyIDLen is the length of a key's id (store.KeyIDLen).
const KeyIDLen = store.KeyIDLen

// KeyInfo describes an API key without its secret (its ID has KeyIDLen
// hex characters).
type KeyInfo = store.KeyInfo

// KeyID returns the id of key, as ListKeys shows it (store.KeyID).
func KeyID(key string) string { return store.KeyID(key) }

// ListKeys lists the API keys of namespace (all namespaces when empty),
// oldest first; it returns store.ErrNotFound for a namespace that does not
// exist.
func (s *Store) ListKeys(ctx context.Context, namespace string) ([]KeyInfo, error) {
	q := `SELECT k.hash, n.name, k.created FROM api_keys k JOIN namespaces n ON n.id = k.ns`
	var args []any
	if namespace != "" {
		if _, err := s.nsID(ctx, namespace); err != nil {
			return nil, fmt.Errorf("list keys of %q: %w", namespace, err)
		}
		q += ` WHERE n.name = ?`
		args = append(args, namespace)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY k.created, n.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	out := []KeyInfo{}
	for rows.Next() {
		var hash []byte
		var k KeyInfo
		var created int64
		if err := rows.Scan(&hash, &k.Namespace, &created); err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		k.ID = hex.EncodeToString(hash[:KeyIDLen/2])
		k.Created = time.Unix(0, created).UTC()
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey deletes an API key, given as the key itself or its id, and
// returns what it was. A server on the same file refuses the key within
// keyTTL. It returns store.ErrNotFound when no key matches, and an error
// when an id matches several keys.
func (s *Store) RevokeKey(ctx context.Context, keyOrID string) (KeyInfo, error) {
	var where string
	var args []any
	switch {
	case strings.HasPrefix(keyOrID, keyPrefix):
		h := sha256.Sum256([]byte(keyOrID))
		where, args = `k.hash = ?`, []any{h[:]}
	case len(keyOrID) == KeyIDLen:
		b, err := hex.DecodeString(keyOrID)
		if err != nil {
			return KeyInfo{}, fmt.Errorf("revoke key: %q is neither a key (%s...) nor a key id (%d hex characters)", keyOrID, keyPrefix, KeyIDLen)
		}
		where, args = `substr(k.hash, 1, ?) = ?`, []any{len(b), b}
	default:
		return KeyInfo{}, fmt.Errorf("revoke key: %q is neither a key (%s...) nor a key id (%d hex characters)", keyOrID, keyPrefix, KeyIDLen)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("revoke key: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT k.hash, n.name, k.created FROM api_keys k JOIN namespaces n ON n.id = k.ns WHERE `+where, args...)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("revoke key: %w", err)
	}
	var hashes [][]byte
	var k KeyInfo
	for rows.Next() {
		var hash []byte
		var created int64
		if err := rows.Scan(&hash, &k.Namespace, &created); err != nil {
			rows.Close()
			return KeyInfo{}, fmt.Errorf("revoke key: %w", err)
		}
		hashes = append(hashes, hash)
		k.ID, k.Created = hex.EncodeToString(hash[:KeyIDLen/2]), time.Unix(0, created).UTC()
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return KeyInfo{}, fmt.Errorf("revoke key: %w", err)
	}
	switch len(hashes) {
	case 0:
		return KeyInfo{}, fmt.Errorf("revoke key %s: %w", keyOrID[:min(len(keyOrID), KeyIDLen)], store.ErrNotFound)
	case 1:
	default:
		return KeyInfo{}, fmt.Errorf("revoke key: id %s matches %d keys; give the key itself", keyOrID, len(hashes))
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE hash = ?`, hashes[0]); err != nil {
		return KeyInfo{}, fmt.Errorf("revoke key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return KeyInfo{}, fmt.Errorf("revoke key: %w", err)
	}
	var h [32]byte
	copy(h[:], hashes[0])
	s.keys.Delete(h)
	return k, nil
}
