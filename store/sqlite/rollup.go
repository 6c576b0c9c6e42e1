package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	sqlitedrv "modernc.org/sqlite"
)

// histMergeFunc is the SQL function that adds two histograms in their binary
// form, for the rollup upsert.
const histMergeFunc = "spantree_hist_merge"

func init() {
	err := sqlitedrv.RegisterFunction(histMergeFunc, &sqlitedrv.FunctionImpl{
		NArgs:         2,
		Deterministic: true,
		Scalar: func(_ *sqlitedrv.FunctionContext, args []driver.Value) (driver.Value, error) {
			var a, b store.Histogram
			if err := a.UnmarshalBinary(blob(args[0])); err != nil {
				return nil, err
			}
			if err := b.UnmarshalBinary(blob(args[1])); err != nil {
				return nil, err
			}
			a.Merge(&b)
			return a.MarshalBinary()
		},
	})
	if err != nil {
		panic(fmt.Sprintf("register %s: %v", histMergeFunc, err))
	}
}

func blob(v driver.Value) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}

// minuteOf returns the start of the rollup minute of t, in unix ns.
func minuteOf(start int64) int64 {
	const m = int64(store.RollupMinute)
	r := start % m
	if r < 0 {
		r += m
	}
	return start - r
}

type rollKey struct {
	ns                  int64
	minute              int64
	name, location, app string
}

type rollErrKey struct {
	rollKey
	fingerprint string
}

type rollRow = store.RollupCounts

// rollups gathers the rollup rows of some finished spans before they are
// added to the tables.
type rollups struct {
	rows map[rollKey]*rollRow
	errs map[rollErrKey]bool
}

func newRollups() *rollups {
	return &rollups{rows: map[rollKey]*rollRow{}, errs: map[rollErrKey]bool{}}
}

// rollSpan is what the rollups take of a finished span.
type rollSpan struct {
	ns                  int64
	trace               spantree.TraceID
	root, failed        bool
	name, location, app string
	start, dur          int64 // unix ns, ns
	fp                  string
	fold                *spantree.Fold // of a folded span, nil otherwise
}

// add counts one finished span: the calls it stands for.
func (r *rollups) add(s *rollSpan) {
	k := rollKey{s.ns, minuteOf(s.start), s.name, s.location, s.app}
	row := r.rows[k]
	if row == nil {
		c := store.NewRollupCounts()
		row = &c
		r.rows[k] = row
	}
	row.Add(s.trace, s.start, s.dur, s.root, s.failed, s.fold)
	if s.fp != "" {
		r.errs[rollErrKey{k, s.fp}] = true
	}
}

const (
	rollCols  = 14
	rollChunk = 32
)

// A rollup table: span_minutes, or span_hours (migration 9), and the
// column of its time bucket.
type rollTable struct{ name, errors, bucket string }

var (
	minuteTable = rollTable{"span_minutes", "span_minute_errors", "minute"}
	hourTable   = rollTable{"span_hours", "span_hour_errors", "hour"}
)

func rollupInsert(t rollTable, rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO ` + t.name + ` (ns, ` + t.bucket + `, name, location, app, count, failed, roots, roots_failed,
		last_seen, last_trace, max, max_trace, hist) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	// Every expression reads the row as it was before the update.
	b.WriteString(strings.NewReplacer("T.", t.name+".").Replace(` ON CONFLICT (ns, ` + t.bucket + `, name, location, app) DO UPDATE SET
		count = T.count + excluded.count,
		failed = T.failed + excluded.failed,
		roots = T.roots + excluded.roots,
		roots_failed = T.roots_failed + excluded.roots_failed,
		last_trace = CASE WHEN excluded.last_seen > T.last_seen THEN excluded.last_trace ELSE T.last_trace END,
		last_seen = max(T.last_seen, excluded.last_seen),
		max_trace = CASE WHEN excluded.max > T.max THEN excluded.max_trace ELSE T.max_trace END,
		max = max(T.max, excluded.max),
		hist = ` + histMergeFunc + `(T.hist, excluded.hist)`))
	return b.String()
}

func rollErrInsert(t rollTable) string {
	return `INSERT INTO ` + t.errors + ` (ns, ` + t.bucket + `, name, location, app, fingerprint) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
}

// hourOf returns the start of the hour of minute (unix ns).
func hourOf(minute int64) int64 {
	const h = int64(time.Hour)
	r := minute % h
	if r < 0 {
		r += h
	}
	return minute - r
}

// hours sums the gathered minute rows into hour rows.
func (r *rollups) hours() *rollups {
	out := newRollups()
	for k, row := range r.rows {
		k.minute = hourOf(k.minute)
		h := out.rows[k]
		if h == nil {
			c := store.NewRollupCounts()
			h = &c
			out.rows[k] = h
		}
		h.Merge(row)
	}
	for k := range r.errs {
		k.minute = hourOf(k.minute)
		out.errs[k] = true
	}
	return out
}

// writeAll adds the gathered minute rows to the minute tables and their
// sums to the hour tables.
func (r *rollups) writeAll(ctx context.Context, stmt func(query string) (*sql.Stmt, error)) error {
	if err := r.write(ctx, minuteTable, stmt); err != nil {
		return err
	}
	return r.hours().write(ctx, hourTable, stmt)
}

// write adds the gathered rows to the tables of t, through statements
// that stmt prepares (and may cache).
func (r *rollups) write(ctx context.Context, t rollTable, stmt func(query string) (*sql.Stmt, error)) error {
	args := make([]any, 0, rollChunk*rollCols)
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		st, err := stmt(rollupInsert(t, n))
		if err != nil {
			return fmt.Errorf("rollups: %w", err)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("rollups: %w", err)
		}
		args, n = args[:0], 0
		return nil
	}
	for k, row := range r.rows {
		hist, _ := row.Hist.MarshalBinary()
		args = append(args, k.ns, k.minute, k.name, k.location, k.app, row.Count, row.Failed, row.Roots, row.RootsFailed,
			row.LastSeen, row.LastTrace[:], row.Max, row.MaxTrace[:], hist)
		n++
		if n == rollChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if len(r.errs) == 0 {
		return nil
	}
	st, err := stmt(rollErrInsert(t))
	if err != nil {
		return fmt.Errorf("rollup errors: %w", err)
	}
	for k := range r.errs {
		if _, err := st.ExecContext(ctx, k.ns, k.minute, k.name, k.location, k.app, k.fingerprint); err != nil {
			return fmt.Errorf("rollup errors: %w", err)
		}
	}
	return nil
}

// backfillRollups fills the rollup tables from the spans stored, in the
// transaction of migration 2 (which made them) and of migration 3 (which
// counts the calls of folded spans).
func backfillRollups(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT s.ns, t.ksuid, s.root, s.name, s.location, s.app, s.start, s.duration, s.failed, s.fingerprint,
		json_extract(s.data, '$.fold.count'), json_extract(s.data, '$.fold.total_ns'), json_extract(s.data, '$.fold.min_ns'), json_extract(s.data, '$.fold.max_ns')
		FROM spans s JOIN traces t ON t.ns = s.ns AND t.id = s.trace WHERE s.duration IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("backfill rollups: %w", err)
	}
	defer rows.Close()
	r := newRollups()
	for rows.Next() {
		var s rollSpan
		var ksuid []byte
		var fp sql.NullString
		var count, total, minNS, maxNS sql.NullInt64
		if err := rows.Scan(&s.ns, &ksuid, &s.root, &s.name, &s.location, &s.app, &s.start, &s.dur, &s.failed, &fp,
			&count, &total, &minNS, &maxNS); err != nil {
			return fmt.Errorf("backfill rollups: %w", err)
		}
		copy(s.trace[:], ksuid)
		s.fp = fp.String
		if count.Valid {
			s.fold = &spantree.Fold{Count: count.Int64, TotalNS: total.Int64, MinNS: minNS.Int64, MaxNS: maxNS.Int64}
		}
		r.add(&s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill rollups: %w", err)
	}
	rows.Close()
	stmt, done := txStmts(ctx, tx)
	defer done()
	return r.write(ctx, minuteTable, stmt)
}

// txStmts returns a stmt function for rollups.write that prepares each
// statement once in tx, and the function that closes them.
func txStmts(ctx context.Context, tx *sql.Tx) (func(string) (*sql.Stmt, error), func()) {
	stmts := map[string]*sql.Stmt{}
	stmt := func(q string) (*sql.Stmt, error) {
		if st, ok := stmts[q]; ok {
			return st, nil
		}
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		stmts[q] = st
		return st, nil
	}
	return stmt, func() {
		for _, st := range stmts {
			st.Close()
		}
	}
}

// ScanRollups reads the per-minute rollups of the minutes starting in
// [since truncated to the minute, until).
func (s *Store) ScanRollups(ctx context.Context, namespace string, since, until time.Time, fn func(*store.Rollup) error) error {
	return s.scanRollups(ctx, minuteTable, namespace, minuteOf(since.UnixNano()), until.UnixNano(), fn)
}

// ScanHourRollups reads the per-hour rollups of the hours starting in
// [since truncated to the hour, until) (store.HourRollups): Rollup.Minute
// is the hour's start.
func (s *Store) ScanHourRollups(ctx context.Context, namespace string, since, until time.Time, fn func(*store.Rollup) error) error {
	return s.scanRollups(ctx, hourTable, namespace, hourOf(since.UnixNano()), until.UnixNano(), fn)
}

// scanRollups reads the rows of table t whose bucket starts in [from, to)
// (unix ns).
func (s *Store) scanRollups(ctx context.Context, t rollTable, namespace string, from, to int64, fn func(*store.Rollup) error) (err error) {
	defer func() { err = s.noteRead(err) }()
	ns, err := s.nsID(ctx, namespace)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	fps := map[rollKey][]string{}
	erows, err := s.r.QueryContext(ctx, `SELECT `+t.bucket+`, name, location, app, fingerprint FROM `+t.errors+`
		WHERE ns = ? AND `+t.bucket+` >= ? AND `+t.bucket+` < ?`, ns, from, to)
	if err != nil {
		return fmt.Errorf("scan rollups: %w", err)
	}
	for erows.Next() {
		k := rollKey{ns: ns}
		var fp string
		if err := erows.Scan(&k.minute, &k.name, &k.location, &k.app, &fp); err != nil {
			erows.Close()
			return fmt.Errorf("scan rollups: %w", err)
		}
		fps[k] = append(fps[k], fp)
	}
	if err := erows.Close(); err != nil {
		return fmt.Errorf("scan rollups: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+t.bucket+`, name, location, app, count, failed, roots, roots_failed,
		last_seen, last_trace, max, max_trace, hist FROM `+t.name+` WHERE ns = ? AND `+t.bucket+` >= ? AND `+t.bucket+` < ?`, ns, from, to)
	if err != nil {
		return fmt.Errorf("scan rollups: %w", err)
	}
	defer rows.Close()
	var r store.Rollup
	for rows.Next() {
		var minute, lastSeen, maxDur int64
		var lastTrace, maxTrace, hist []byte
		if err := rows.Scan(&minute, &r.Name, &r.Location, &r.App, &r.Count, &r.Failed, &r.Roots, &r.RootsFailed,
			&lastSeen, &lastTrace, &maxDur, &maxTrace, &hist); err != nil {
			return fmt.Errorf("scan rollups: %w", err)
		}
		r.Minute, r.LastSeen, r.Max = time.Unix(0, minute).UTC(), time.Unix(0, lastSeen).UTC(), time.Duration(maxDur)
		copy(r.LastTraceID[:], lastTrace)
		copy(r.MaxTraceID[:], maxTrace)
		if err := r.Hist.UnmarshalBinary(hist); err != nil {
			return fmt.Errorf("scan rollups: %s at %s: %w", r.Name, r.Minute, err)
		}
		r.Fingerprints = fps[rollKey{ns, minute, r.Name, r.Location, r.App}]
		slices.Sort(r.Fingerprints)
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// backfillHours fills the hour tables from the minute tables, in the
// transaction of migration 9, which made them.
func backfillHours(ctx context.Context, tx *sql.Tx) error {
	r := newRollups()
	rows, err := tx.QueryContext(ctx, `SELECT ns, minute, name, location, app, count, failed, roots, roots_failed,
		last_seen, last_trace, max, max_trace, hist FROM span_minutes`)
	if err != nil {
		return fmt.Errorf("backfill hours: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k rollKey
		c := store.NewRollupCounts()
		var lastTrace, maxTrace, hist []byte
		if err := rows.Scan(&k.ns, &k.minute, &k.name, &k.location, &k.app, &c.Count, &c.Failed, &c.Roots, &c.RootsFailed,
			&c.LastSeen, &lastTrace, &c.Max, &maxTrace, &hist); err != nil {
			return fmt.Errorf("backfill hours: %w", err)
		}
		copy(c.LastTrace[:], lastTrace)
		copy(c.MaxTrace[:], maxTrace)
		if err := c.Hist.UnmarshalBinary(hist); err != nil {
			return fmt.Errorf("backfill hours: %s at %d: %w", k.name, k.minute, err)
		}
		r.rows[k] = &c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill hours: %w", err)
	}
	rows.Close()
	erows, err := tx.QueryContext(ctx, `SELECT ns, minute, name, location, app, fingerprint FROM span_minute_errors`)
	if err != nil {
		return fmt.Errorf("backfill hours: %w", err)
	}
	defer erows.Close()
	for erows.Next() {
		var k rollErrKey
		if err := erows.Scan(&k.ns, &k.minute, &k.name, &k.location, &k.app, &k.fingerprint); err != nil {
			return fmt.Errorf("backfill hours: %w", err)
		}
		r.errs[k] = true
	}
	if err := erows.Err(); err != nil {
		return fmt.Errorf("backfill hours: %w", err)
	}
	erows.Close()
	stmt, done := txStmts(ctx, tx)
	defer done()
	return r.hours().write(ctx, hourTable, stmt)
}
