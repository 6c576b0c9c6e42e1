package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spantree/spantree/store"
)

var (
	_ store.Users = (*Store)(nil)
	_ store.Keys  = (*Store)(nil)
)

// SignIn writes the user's new row (its last namespace kept, or join's
// first when it had none) and a member row per namespace of join.
func (s *Store) SignIn(ctx context.Context, email string, join []string, at time.Time) (*store.User, error) {
	if email == "" {
		return nil, fmt.Errorf("sign in: empty email")
	}
	u, err := s.User(ctx, email)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
		u = &store.User{Email: email, Created: at.UTC(), Namespaces: []string{}}
	default:
		return nil, fmt.Errorf("sign in: %w", err)
	}
	var members [][]any
	for _, ns := range join {
		if err := s.ensureNamespace(ctx, ns); err != nil {
			return nil, fmt.Errorf("sign in %s: namespace %q: %w", email, ns, err)
		}
		if !slices.Contains(u.Namespaces, ns) {
			members = append(members, []any{email, ns, at.UnixNano()})
			u.Namespaces = append(u.Namespaces, ns)
		}
	}
	slices.Sort(u.Namespaces)
	if err := s.insert(ctx, "members", "email, ns, created", members); err != nil {
		return nil, fmt.Errorf("sign in %s: %w", email, err)
	}
	if u.LastNamespace == "" && len(join) > 0 {
		u.LastNamespace = join[0]
	}
	u.LastAccess = at.UTC()
	if err := s.writeUser(ctx, u); err != nil {
		return nil, fmt.Errorf("sign in %s: %w", email, err)
	}
	return u, nil
}

func (s *Store) writeUser(ctx context.Context, u *store.User) error {
	return s.insert(ctx, "users", "email, last_ns, last_access, created, ver",
		[][]any{{u.Email, u.LastNamespace, u.LastAccess.UnixNano(), u.Created.UnixNano(), s.nextVer()}})
}

// User reads the newest row of the user and its members.
func (s *Store) User(ctx context.Context, email string) (*store.User, error) {
	var last string
	var access, created int64
	err := s.conn.QueryRow(ctx, `SELECT argMax(last_ns, ver), argMax(last_access, ver), min(created) FROM users WHERE email = ? GROUP BY email`, email).
		Scan(&last, &access, &created)
	if isNoRows(err) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", email, classify(err))
	}
	u := &store.User{Email: email, LastNamespace: last, LastAccess: time.Unix(0, access).UTC(), Created: time.Unix(0, created).UTC(), Namespaces: []string{}}
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT ns FROM members WHERE email = ? ORDER BY ns`, email)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", email, classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var ns string
		if err := rows.Scan(&ns); err != nil {
			return nil, fmt.Errorf("user %s: %w", email, classify(err))
		}
		u.Namespaces = append(u.Namespaces, ns)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("user %s: %w", email, classify(err))
	}
	return u, nil
}

// SetLastNamespace writes a new row of the user if it is a member of
// namespace.
func (s *Store) SetLastNamespace(ctx context.Context, email, namespace string, at time.Time) error {
	u, err := s.User(ctx, email)
	if err != nil {
		return fmt.Errorf("set namespace of %s: %w", email, err)
	}
	if !slices.Contains(u.Namespaces, namespace) {
		return fmt.Errorf("set namespace of %s to %q: %w", email, namespace, store.ErrNotFound)
	}
	u.LastNamespace, u.LastAccess = namespace, at.UTC()
	if err := s.writeUser(ctx, u); err != nil {
		return fmt.Errorf("set namespace of %s: %w", email, err)
	}
	return nil
}

// CreateSession stores the hash of a new random token.
func (s *Store) CreateSession(ctx context.Context, email string, expires time.Time) (string, error) {
	token, hash := store.NewSessionToken()
	if err := s.insert(ctx, "sessions", "hash, email, expires, ended, ver",
		[][]any{{string(hash[:]), email, expires.UnixNano(), uint8(0), s.nextVer()}}); err != nil {
		return "", fmt.Errorf("create session of %s: %w", email, err)
	}
	return token, nil
}

// Session reads the newest row of the token's hash.
func (s *Store) Session(ctx context.Context, token string) (string, error) {
	if !store.IsSessionToken(token) {
		return "", store.ErrUnauthorized
	}
	hash := store.SessionHash(token)
	var email string
	var expires int64
	var ended uint8
	err := s.conn.QueryRow(ctx, `SELECT argMax(email, ver), argMax(expires, ver), argMax(ended, ver) FROM sessions WHERE hash = ? GROUP BY hash`, string(hash[:])).
		Scan(&email, &expires, &ended)
	if isNoRows(err) {
		return "", store.ErrUnauthorized
	}
	if err != nil {
		return "", fmt.Errorf("session: %w", classify(err))
	}
	if ended == 1 || expires <= time.Now().UnixNano() {
		return "", store.ErrUnauthorized
	}
	return email, nil
}

// EndSession writes a newer row of the session, ended.
func (s *Store) EndSession(ctx context.Context, token string) error {
	hash := store.SessionHash(token)
	if err := s.insert(ctx, "sessions", "hash, email, expires, ended, ver",
		[][]any{{string(hash[:]), "", int64(0), uint8(1), s.nextVer()}}); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
