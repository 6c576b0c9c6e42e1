package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/spantree/spantree/store"
)

var (
	_ store.Users = (*Store)(nil)
	_ store.Keys  = (*Store)(nil)
)

// SignIn makes or updates the user and its memberships in one transaction.
func (s *Store) SignIn(ctx context.Context, email string, join []string, at time.Time) (*store.User, error) {
	if email == "" {
		return nil, fmt.Errorf("sign in: empty email")
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sign in %s: %w", email, err)
	}
	defer tx.Rollback()
	now := at.UnixNano()
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (email, last_access, created) VALUES (?, ?, ?)
		ON CONFLICT (email) DO UPDATE SET last_access = excluded.last_access`, email, now, now); err != nil {
		return nil, fmt.Errorf("sign in %s: %w", email, err)
	}
	for _, ns := range join {
		if _, err := tx.ExecContext(ctx, `INSERT INTO namespaces (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, ns, now); err != nil {
			return nil, fmt.Errorf("sign in %s: namespace %q: %w", email, ns, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (email, ns, created) SELECT ?, id, ? FROM namespaces WHERE name = ?
			ON CONFLICT (email, ns) DO NOTHING`, email, now, ns); err != nil {
			return nil, fmt.Errorf("sign in %s: namespace %q: %w", email, ns, err)
		}
	}
	if len(join) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_ns = (SELECT id FROM namespaces WHERE name = ?)
			WHERE email = ? AND last_ns IS NULL`, join[0], email); err != nil {
			return nil, fmt.Errorf("sign in %s: %w", email, err)
		}
	}
	// The user's expired sessions go at each sign-in, so that the table
	// holds no more than its users' live sessions and one more each.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE email = ? AND expires <= ?`, email, now); err != nil {
		return nil, fmt.Errorf("sign in %s: %w", email, err)
	}
	u, err := readUser(ctx, tx, email)
	if err != nil {
		return nil, fmt.Errorf("sign in %s: %w", email, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sign in %s: %w", email, err)
	}
	return u, nil
}

// querier is what readUser needs of a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readUser(ctx context.Context, q querier, email string) (*store.User, error) {
	u := &store.User{Email: email, Namespaces: []string{}}
	var last sql.NullString
	var access, created int64
	err := q.QueryRowContext(ctx, `SELECT n.name, u.last_access, u.created FROM users u LEFT JOIN namespaces n ON n.id = u.last_ns
		WHERE u.email = ?`, email).Scan(&last, &access, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u.LastNamespace, u.LastAccess, u.Created = last.String, time.Unix(0, access).UTC(), time.Unix(0, created).UTC()
	rows, err := q.QueryContext(ctx, `SELECT n.name FROM members m JOIN namespaces n ON n.id = m.ns WHERE m.email = ? ORDER BY n.name`, email)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ns string
		if err := rows.Scan(&ns); err != nil {
			return nil, err
		}
		u.Namespaces = append(u.Namespaces, ns)
	}
	return u, rows.Err()
}

// User reads a user and its namespaces.
func (s *Store) User(ctx context.Context, email string) (_ *store.User, err error) {
	defer func() { err = s.noteRead(err) }()
	u, err := readUser(ctx, s.r, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("user %s: %w", email, err)
	}
	return u, err
}

// SetLastNamespace updates the user's row if it is a member of namespace.
func (s *Store) SetLastNamespace(ctx context.Context, email, namespace string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET last_ns = m.ns, last_access = ?
		FROM members m JOIN namespaces n ON n.id = m.ns
		WHERE users.email = ? AND m.email = users.email AND n.name = ?`, at.UnixNano(), email, namespace)
	if err != nil {
		return fmt.Errorf("set namespace of %s: %w", email, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("set namespace of %s to %q: %w", email, namespace, store.ErrNotFound)
	}
	return nil
}

// CreateSession stores the hash of a new random token.
func (s *Store) CreateSession(ctx context.Context, email string, expires time.Time) (string, error) {
	token, hash := store.NewSessionToken()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO sessions (hash, email, created, expires) VALUES (?, ?, ?, ?)`,
		hash[:], email, time.Now().UnixNano(), expires.UnixNano()); err != nil {
		return "", fmt.Errorf("create session of %s: %w", email, err)
	}
	return token, nil
}

// Session looks the token's hash up; the lookup is by hash, so its time
// says nothing of the token.
func (s *Store) Session(ctx context.Context, token string) (_ string, err error) {
	defer func() { err = s.noteRead(err) }()
	if !store.IsSessionToken(token) {
		return "", store.ErrUnauthorized
	}
	hash := store.SessionHash(token)
	var email string
	err = s.r.QueryRowContext(ctx, `SELECT email FROM sessions WHERE hash = ? AND expires > ?`, hash[:], time.Now().UnixNano()).Scan(&email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrUnauthorized
	}
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	return email, nil
}

// EndSession deletes the session's row.
func (s *Store) EndSession(ctx context.Context, token string) error {
	hash := store.SessionHash(token)
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash[:]); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
