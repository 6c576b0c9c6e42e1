package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/spantree/spantree/store"
)

// AlertRecords returns the alert engine's state.
func (s *Store) AlertRecords(ctx context.Context) ([]store.AlertRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT ns, kind, key, body FROM alert_records ORDER BY ns, kind, key`)
	if err != nil {
		return nil, fmt.Errorf("alert records: %w", err)
	}
	defer rows.Close()
	var out []store.AlertRecord
	for rows.Next() {
		var r store.AlertRecord
		var body string
		if err := rows.Scan(&r.Namespace, &r.Kind, &r.Key, &body); err != nil {
			return nil, fmt.Errorf("alert records: %w", err)
		}
		r.Body = []byte(body)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alert records: %w", err)
	}
	return out, nil
}

// SaveAlertRecords stores put and deletes del in one transaction.
func (s *Store) SaveAlertRecords(ctx context.Context, put, del []store.AlertRecord) error {
	if len(put) == 0 && len(del) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save alert records: %w", err)
	}
	defer tx.Rollback()
	now := time.Now().UnixNano()
	for _, r := range del {
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_records WHERE ns = ? AND kind = ? AND key = ?`, r.Namespace, r.Kind, r.Key); err != nil {
			return fmt.Errorf("save alert records: %w", err)
		}
	}
	for _, r := range put {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_records (ns, kind, key, body, updated) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (ns, kind, key) DO UPDATE SET body = excluded.body, updated = excluded.updated`,
			r.Namespace, r.Kind, r.Key, string(r.Body), now); err != nil {
			return fmt.Errorf("save alert records: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save alert records: %w", err)
	}
	return nil
}
