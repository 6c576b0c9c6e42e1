package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// minuteOf returns the start of the rollup minute of start, in unix ns.
func minuteOf(start int64) int64 {
	const m = int64(store.RollupMinute)
	r := start % m
	if r < 0 {
		r += m
	}
	return start - r
}

type rollKey struct {
	minute              int64
	name, location, app string
}

type rollRow struct {
	store.RollupCounts
	fps  map[string]bool
	refs []spanRef
}

// rollups gathers the rollup rows of the finished spans of one Ingest.
type rollups struct {
	byKey map[rollKey]*rollRow
}

func newRollups() *rollups { return &rollups{byKey: map[rollKey]*rollRow{}} }

// rollSpan is what the rollups take of a finished span.
type rollSpan struct {
	ref                 spanRef
	trace               spantree.TraceID
	root, failed        bool
	name, location, app string
	start, dur          int64 // unix ns, ns
	fp                  string
	fold                *spantree.Fold
}

// add counts one finished span: the calls it stands for, a folded span's
// quickest and slowest calls and the others at their mean, as the SQLite
// engine does.
func (r *rollups) add(s *rollSpan) {
	k := rollKey{minuteOf(s.start), s.name, s.location, s.app}
	row := r.byKey[k]
	if row == nil {
		row = &rollRow{RollupCounts: store.NewRollupCounts(), fps: map[string]bool{}}
		r.byKey[k] = row
	}
	row.refs = append(row.refs, s.ref)
	row.Add(s.trace, s.start, s.dur, s.root, s.failed, s.fold)
	if s.fp != "" {
		row.fps[s.fp] = true
	}
}

// rows returns the rows of span_minutes.
func (r *rollups) rows(ns string) [][]any {
	out := make([][]any, 0, len(r.byKey))
	for k, row := range r.byKey {
		hist, _ := row.Hist.MarshalBinary()
		fps := make([]string, 0, len(row.fps))
		for fp := range row.fps {
			fps = append(fps, fp)
		}
		slices.Sort(fps)
		out = append(out, []any{ns, k.minute, k.name, k.location, k.app, contribID(ns, k, row.refs),
			row.Count, row.Failed, row.Roots, row.RootsFailed, row.LastSeen, string(row.LastTrace[:]),
			row.Max, string(row.MaxTrace[:]), string(hist), fps, dayOf(k.minute)})
	}
	return out
}

// ScanRollups reads the per-minute rollups of the minutes starting in
// [since truncated to the minute, until): the rows of each minute, name,
// location and app summed, each contribution once (GROUP BY contrib, as
// the table may not have merged copies yet), their histograms merged here.
func (s *Store) ScanRollups(ctx context.Context, namespace string, since, until time.Time, fn func(*store.Rollup) error) error {
	from, to := minuteOf(since.UnixNano()), until.UnixNano()
	rows, err := s.conn.Query(ctx, `SELECT minute, name, location, app, sum(c), sum(f), sum(r), sum(rf),
			max(ls), argMax(lt, ls), max(mx), argMax(mt, mx), groupArray(h), groupUniqArrayArray(fp)
		FROM (
			SELECT minute, name, location, app, contrib, any(count) AS c, any(failed) AS f, any(roots) AS r, any(roots_failed) AS rf,
				any(last_seen) AS ls, any(last_trace) AS lt, any(max) AS mx, any(max_trace) AS mt, any(hist) AS h, any(fingerprints) AS fp
			FROM span_minutes
			WHERE ns = ? AND minute >= ? AND minute < ? AND day >= toDate(?) AND day <= toDate(?)
			GROUP BY minute, name, location, app, contrib
		) GROUP BY minute, name, location, app`, namespace, from, to, dateOf(from), dateOf(max(from, to)))
	if err != nil {
		return fmt.Errorf("scan rollups: %w", classify(err))
	}
	defer rows.Close()
	var r store.Rollup
	for rows.Next() {
		var minute, lastSeen, maxDur, count, failed, roots, rootsFailed int64
		var lastTrace, maxTrace string
		var hists []string
		if err := rows.Scan(&minute, &r.Name, &r.Location, &r.App, &count, &failed, &roots, &rootsFailed,
			&lastSeen, &lastTrace, &maxDur, &maxTrace, &hists, &r.Fingerprints); err != nil {
			return fmt.Errorf("scan rollups: %w", classify(err))
		}
		r.Count, r.Failed, r.Roots, r.RootsFailed = int(count), int(failed), int(roots), int(rootsFailed)
		r.Minute, r.LastSeen, r.Max = time.Unix(0, minute).UTC(), time.Unix(0, lastSeen).UTC(), time.Duration(maxDur)
		copy(r.LastTraceID[:], lastTrace)
		copy(r.MaxTraceID[:], maxTrace)
		r.Hist = store.Histogram{}
		for _, h := range hists {
			var one store.Histogram
			if err := one.UnmarshalBinary([]byte(h)); err != nil {
				return fmt.Errorf("scan rollups: %s at %s: %w", r.Name, r.Minute, err)
			}
			r.Hist.Merge(&one)
		}
		slices.Sort(r.Fingerprints)
		if len(r.Fingerprints) == 0 {
			r.Fingerprints = nil
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan rollups: %w", classify(err))
	}
	return nil
}
