package sqlite

import (
	"context"
	"fmt"
	"time"
)

// Steps of Prune: at most pruneStep rows of a table go in one transaction,
// with prunePause between transactions, so that the writer of spans never
// waits long for the write lock.
const (
	pruneStep  = 1000
	prunePause = 10 * time.Millisecond
)

// pruneDeletes delete one step of rows older than a cutoff from one
// namespace (arguments: ns, cutoff in unix ns, step). Traces go by the start
// of the trace, spans by their own start (so the late spans of a long trace
// stay until they are old themselves), rollups by their minute.
var pruneDeletes = []struct{ table, query string }{
	{"spans", `DELETE FROM spans WHERE rowid IN (SELECT rowid FROM spans WHERE ns = ?1 AND start < ?2 LIMIT ?3)`},
	{"traces", `DELETE FROM traces WHERE rowid IN (SELECT rowid FROM traces WHERE ns = ?1 AND start < ?2 LIMIT ?3)`},
	{"span_minutes", `DELETE FROM span_minutes WHERE (ns, minute, name, location, app) IN
		(SELECT ns, minute, name, location, app FROM span_minutes WHERE ns = ?1 AND minute < ?2 LIMIT ?3)`},
	{"span_minute_errors", `DELETE FROM span_minute_errors WHERE (ns, minute, name, location, app, fingerprint) IN
		(SELECT ns, minute, name, location, app, fingerprint FROM span_minute_errors WHERE ns = ?1 AND minute < ?2 LIMIT ?3)`},
	// An hour goes once all of it is older than the cutoff.
	{"span_hours", `DELETE FROM span_hours WHERE (ns, hour, name, location, app) IN
		(SELECT ns, hour, name, location, app FROM span_hours WHERE ns = ?1 AND hour + 3600000000000 <= ?2 LIMIT ?3)`},
	{"span_hour_errors", `DELETE FROM span_hour_errors WHERE (ns, hour, name, location, app, fingerprint) IN
		(SELECT ns, hour, name, location, app, fingerprint FROM span_hour_errors WHERE ns = ?1 AND hour + 3600000000000 <= ?2 LIMIT ?3)`},
}

// Prune deletes the traces, spans and per-minute rollups of every namespace
// that are older than cutoff, in transactions of at most 1000 rows with a
// short pause between them, and returns how many rows it deleted. Error
// groups, their verdicts, apps and keys are kept. It stops at ctx's end.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM namespaces`)
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	var nss []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("prune: %w", err)
		}
		nss = append(nss, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	total := 0
	for _, ns := range nss {
		for _, d := range pruneDeletes {
			for {
				res, err := s.w.ExecContext(ctx, d.query, ns, cutoff.UnixNano(), pruneStep)
				if err != nil {
					return total, fmt.Errorf("prune %s: %w", d.table, s.noteWrite(err))
				}
				n, _ := res.RowsAffected()
				total += int(n)
				if n < pruneStep {
					break
				}
				select {
				case <-ctx.Done():
					return total, ctx.Err()
				case <-time.After(prunePause):
				}
			}
		}
	}
	return total, nil
}
