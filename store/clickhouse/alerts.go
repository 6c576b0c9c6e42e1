package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/spantree/spantree/store"
)

// AlertRecords returns the alert engine's state: the newest row of each
// record, unless it is a deletion.
func (s *Store) AlertRecords(ctx context.Context) ([]store.AlertRecord, error) {
	rows, err := s.conn.Query(ctx, `SELECT ns, kind, key, argMax(body, updated) FROM alert_records
		GROUP BY ns, kind, key HAVING argMax(deleted, updated) = 0 ORDER BY ns, kind, key`)
	if err != nil {
		return nil, fmt.Errorf("alert records: %w", classify(err))
	}
	defer rows.Close()
	var out []store.AlertRecord
	for rows.Next() {
		var r store.AlertRecord
		var body string
		if err := rows.Scan(&r.Namespace, &r.Kind, &r.Key, &body); err != nil {
			return nil, fmt.Errorf("alert records: %w", classify(err))
		}
		r.Body = []byte(body)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alert records: %w", classify(err))
	}
	return out, nil
}

// SaveAlertRecords inserts a row per record of put and a deletion per
// record of del, in one insert.
func (s *Store) SaveAlertRecords(ctx context.Context, put, del []store.AlertRecord) error {
	if len(put) == 0 && len(del) == 0 {
		return nil
	}
	ver := s.nextVer()
	rows := make([][]any, 0, len(put)+len(del))
	for _, r := range del {
		rows = append(rows, []any{r.Namespace, r.Kind, r.Key, "", uint8(1), ver})
	}
	for _, r := range put {
		rows = append(rows, []any{r.Namespace, r.Kind, r.Key, string(r.Body), uint8(0), ver})
	}
	if err := s.insert(ctx, "alert_records", "ns, kind, key, body, deleted, updated", rows); err != nil {
		return fmt.Errorf("save alert records: %w", err)
	}
	return nil
}

// nextVer is the time now in unix ns, or one more than the last.
func (s *Store) nextVer() int64 {
	for {
		last := s.lastVer.Load()
		v := max(time.Now().UnixNano(), last+1)
		if s.lastVer.CompareAndSwap(last, v) {
			return v
		}
	}
}
