package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// ingestReq is one Ingest call waiting for the writer.
type ingestReq struct {
	ns      string
	batches []spantree.Batch
	spans   int
	done    chan error
}

// maxGroupSpans bounds one group commit, so a transaction stays short and
// the callers behind it are not kept waiting.
const maxGroupSpans = 20000

// Ingest hands the batches to the writer and waits for their commit.
func (s *Store) Ingest(ctx context.Context, namespace string, batches []spantree.Batch) (int, error) {
	n := 0
	for _, b := range batches {
		n += len(b.Spans)
	}
	if n == 0 {
		return 0, nil
	}
	req := &ingestReq{ns: namespace, batches: batches, spans: n, done: make(chan error, 1)}
	select {
	case s.reqs <- req:
	case <-s.quit:
		return 0, ErrClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case err := <-req.done:
		if err != nil {
			return 0, err
		}
		return n, nil
	case <-s.stopped:
		// The writer may have answered just before stopping.
		select {
		case err := <-req.done:
			if err != nil {
				return 0, err
			}
			return n, nil
		default:
			return 0, ErrClosed
		}
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run is the writer goroutine: it takes the requests waiting, commits them
// in one transaction and answers each.
func (s *Store) run(w *writer) {
	defer close(s.stopped)
	defer w.close()
	for {
		var first *ingestReq
		select {
		case first = <-s.reqs:
		case <-s.quit:
			// Finish what was handed over before Close.
			for {
				select {
				case r := <-s.reqs:
					w.commit([]*ingestReq{r})
				default:
					return
				}
			}
		}
		group := []*ingestReq{first}
		n := first.spans
	gather:
		for n < maxGroupSpans {
			select {
			case r := <-s.reqs:
				group = append(group, r)
				n += r.spans
			default:
				break gather
			}
		}
		w.commit(group)
	}
}

// writer owns the write connection and its prepared statements.
type writer struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	nsIDs map[string]int64
	apps  map[appKey][]string // versions seen, loaded on first use
}

type appKey struct {
	ns   int64
	name string
}

// spanCols are the columns of one span row; chunkRows rows go in one
// INSERT, which costs far less than one statement per span.
const (
	spanCols  = 12
	chunkRows = 64
)

func spanInsert(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO spans (ns, trace, span, root, name, location, app, start, duration, failed, fingerprint, data) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	// A finished span is never replaced by a running copy of it that
	// arrives late (a retried publication).
	b.WriteString(` ON CONFLICT (ns, trace, span) DO UPDATE SET root = excluded.root, name = excluded.name,
		location = excluded.location, app = excluded.app, start = excluded.start, duration = excluded.duration,
		failed = excluded.failed, fingerprint = excluded.fingerprint, data = excluded.data
		WHERE excluded.duration IS NOT NULL OR spans.duration IS NULL`)
	return b.String()
}

// rootCase keeps the current root unless the candidate is a better root
// (no parent before a parent, then earlier) or a newer copy of the same span.
const rootCase = `(excluded.root_span = traces.root_span AND (excluded.duration > 0 OR traces.duration = 0))
	OR (excluded.root_span <> traces.root_span AND (excluded.root_parent, excluded.start) < (traces.root_parent, traces.start))`

var writerStmts = map[string]string{
	"spans":    spanInsert(chunkRows),
	"span":     spanInsert(1),
	"nsGet":    `SELECT id FROM namespaces WHERE name = ?`,
	"nsAdd":    `INSERT INTO namespaces (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
	"appGet":   `SELECT versions FROM apps WHERE ns = ? AND name = ?`,
	"appPut":   `INSERT INTO apps (ns, name, versions, spans, last_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT (ns, name) DO UPDATE SET versions = excluded.versions, spans = apps.spans + excluded.spans, last_seen = max(apps.last_seen, excluded.last_seen)`,
	"groupGet": `SELECT kind, annotated_version FROM error_groups WHERE ns = ? AND fingerprint = ?`,
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
	"trace": `INSERT INTO traces (ns, id, ksuid, tags, root_span, root_parent, name, app, start, duration, status)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (ns, id) DO UPDATE SET
			tags = json_patch(excluded.tags, traces.tags),
			name = CASE WHEN ` + rootCase + ` THEN excluded.name ELSE traces.name END,
			app = CASE WHEN ` + rootCase + ` THEN excluded.app ELSE traces.app END,
			duration = CASE WHEN ` + rootCase + ` THEN excluded.duration ELSE traces.duration END,
			status = CASE WHEN ` + rootCase + ` THEN excluded.status ELSE traces.status END,
			root_parent = CASE WHEN ` + rootCase + ` THEN excluded.root_parent ELSE traces.root_parent END,
			start = CASE WHEN ` + rootCase + ` THEN excluded.start ELSE traces.start END,
			root_span = CASE WHEN ` + rootCase + ` THEN excluded.root_span ELSE traces.root_span END`,
}

func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{conn: conn, stmts: map[string]*sql.Stmt{}, nsIDs: map[string]int64{}, apps: map[appKey][]string{}}
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
	w.conn.Close()
}

// commit writes a group of requests in one transaction. A request that
// fails is rolled back alone (a savepoint each); the others commit.
func (w *writer) commit(group []*ingestReq) {
	ctx := context.Background()
	errs := make([]error, len(group))
	answer := func(err error) {
		for i, r := range group {
			r.done <- errors.Join(err, errs[i])
		}
	}
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		answer(fmt.Errorf("begin: %w", err))
		return
	}
	for i, r := range group {
		if len(group) > 1 {
			if _, err := w.conn.ExecContext(ctx, "SAVEPOINT req"); err != nil {
				errs[i] = err
				continue
			}
		}
		errs[i] = w.apply(ctx, r)
		if len(group) > 1 {
			if errs[i] != nil {
				w.conn.ExecContext(ctx, "ROLLBACK TO req")
			}
			w.conn.ExecContext(ctx, "RELEASE req")
		}
	}
	if len(group) == 1 && errs[0] != nil {
		w.conn.ExecContext(ctx, "ROLLBACK")
		w.dropCaches()
		answer(nil)
		return
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		w.conn.ExecContext(ctx, "ROLLBACK")
		w.dropCaches()
		answer(fmt.Errorf("commit: %w", err))
		return
	}
	for _, err := range errs {
		if err != nil {
			w.dropCaches() // a rolled-back request may have filled them
			break
		}
	}
	answer(nil)
}

// dropCaches forgets what a rolled-back transaction may have added.
func (w *writer) dropCaches() {
	clear(w.nsIDs)
	clear(w.apps)
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

// apply writes one request's batches.
func (w *writer) apply(ctx context.Context, r *ingestReq) error {
	ns, err := w.namespace(ctx, r.ns)
	if err != nil {
		return err
	}
	for _, b := range r.batches {
		if err := w.batch(ctx, ns, b); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) batch(ctx context.Context, ns int64, b spantree.Batch) error {
	app, version := b.Tags["service"], b.Tags["version"]
	tags := b.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	tagsJSON, err := json.Marshal(tags)
	if err != nil {
		return fmt.Errorf("encode tags: %w", err)
	}
	// Which spans have a failed child here: their error came from below
	// and is grouped there, at its origin, not once per span it crossed.
	type key struct {
		trace [16]byte
		span  spantree.SpanID
	}
	failedChild := map[key]bool{}
	for i := range b.Spans {
		s := &b.Spans[i]
		if s.Status == spantree.StatusFailed && !s.ParentID.IsZero() {
			failedChild[key{s.TraceID.Payload(), s.ParentID}] = true
		}
	}
	roots := map[[16]byte]*spantree.SpanData{}
	var lastSeen time.Time
	args := make([]any, 0, chunkRows*spanCols)
	rows := 0
	flush := func(stmt string) error {
		if _, err := w.stmts[stmt].ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert spans: %w", err)
		}
		args, rows = args[:0], 0
		return nil
	}
	var data []byte
	for i := range b.Spans {
		s := &b.Spans[i]
		payload := s.TraceID.Payload()
		if r := roots[payload]; r == nil || betterRoot(s, r) {
			roots[payload] = s
		}
		var dur any
		if s.Status != spantree.StatusStarted {
			dur = int64(s.End.Sub(s.Start))
		}
		if end := s.Start.Add(s.Duration()); end.After(lastSeen) {
			lastSeen = end
		}
		var fp any
		if s.Status == spantree.StatusFailed && s.Error != nil && !failedChild[key{payload, s.SpanID}] {
			f := store.Fingerprint(s.Name, s.Error)
			fp = f
			if err := w.group(ctx, ns, f, s, app, version); err != nil {
				return err
			}
		}
		data = s.AppendJSON(data[:0])
		args = append(args, ns, payload[:], s.SpanID[:], s.ParentID.IsZero(), s.Name, s.Location, app,
			s.Start.UnixNano(), dur, s.Status == spantree.StatusFailed, fp, string(data))
		rows++
		if rows == chunkRows {
			if err := flush("spans"); err != nil {
				return err
			}
		}
	}
	// The remainder, one row at a time through one prepared statement.
	rest := append([]any(nil), args...)
	for i := 0; i < len(rest); i += spanCols {
		args = rest[i : i+spanCols]
		if err := flush("span"); err != nil {
			return err
		}
	}
	for payload, s := range roots {
		var dur int64
		if s.Status != spantree.StatusStarted {
			dur = int64(s.End.Sub(s.Start))
		}
		_, err := w.stmts["trace"].ExecContext(ctx, ns, payload[:], s.TraceID[:], string(tagsJSON), s.SpanID[:],
			!s.ParentID.IsZero(), s.Name, app, s.Start.UnixNano(), dur, string(s.Status))
		if err != nil {
			return fmt.Errorf("upsert trace %s: %w", s.TraceID, err)
		}
	}
	return w.app(ctx, ns, app, version, len(b.Spans), lastSeen)
}

// betterRoot reports whether s should be its trace's root rather than r: a
// span without a parent wins, then the earlier one.
func betterRoot(s, r *spantree.SpanData) bool {
	if s.ParentID.IsZero() != r.ParentID.IsZero() {
		return s.ParentID.IsZero()
	}
	if s.SpanID == r.SpanID {
		return s.Status != spantree.StatusStarted
	}
	return s.Start.Before(r.Start)
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
