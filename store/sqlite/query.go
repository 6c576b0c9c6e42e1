package sqlite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spantree/spantree/query"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// keyPrefix marks spantree API keys, so a leaked one is recognisable.
const keyPrefix = "stk_"

// CreateKey makes a key of 32 random bytes and stores its SHA-256 hash.
func (s *Store) CreateKey(ctx context.Context, namespace string) (string, error) {
	if namespace == "" {
		return "", fmt.Errorf("create key: empty namespace")
	}
	var raw [32]byte
	rand.Read(raw[:])
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	hash := sha256.Sum256([]byte(key))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	defer tx.Rollback()
	now := time.Now().UnixNano()
	if _, err := tx.ExecContext(ctx, `INSERT INTO namespaces (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, namespace, now); err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (hash, ns, created) SELECT ?, id, ? FROM namespaces WHERE name = ?`, hash[:], now, namespace); err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	return key, nil
}

// keyTTL is how long a key found stays trusted without another look in the
// database, so that a key revoked (by this process or another) stops
// working within it.
const keyTTL = 500 * time.Millisecond

// keyEntry is a key found, cached until until.
type keyEntry struct {
	ns    string
	until time.Time
}

// Authenticate looks the key's hash up and compares it in constant time.
// Only hashes are compared, so the time taken says nothing about the key.
func (s *Store) Authenticate(ctx context.Context, key string) (_ string, err error) {
	defer func() { err = s.noteRead(err) }()
	if key == "" {
		return "", store.ErrUnauthorized
	}
	hash := sha256.Sum256([]byte(key))
	if e, ok := s.keys.Load(hash); ok && time.Now().Before(e.(keyEntry).until) {
		return e.(keyEntry).ns, nil
	}
	var stored []byte
	var ns string
	err = s.r.QueryRowContext(ctx, `SELECT k.hash, n.name FROM api_keys k JOIN namespaces n ON n.id = k.ns WHERE k.hash = ?`, hash[:]).Scan(&stored, &ns)
	if errors.Is(err, sql.ErrNoRows) {
		s.keys.Delete(hash)
		return "", store.ErrUnauthorized
	}
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare(stored, hash[:]) != 1 {
		return "", store.ErrUnauthorized
	}
	s.keys.Store(hash, keyEntry{ns: ns, until: time.Now().Add(keyTTL)})
	return ns, nil
}

// Namespaces lists the namespaces by name.
func (s *Store) Namespaces(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM namespaces ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list namespaces: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// nsID returns the id of namespace, or ErrNotFound.
func (s *Store) nsID(ctx context.Context, namespace string) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT id FROM namespaces WHERE name = ?`, namespace).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("namespace %q: %w", namespace, err)
	}
	return id, nil
}

// Trace reads a trace's spans in one range of the spans table.
func (s *Store) Trace(ctx context.Context, namespace string, id spantree.TraceID) (_ *store.Trace, err error) {
	defer func() { err = s.noteRead(err) }()
	ns, err := s.nsID(ctx, namespace)
	if err != nil {
		return nil, err
	}
	payload := id.Payload()
	var ksuid []byte
	var tags, status string
	var updated, run int64
	err = s.r.QueryRowContext(ctx, `SELECT ksuid, tags, status, updated, run FROM traces WHERE ns = ? AND id = ?`, ns, payload[:]).Scan(&ksuid, &tags, &status, &updated, &run)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), err)
	}
	t := &store.Trace{Hex: id.Hex(), Spans: []spantree.SpanData{}, Abandoned: store.Abandoned(spantree.Status(status), updated, time.Now()), Run: run}
	copy(t.TraceID[:], ksuid)
	if err := json.Unmarshal([]byte(tags), &t.Tags); err != nil {
		return nil, fmt.Errorf("trace %s tags: %w", id.Hex(), err)
	}
	// INDEXED BY: ordering by start, the planner may otherwise walk
	// spans_start over the whole namespace (measured: 0.5s at 1M spans).
	rows, err := s.r.QueryContext(ctx, `SELECT data, fingerprint, span, name, location, start, duration, failed, process, app
		FROM spans INDEXED BY spans_id WHERE ns = ? AND trace = ? ORDER BY start`, ns, payload[:])
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), err)
	}
	defer rows.Close()
	fps := map[string][]spantree.SpanID{}
	var procs []string
	ids := map[int64]bool{}
	tagsOf := map[string]map[string]string{}
	for rows.Next() {
		var data, span []byte
		var fp sql.NullString
		var r rowCols
		var proc int64
		var app string
		if err := rows.Scan(&data, &fp, &span, &r.name, &r.location, &r.start, &r.dur, &r.failed, &proc, &app); err != nil {
			return nil, fmt.Errorf("trace %s: %w", id.Hex(), err)
		}
		var sd spantree.SpanData
		if err := json.Unmarshal(data, &sd); err != nil {
			return nil, fmt.Errorf("trace %s: stored span: %w", id.Hex(), err)
		}
		copy(sd.SpanID[:], span)
		r.fill(&sd)
		t.Spans = append(t.Spans, sd)
		if proc != 0 {
			ids[proc] = true
			procs = append(procs, strconv.FormatInt(proc, 10))
		} else { // stored before migration 0005
			procs = append(procs, store.LegacyProcess(tagsOf, t.Tags, app))
		}
		if fp.Valid {
			fps[fp.String] = append(fps[fp.String], sd.SpanID)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), err)
	}
	rows.Close()
	if err := s.processes(ctx, ns, ids, tagsOf); err != nil {
		return nil, fmt.Errorf("trace %s: %w", id.Hex(), err)
	}
	t.SetProcesses(procs, tagsOf)
	for fp, ids := range fps {
		g, err := s.group(ctx, ns, fp)
		if err != nil {
			return nil, err
		}
		for _, sid := range ids {
			t.Errors = append(t.Errors, store.SpanError{SpanID: sid, Fingerprint: fp, Annotation: g.Annotation, Regressed: g.Regressed})
		}
	}
	return t, nil
}

// processes adds to tags the tags of the processes ids of namespace ns,
// keyed by their ids in decimal.
func (s *Store) processes(ctx context.Context, ns int64, ids map[int64]bool, tags map[string]map[string]string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{ns}
	for id := range ids {
		args = append(args, id)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, tags FROM processes WHERE ns = ? AND id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return fmt.Errorf("processes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var js string
		if err := rows.Scan(&id, &js); err != nil {
			return fmt.Errorf("processes: %w", err)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			return fmt.Errorf("process %d tags: %w", id, err)
		}
		tags[strconv.FormatInt(id, 10)] = m
	}
	return rows.Err()
}

// Traces lists traces newest first; see store.TraceQuery.
func (s *Store) Traces(ctx context.Context, namespace string, q store.TraceQuery) (_ []store.TraceSummary, err error) {
	defer func() { err = s.noteRead(err) }()
	ns, err := s.nsID(ctx, namespace)
	if errors.Is(err, store.ErrNotFound) {
		return []store.TraceSummary{}, nil
	}
	if err != nil {
		return nil, err
	}
	var where strings.Builder
	args := []any{ns}
	where.WriteString(`t.ns = ?`)
	if q.Status != "" {
		where.WriteString(` AND t.status = ?`)
		args = append(args, string(q.Status))
	}
	if !q.Since.IsZero() {
		where.WriteString(` AND t.start >= ?`)
		args = append(args, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		where.WriteString(` AND t.start < ?`)
		args = append(args, q.Until.UnixNano())
	}
	if c := q.After; c != nil {
		where.WriteString(` AND (t.start < ? OR (t.start = ? AND t.id < ?))`)
		args = append(args, c.Start, c.Start, c.ID[:])
	}
	if q.Run > 0 {
		where.WriteString(` AND t.run = ? AND t.run > 0`) // the second term lets traces_run serve
		args = append(args, q.Run)
	}
	if q.MinDuration > 0 {
		where.WriteString(` AND t.duration >= ?`)
		args = append(args, int64(q.MinDuration))
	}
	if q.Where != nil {
		cond, qargs := query.Compile(q.Where, dialect{})
		where.WriteString(` AND ` + cond)
		args = append(args, qargs...)
	}
	// A tag matches a trace with a span from a process with the tag: the
	// service is each span's app column (spans stored before migration
	// 0005 have it too); another tag is looked up in the namespace's few
	// processes first. Spans stored before 0005 have no process: their
	// trace's tags stand for them.
	for k, v := range q.Tags {
		if k == "service" {
			where.WriteString(` AND EXISTS (SELECT 1 FROM spans s INDEXED BY spans_id WHERE s.ns = t.ns AND s.trace = t.id AND s.app = ?)`)
			args = append(args, v)
			continue
		}
		where.WriteString(` AND (EXISTS (SELECT 1 FROM spans s INDEXED BY spans_id WHERE s.ns = t.ns AND s.trace = t.id AND s.process IN
				(SELECT p.id FROM processes p, json_each(p.tags) j WHERE p.ns = ? AND j.key = ? AND j.value = ?))
			OR EXISTS (SELECT 1 FROM json_each(t.tags) WHERE key = ? AND value = ?))`)
		args = append(args, ns, k, v, k, v)
	}
	if q.Name != "" {
		where.WriteString(` AND EXISTS (SELECT 1 FROM spans s INDEXED BY spans_id WHERE s.ns = t.ns AND s.trace = t.id AND s.name = ?)`)
		args = append(args, q.Name)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	args = append(args, min(limit, store.MaxLimit))
	rows, err := s.r.QueryContext(ctx, `SELECT t.ksuid, t.name, t.app, t.start, t.duration, t.status, t.tags, t.updated, t.run,
		(SELECT COUNT(*) FROM spans s INDEXED BY spans_id WHERE s.ns = t.ns AND s.trace = t.id),
		(SELECT COUNT(*) FROM spans s INDEXED BY spans_id WHERE s.ns = t.ns AND s.trace = t.id AND s.failed)
		FROM traces t WHERE `+where.String()+` ORDER BY t.start DESC, t.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list traces: %w", err)
	}
	defer rows.Close()
	out := []store.TraceSummary{}
	now := time.Now()
	for rows.Next() {
		var ts store.TraceSummary
		var ksuid []byte
		var start, updated int64
		var status, tags string
		if err := rows.Scan(&ksuid, &ts.Name, &ts.App, &start, &ts.Duration, &status, &tags, &updated, &ts.Run, &ts.Spans, &ts.Errors); err != nil {
			return nil, fmt.Errorf("list traces: %w", err)
		}
		copy(ts.TraceID[:], ksuid)
		ts.Hex = ts.TraceID.Hex()
		ts.Start = time.Unix(0, start).UTC()
		ts.Status = spantree.Status(status)
		ts.Abandoned = store.Abandoned(ts.Status, updated, now)
		if err := json.Unmarshal([]byte(tags), &ts.Tags); err != nil {
			return nil, fmt.Errorf("list traces: tags: %w", err)
		}
		out = append(out, ts)
	}
	return out, rows.Err()
}

const groupCols = `g.fingerprint, g.grouping_version, g.type, g.message, g.name, g.location, g.app, g.first_seen, g.last_seen,
	g.last_trace, g.last_version, g.kind, g.severity, g.note, g.annotated, g.annotated_version, g.regressed,
	(SELECT COALESCE(SUM(s.calls), 0) FROM spans s WHERE s.ns = g.ns AND s.fingerprint = g.fingerprint)`

func scanGroup(sc interface{ Scan(...any) error }) (*store.ErrorGroup, error) {
	var g store.ErrorGroup
	var first, last int64
	var trace []byte
	var kind, severity, note, annotatedVersion sql.NullString
	var annotated sql.NullInt64
	if err := sc.Scan(&g.Fingerprint, &g.GroupingVersion, &g.Type, &g.Message, &g.Name, &g.Location, &g.App,
		&first, &last, &trace, &g.LastVersion, &kind, &severity, &note, &annotated, &annotatedVersion, &g.Regressed, &g.Count); err != nil {
		return nil, err
	}
	g.FirstSeen, g.LastSeen = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
	copy(g.LastTraceID[:], trace)
	if kind.Valid {
		g.Annotation = &store.Annotation{Kind: kind.String, Severity: severity.String, Note: note.String,
			Updated: time.Unix(0, annotated.Int64).UTC(), Version: annotatedVersion.String}
	}
	return &g, nil
}

func (s *Store) group(ctx context.Context, ns int64, fp string) (*store.ErrorGroup, error) {
	g, err := scanGroup(s.r.QueryRowContext(ctx, `SELECT `+groupCols+` FROM error_groups g WHERE g.ns = ? AND g.fingerprint = ?`, ns, fp))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("error group %s: %w", fp, err)
	}
	return g, nil
}

// ErrorGroups lists groups last seen first.
func (s *Store) ErrorGroups(ctx context.Context, namespace string, since time.Time) (_ []store.ErrorGroup, err error) {
	defer func() { err = s.noteRead(err) }()
	ns, err := s.nsID(ctx, namespace)
	if errors.Is(err, store.ErrNotFound) {
		return []store.ErrorGroup{}, nil
	}
	if err != nil {
		return nil, err
	}
	var from int64
	if !since.IsZero() {
		from = since.UnixNano()
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+groupCols+` FROM error_groups g WHERE g.ns = ? AND g.last_seen >= ? ORDER BY g.last_seen DESC`, ns, from)
	if err != nil {
		return nil, fmt.Errorf("list error groups: %w", err)
	}
	defer rows.Close()
	out := []store.ErrorGroup{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("list error groups: %w", err)
		}
		out = append(out, *g)
	}
	return out, rows.Err()
}

// Annotate records a verdict, at the group's latest version; it clears
// the regressed flag, since a person has now looked again.
func (s *Store) Annotate(ctx context.Context, namespace, fingerprint string, a store.Annotation) (*store.ErrorGroup, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	ns, err := s.nsID(ctx, namespace)
	if err != nil {
		return nil, err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE error_groups SET kind = ?, severity = ?, note = ?, annotated = ?,
		annotated_version = last_version, regressed = 0 WHERE ns = ? AND fingerprint = ?`,
		a.Kind, a.Severity, a.Note, time.Now().UnixNano(), ns, fingerprint)
	if err != nil {
		return nil, fmt.Errorf("annotate %s: %w", fingerprint, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, store.ErrNotFound
	}
	return s.group(ctx, ns, fingerprint)
}

// Apps lists the namespace's apps by name.
func (s *Store) Apps(ctx context.Context, namespace string) ([]store.App, error) {
	ns, err := s.nsID(ctx, namespace)
	if errors.Is(err, store.ErrNotFound) {
		return []store.App{}, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT name, versions, spans, last_seen FROM apps WHERE ns = ? ORDER BY name`, ns)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	defer rows.Close()
	out := []store.App{}
	for rows.Next() {
		var a store.App
		var versions string
		var last int64
		if err := rows.Scan(&a.Name, &versions, &a.Spans, &last); err != nil {
			return nil, fmt.Errorf("list apps: %w", err)
		}
		if err := json.Unmarshal([]byte(versions), &a.Versions); err != nil {
			return nil, fmt.Errorf("app %q versions: %w", a.Name, err)
		}
		a.LastSeen = time.Unix(0, last).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// ScanSpans reads finished spans by start time through the spans_start index.
func (s *Store) ScanSpans(ctx context.Context, namespace string, since, until time.Time, fn func(*store.SpanStat) error) (err error) {
	defer func() { err = s.noteRead(err) }()
	ns, err := s.nsID(ctx, namespace)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT t.ksuid, s.span, s.root, s.name, s.location, s.app, s.start, s.duration, s.failed, s.fingerprint
		FROM spans s JOIN traces t ON t.ns = s.ns AND t.id = s.trace
		WHERE s.ns = ? AND s.start >= ? AND s.start < ? AND s.duration IS NOT NULL`, ns, since.UnixNano(), until.UnixNano())
	if err != nil {
		return fmt.Errorf("scan spans: %w", err)
	}
	defer rows.Close()
	var st store.SpanStat
	for rows.Next() {
		var ksuid, span []byte
		var start, dur int64
		var fp sql.NullString
		if err := rows.Scan(&ksuid, &span, &st.Root, &st.Name, &st.Location, &st.App, &start, &dur, &st.Failed, &fp); err != nil {
			return fmt.Errorf("scan spans: %w", err)
		}
		copy(st.TraceID[:], ksuid)
		copy(st.SpanID[:], span)
		st.Start, st.Duration, st.Fingerprint = time.Unix(0, start), time.Duration(dur), fp.String
		if err := fn(&st); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rowCols are the columns of a span's row that its data column leaves out
// (storedData).
type rowCols struct {
	name, location string
	start          int64
	dur            sql.NullInt64
	failed         bool
}

// fill sets the fields of d that the row keeps in columns. A row written
// before storedData holds them in its data too, with the same values.
func (r *rowCols) fill(d *spantree.SpanData) {
	d.Name, d.Location = r.name, r.location
	d.Start, d.End = time.Unix(0, r.start).UTC(), time.Time{}
	switch {
	case !r.dur.Valid:
		d.Status = spantree.StatusStarted
	case r.failed:
		d.Status = spantree.StatusFailed
	default:
		d.Status = spantree.StatusSucceeded
	}
	if r.dur.Valid {
		d.End = d.Start.Add(time.Duration(r.dur.Int64))
	}
}
