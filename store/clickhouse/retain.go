package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// pruned are the tables that retention empties, partitioned by the day of
// their rows (toYYYYMMDD). Error groups, verdicts, apps and keys are kept.
var pruned = []string{"spans", "traces", "span_minutes"}

// Prune drops, on every server, the day partitions of traces, spans and
// rollups whose whole day is older than cutoff, and returns how many rows
// they held. ClickHouse 18.16 has no TTL clause: dropping a partition is
// its way of deleting old rows, and costs nothing whatever their number.
// Retention is therefore by whole days (UTC): a row is deleted within a day
// of passing cutoff. Several receivers may prune at once.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	// A day's partition may go once its last nanosecond is older than
	// cutoff.
	last := dayOf(cutoff.UnixNano()).AddDate(0, 0, -1)
	before, _ := strconv.Atoi(last.Format("20060102"))
	hosts := s.cfg.Addrs[:1]
	if s.cfg.Cluster != "" {
		var err error
		if hosts, err = clusterHosts(ctx, s.cfg); err != nil {
			return 0, fmt.Errorf("prune: %w", classify(err))
		}
	}
	total := 0
	for _, h := range hosts {
		n, err := s.pruneHost(ctx, h, before)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", h, err)
		}
	}
	return total, nil
}

// pruneHost drops the partitions up to the day before (YYYYMMDD) of the
// local tables of the server at addr.
func (s *Store) pruneHost(ctx context.Context, addr string, before int) (int, error) {
	conn, err := connect(Config{User: s.cfg.User, Password: s.cfg.Password}, []string{addr}, s.cfg.Database)
	if err != nil {
		return 0, classify(err)
	}
	defer conn.Close()
	total := 0
	for _, t := range pruned {
		table := t
		if s.cfg.Cluster != "" {
			table += "_local"
		}
		rows, err := conn.Query(ctx, `SELECT partition, sum(rows) FROM system.parts
			WHERE database = ? AND table = ? AND active GROUP BY partition ORDER BY partition`, s.cfg.Database, table)
		if err != nil {
			return total, fmt.Errorf("%s: %w", table, classify(err))
		}
		type part struct {
			id   string
			rows uint64
		}
		var drop []part
		for rows.Next() {
			var p part
			if err := rows.Scan(&p.id, &p.rows); err != nil {
				rows.Close()
				return total, fmt.Errorf("%s: %w", table, classify(err))
			}
			if day, err := strconv.Atoi(p.id); err == nil && day <= before {
				drop = append(drop, p)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, fmt.Errorf("%s: %w", table, classify(err))
		}
		for _, p := range drop {
			if err := conn.Exec(ctx, `ALTER TABLE `+table+` DROP PARTITION `+p.id); err != nil {
				return total, fmt.Errorf("%s: drop partition %s: %w", table, p.id, classify(err))
			}
			total += int(p.rows)
		}
	}
	return total, nil
}
