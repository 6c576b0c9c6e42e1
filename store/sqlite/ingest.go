package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// writer owns the write connection and its prepared statements.
type writer struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	dyn   map[string]*sql.Stmt // prepared on first use, by query
	// raw are the statements of the span inserts, prepared on the driver's
	// connection and run past database/sql (execRaw), by query.
	raw map[string]driver.Stmt
	// finals are the finished spans of the request being applied that
	// count in the rollups; they join the commit's rollups once the
	// request has succeeded.
	finals []rollSpan
	nsIDs  map[string]int64
	apps   map[appKey][]string // versions seen, loaded on first use
	procs  map[procKey]int64   // process ids by tags, loaded on first use
	args   []driver.NamedValue // of the span inserts, reused
	// walNext is when boundWAL may try again after readers kept it waiting.
	walNext time.Time
}

type appKey struct {
	ns   int64
	name string
}

// procKey is a process's tag set (its JSON, keys sorted) in a namespace.
type procKey struct {
	ns   int64
	tags string
}

// spanCols are the columns of one span row; chunkRows rows go in one
// INSERT, which costs far less than one statement per span.
const (
	spanCols  = 14
	chunkRows = 64
)

func spanInsert(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO spans (ns, trace, span, root, name, location, app, start, duration, failed, fingerprint, calls, data, process) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	// A finished span is never replaced by a running copy of it that
	// arrives late (a retried publication).
	b.WriteString(` ON CONFLICT (ns, trace, span) DO UPDATE SET root = excluded.root, name = excluded.name,
		location = excluded.location, app = excluded.app, start = excluded.start, duration = excluded.duration,
		failed = excluded.failed, fingerprint = excluded.fingerprint, calls = excluded.calls, data = excluded.data,
		process = excluded.process
		WHERE excluded.duration IS NOT NULL OR spans.duration IS NULL`)
	return b.String()
}

// rootCase keeps the current root unless the candidate is a better root
// (no parent before a parent, then earlier) or a newer copy of the same span.
const rootCase = `(excluded.root_span = traces.root_span AND (excluded.duration > 0 OR traces.duration = 0))
	OR (excluded.root_span <> traces.root_span AND (excluded.root_parent, excluded.start) < (traces.root_parent, traces.start))`

// spanInsertFull is the insert of chunkRows spans.
var spanInsertFull = spanInsert(chunkRows)

var writerStmts = map[string]string{
	"refinal":      `SELECT trace, span FROM refinal`,
	"refinalClear": `DELETE FROM refinal`,
	"nsGet":        `SELECT id FROM namespaces WHERE name = ?`,
	"nsAdd":        `INSERT INTO namespaces (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
	"appGet":       `SELECT versions FROM apps WHERE ns = ? AND name = ?`,
	"appPut":       `INSERT INTO apps (ns, name, versions, spans, last_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT (ns, name) DO UPDATE SET versions = excluded.versions, spans = apps.spans + excluded.spans, last_seen = max(apps.last_seen, excluded.last_seen)`,
	"procGet":      `SELECT id FROM processes WHERE ns = ? AND tags = ?`,
	"procAdd":      `INSERT INTO processes (ns, id, service, tags) SELECT ?, COALESCE(MAX(id), 0) + 1, ?, ? FROM processes WHERE ns = ?`,
	"groupGet":     `SELECT kind, annotated_version FROM error_groups WHERE ns = ? AND fingerprint = ?`,
	"groupPut": `INSERT INTO error_groups (ns, fingerprint, grouping_version, type, message, name, location, app, first_seen, last_seen, last_trace, last_version, regressed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
		ON CONFLICT (ns, fingerprint) DO UPDATE SET
			message = CASE WHEN excluded.last_seen >= error_groups.last_seen THEN excluded.message ELSE error_groups.message END,
			app = CASE WHEN excluded.last_seen >= error_groups.last_seen THEN excluded.app ELSE error_groups.app END,
			last_trace = CASE WHEN excluded.last_seen >= error_groups.last_seen THEN excluded.last_trace ELSE error_groups.last_trace END,
			last_version = CASE WHEN excluded.last_seen >= error_groups.last_seen THEN excluded.last_version ELSE error_groups.last_version END,
			first_seen = min(error_groups.first_seen, excluded.first_seen),
			last_seen = max(error_groups.last_seen, excluded.last_seen),
			regressed = error_groups.regressed OR ?`,
}

// traceUpsert adds a trace or updates it with a batch's spans of it. A
// candidate root without a parent brings the next run number of its tags
// (run_seqs), which a trace without one takes; the triggers of migration
// 0007 then record it as the last one given. Both happen in the writer's
// transaction, which holds the file's write lock whichever process
// writes, so no other writer takes a number meanwhile, and a rollback gives
// it back.
const traceUpsert = `INSERT INTO traces (ns, id, ksuid, tags, root_span, root_parent, name, app, start, duration, status, updated, run)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			CASE WHEN ? THEN 0 ELSE (SELECT COALESCE(MAX(last), 0) + 1 FROM run_seqs WHERE ns = ? AND tags = ?) END)
		ON CONFLICT (ns, id) DO UPDATE SET
			tags = CASE WHEN ` + rootCase + ` THEN excluded.tags ELSE traces.tags END,
			updated = max(traces.updated, excluded.updated),
			name = CASE WHEN ` + rootCase + ` THEN excluded.name ELSE traces.name END,
			app = CASE WHEN ` + rootCase + ` THEN excluded.app ELSE traces.app END,
			duration = CASE WHEN ` + rootCase + ` THEN excluded.duration ELSE traces.duration END,
			status = CASE WHEN ` + rootCase + ` THEN excluded.status ELSE traces.status END,
			root_parent = CASE WHEN ` + rootCase + ` THEN excluded.root_parent ELSE traces.root_parent END,
			start = CASE WHEN ` + rootCase + ` THEN excluded.start ELSE traces.start END,
			root_span = CASE WHEN ` + rootCase + ` THEN excluded.root_span ELSE traces.root_span END,
			run = CASE WHEN traces.run = 0 AND (` + rootCase + `) THEN excluded.run ELSE traces.run END`

func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{conn: conn, stmts: map[string]*sql.Stmt{}, dyn: map[string]*sql.Stmt{}, raw: map[string]driver.Stmt{},
		nsIDs: map[string]int64{}, apps: map[appKey][]string{}, procs: map[procKey]int64{}}
	// A smaller page cache than the readers': SQLite walks the whole
	// cache's hash table at the end of each of the writer's transactions
	// (pcache1TruncateUnsafe), which took 6-8% of the ingest's CPU at
	// 64 MiB and 1% at 8 MiB.
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -8192"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("writer cache size: %w", err)
	}
	// refinal notes, on this connection only, each finished span that
	// replaced a finished copy of itself: the rollups have counted it
	// already.
	for _, q := range []string{
		`CREATE TEMP TABLE IF NOT EXISTS refinal (trace BLOB NOT NULL, span BLOB NOT NULL)`,
		`CREATE TEMP TRIGGER IF NOT EXISTS spans_refinal AFTER UPDATE OF duration ON main.spans
			WHEN OLD.duration IS NOT NULL AND NEW.duration IS NOT NULL
			BEGIN INSERT INTO refinal (trace, span) VALUES (NEW.trace, NEW.span); END`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("create refinal trigger: %w", err)
		}
	}
	for name, q := range writerStmts {
		st, err := conn.PrepareContext(ctx, q)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("prepare %s: %w", name, err)
		}
		w.stmts[name] = st
	}
	return w, nil
}

func (w *writer) close() {
	for _, st := range w.stmts {
		st.Close()
	}
	for _, st := range w.dyn {
		st.Close()
	}
	w.conn.Raw(func(any) error {
		for _, st := range w.raw {
			st.Close()
		}
		return nil
	})
	w.conn.Close()
}

// commit writes the parts of a group in one transaction, without
// savepoints (each one copies every page it touches the first time, which
// measured 5% of the ingest's CPU): when the transaction fails, each part
// is tried again in a transaction of its own, so that one request's error
// is its own. A failed part's request gets the error.
func (w *writer) commit(parts []part) {
	err := w.tx(parts)
	if err == nil {
		return
	}
	if len(parts) == 1 {
		parts[0].r.fail(err)
		return
	}
	for _, p := range parts {
		if err := w.tx([]part{p}); err != nil {
			p.r.fail(err)
		}
	}
}

// tx writes parts in one transaction, their rollups included.
func (w *writer) tx(parts []part) error {
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// The rollups of the whole transaction are written once, before the
	// commit: far fewer rows than one write per request.
	ru := newRollups()
	w.finals = w.finals[:0]
	for _, p := range parts {
		if err := w.apply(ctx, p); err != nil {
			return w.rollback(err)
		}
	}
	for j := range w.finals {
		ru.add(&w.finals[j])
	}
	clear(w.finals) // let the spans' strings go
	if err := ru.writeAll(ctx, w.stmt); err != nil {
		return w.rollback(err)
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return w.rollback(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// rollback ends the transaction that err broke and returns err.
func (w *writer) rollback(err error) error {
	w.conn.ExecContext(context.Background(), "ROLLBACK")
	clear(w.finals)
	w.dropCaches()
	return err
}

// dropCaches forgets what a rolled-back transaction may have added.
func (w *writer) dropCaches() {
	clear(w.nsIDs)
	clear(w.apps)
	clear(w.procs)
}

func (w *writer) namespace(ctx context.Context, name string) (int64, error) {
	if id, ok := w.nsIDs[name]; ok {
		return id, nil
	}
	if _, err := w.stmts["nsAdd"].ExecContext(ctx, name, time.Now().UnixNano()); err != nil {
		return 0, fmt.Errorf("add namespace %q: %w", name, err)
	}
	var id int64
	if err := w.stmts["nsGet"].QueryRowContext(ctx, name).Scan(&id); err != nil {
		return 0, fmt.Errorf("namespace %q: %w", name, err)
	}
	w.nsIDs[name] = id
	return id, nil
}

// apply writes one part of a request.
func (w *writer) apply(ctx context.Context, p part) error {
	ns, err := w.namespace(ctx, p.r.ns)
	if err != nil {
		return err
	}
	for _, c := range p.chunks {
		if err := w.batch(ctx, ns, c); err != nil {
			if c.lo > 0 || c.hi < len(c.b.b.Spans) {
				return fmt.Errorf("spans %d to %d of batch %d: %w", c.lo, c.hi-1, c.bi, err)
			}
			return err
		}
	}
	return nil
}

// batch writes the spans c.lo to c.hi of a prepared batch.
func (w *writer) batch(ctx context.Context, ns int64, c chunk) error {
	pb := c.b
	spans, rows := pb.b.Spans[c.lo:c.hi], pb.rows[c.lo:c.hi]
	proc, err := w.process(ctx, ns, pb.app, pb.tags)
	if err != nil {
		return err
	}
	roots := map[[16]byte]*spantree.SpanData{}
	var lastSeen time.Time
	args := w.args[:0]
	n := 0
	exec := func(query string) error {
		err := w.execRaw(ctx, query, args)
		clear(args) // let the rows go
		args, n = args[:0], 0
		if err != nil {
			return fmt.Errorf("insert spans: %w", err)
		}
		return nil
	}
	for i := range spans {
		s, row := &spans[i], &rows[i]
		if r := roots[row.payload]; r == nil || store.BetterRoot(s, r) {
			roots[row.payload] = s
		}
		if end := s.Start.Add(s.Duration()); end.After(lastSeen) {
			lastSeen = end
		}
		var dur, fp any
		if s.Status != spantree.StatusStarted {
			dur = int64(s.End.Sub(s.Start))
		}
		if row.fp != "" {
			fp = row.fp
			if err := w.group(ctx, ns, row.fp, s, pb.app, pb.version); err != nil {
				return err
			}
		}
		args = appendArgs(args, ns, row.payload[:], s.SpanID[:], s.ParentID.IsZero(), s.Name, s.Location, pb.app,
			s.Start.UnixNano(), dur, s.Status == spantree.StatusFailed, fp, store.Calls(s.Fold), row.data, proc)
		n++
		if n == chunkRows {
			if err := exec(spanInsertFull); err != nil {
				return err
			}
		}
	}
	// The remainder in one statement, prepared once per row count.
	if n > 0 {
		if err := exec(spanInsert(n)); err != nil {
			return err
		}
	}
	// Roll up the finished spans, but not the copies that replaced a
	// finished copy: keep the first finished copy of each span.
	refinal, err := w.refinals(ctx)
	if err != nil {
		return err
	}
	for i := len(spans) - 1; i >= 0; i-- {
		s, row := &spans[i], &rows[i]
		if s.Status == spantree.StatusStarted {
			continue
		}
		if len(refinal) > 0 {
			k := spanRef{row.payload, s.SpanID}
			if refinal[k] > 0 {
				refinal[k]--
				continue
			}
		}
		w.finals = append(w.finals, rollSpan{ns: ns, trace: s.TraceID, root: s.ParentID.IsZero(), name: s.Name, location: s.Location,
			app: pb.app, start: s.Start.UnixNano(), dur: int64(s.End.Sub(s.Start)), failed: s.Status == spantree.StatusFailed, fp: row.fp, fold: s.Fold})
	}
	stored := time.Now().UnixNano() // the trace's update time (store.AbandonAfter)
	// In the order the roots started, so that the run numbers of a batch's
	// traces follow it.
	order := make([][16]byte, 0, len(roots))
	for payload := range roots {
		order = append(order, payload)
	}
	slices.SortFunc(order, func(a, b [16]byte) int {
		if c := roots[a].Start.Compare(roots[b].Start); c != 0 {
			return c
		}
		return bytes.Compare(a[:], b[:])
	})
	for _, payload := range order {
		s := roots[payload]
		var dur int64
		if s.Status != spantree.StatusStarted {
			dur = int64(s.End.Sub(s.Start))
		}
		args = appendArgs(args[:0], ns, payload[:], s.TraceID[:], pb.tags, s.SpanID[:],
			!s.ParentID.IsZero(), s.Name, pb.app, s.Start.UnixNano(), dur, string(s.Status), stored,
			!s.ParentID.IsZero(), ns, pb.tags)
		err := w.execRaw(ctx, traceUpsert, args)
		clear(args)
		if err != nil {
			return fmt.Errorf("upsert trace %s: %w", s.TraceID, err)
		}
	}
	w.args = args[:0]
	return w.app(ctx, ns, pb.app, pb.version, len(spans), lastSeen)
}

// maxProcs bounds the writer's cache of process ids.
const maxProcs = 4096

// process returns the id of the process with tags (JSON, keys sorted) in
// namespace ns, adding it when new.
func (w *writer) process(ctx context.Context, ns int64, service, tags string) (int64, error) {
	k := procKey{ns, tags}
	if id, ok := w.procs[k]; ok {
		return id, nil
	}
	var id int64
	err := w.stmts["procGet"].QueryRowContext(ctx, ns, tags).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err = w.stmts["procAdd"].ExecContext(ctx, ns, service, tags, ns); err != nil {
			return 0, fmt.Errorf("add process %s: %w", tags, err)
		}
		err = w.stmts["procGet"].QueryRowContext(ctx, ns, tags).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("process %s: %w", tags, err)
	}
	if len(w.procs) >= maxProcs {
		clear(w.procs) // a client sending ever new tags: keep the cache small
	}
	w.procs[k] = id
	return id, nil
}

// group records one occurrence of an error group, flagging a silenced group
// that comes back from a newer version than it was silenced at.
func (w *writer) group(ctx context.Context, ns int64, fp string, s *spantree.SpanData, app, version string) error {
	var kind, annotated sql.NullString
	err := w.stmts["groupGet"].QueryRowContext(ctx, ns, fp).Scan(&kind, &annotated)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read error group %s: %w", fp, err)
	}
	regressed := kind.String == store.KindSilenced && version != "" &&
		store.CompareVersions(version, annotated.String) > 0
	seen := s.End.UnixNano()
	_, err = w.stmts["groupPut"].ExecContext(ctx, ns, fp, store.GroupingVersion, s.Error.Type, s.Error.Message,
		s.Name, s.Location, app, seen, seen, s.TraceID[:], version, regressed)
	if err != nil {
		return fmt.Errorf("upsert error group %s: %w", fp, err)
	}
	return nil
}

func (w *writer) app(ctx context.Context, ns int64, name, version string, spans int, lastSeen time.Time) error {
	k := appKey{ns, name}
	versions, ok := w.apps[k]
	if !ok {
		var js string
		err := w.stmts["appGet"].QueryRowContext(ctx, ns, name).Scan(&js)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read app %q: %w", name, err)
		default:
			if err := json.Unmarshal([]byte(js), &versions); err != nil {
				return fmt.Errorf("app %q versions: %w", name, err)
			}
		}
	}
	if version != "" && !contains(versions, version) {
		versions = append(versions, version)
	}
	if versions == nil {
		versions = []string{}
	}
	w.apps[k] = versions
	js, _ := json.Marshal(versions)
	if _, err := w.stmts["appPut"].ExecContext(ctx, ns, name, string(js), spans, lastSeen.UnixNano()); err != nil {
		return fmt.Errorf("upsert app %q: %w", name, err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// spanRef names a span by its trace's payload and its id.
type spanRef struct {
	trace [16]byte
	span  spantree.SpanID
}

// refinals returns how many times each span was updated from a finished copy
// to a finished copy since the last call, by (trace payload, span id).
func (w *writer) refinals(ctx context.Context) (map[spanRef]int, error) {
	rows, err := w.stmts["refinal"].QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("read refinal: %w", err)
	}
	defer rows.Close()
	var m map[spanRef]int
	for rows.Next() {
		var trace, span []byte
		if err := rows.Scan(&trace, &span); err != nil {
			return nil, fmt.Errorf("read refinal: %w", err)
		}
		if m == nil {
			m = map[spanRef]int{}
		}
		var k spanRef
		copy(k.trace[:], trace)
		copy(k.span[:], span)
		m[k]++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read refinal: %w", err)
	}
	if m != nil {
		if _, err := w.stmts["refinalClear"].ExecContext(ctx); err != nil {
			return nil, fmt.Errorf("clear refinal: %w", err)
		}
	}
	return m, nil
}

// stmt returns the prepared statement of query, preparing it on first use.
func (w *writer) stmt(query string) (*sql.Stmt, error) {
	if st, ok := w.dyn[query]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	w.dyn[query] = st
	return st, nil
}

// appendArgs appends vs to args as the next positional arguments. The
// values must be of the types a driver takes (int64, bool, string, []byte,
// nil): execRaw passes them on unconverted.
func appendArgs(args []driver.NamedValue, vs ...any) []driver.NamedValue {
	for _, v := range vs {
		args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v})
	}
	return args
}

// execRaw runs query, prepared on first use, on the driver's connection
// itself. database/sql's checks and conversion of each argument took 7% of
// the writer's time with 832 arguments a statement (64 spans); the writer
// makes its arguments of the driver's own types instead (appendArgs).
func (w *writer) execRaw(ctx context.Context, query string, args []driver.NamedValue) error {
	var err error
	rawErr := w.conn.Raw(func(dc any) error {
		st, ok := w.raw[query]
		if !ok {
			prep, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				err = errors.New("sqlite driver: no PrepareContext")
				return nil
			}
			if st, err = prep.PrepareContext(ctx, query); err != nil {
				return nil
			}
			w.raw[query] = st
		}
		ex, ok := st.(driver.StmtExecContext)
		if !ok {
			err = errors.New("sqlite driver: no ExecContext")
			return nil
		}
		_, err = ex.ExecContext(ctx, args)
		return nil // err is the statement's, not the connection's
	})
	if rawErr != nil {
		return rawErr
	}
	return err
}
