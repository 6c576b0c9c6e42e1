package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// finishedVer is added to the version of a finished copy of a span, so that
// it wins over every running copy, whenever they arrived.
const finishedVer = uint64(1) << 62

// spanRef names a span by its trace's payload and its id.
type spanRef struct {
	trace [16]byte
	span  spantree.SpanID
}

// prepBatch is a batch with what Ingest computes of it before writing.
type prepBatch struct {
	b            *spantree.Batch
	app, version string
	tags         string   // JSON object
	pairs        []string // its tags as key "\x00" value
	process      uint64   // the key of its tags in processes (processID)
	rows         []spanRow
}

// processID is the key of a process's tags (JSON, keys sorted) in the
// processes table: a hash, the same on every receiver, never 0 (spans
// stored before migration 0002 hold 0).
func processID(tags string) uint64 {
	h := sha256.Sum256([]byte(tags))
	return binary.LittleEndian.Uint64(h[:8]) | 1
}

// procKey is a process of a namespace.
type procKey struct {
	ns string
	id uint64
}

type spanRow struct {
	payload [16]byte
	data    string
	fp      string // its error group, "" when not grouped
}

// prepare computes the rows of b. As in the SQLite engine, the fingerprint
// of a failed span is left out when one of its children in the batch failed
// too: the error is grouped where it arose.
func prepare(b *spantree.Batch) (prepBatch, error) {
	pb := prepBatch{b: b, app: b.Tags["service"], version: b.Tags["version"], rows: make([]spanRow, len(b.Spans)), pairs: []string{}}
	tags := b.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	js, err := json.Marshal(tags)
	if err != nil {
		return pb, fmt.Errorf("encode tags: %w", err)
	}
	pb.tags = string(js)
	pb.process = processID(pb.tags)
	for k, v := range tags {
		pb.pairs = append(pb.pairs, k+"\x00"+v)
	}
	slices.Sort(pb.pairs)
	origins := store.Origins(b.Spans)
	var enc spantree.Encoder
	var data []byte
	for i := range b.Spans {
		s, row := &b.Spans[i], &pb.rows[i]
		row.payload = s.TraceID.Payload()
		if origins != nil && origins[i] {
			row.fp = store.Fingerprint(s.Name, s.Error)
		}
		data = enc.AppendSpan(data[:0], s)
		row.data = string(data)
	}
	return pb, nil
}

// dateOf returns the UTC day holding the unix time ns as YYYY-MM-DD, for
// toDate in queries.
func dateOf(ns int64) string { return dayOf(ns).Format(time.DateOnly) }

// dayOf returns the UTC day holding the unix time ns, as a Date column
// takes it.
func dayOf(ns int64) time.Time {
	const day = int64(24 * time.Hour)
	d := ns - ns%day
	if ns%day < 0 {
		d -= day
	}
	return time.Unix(0, d).UTC()
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Ingest writes the batches' spans, their traces, rollups, error groups and
// apps, and returns once ClickHouse has acknowledged every insert (with
// insert_distributed_sync in cluster mode, insert_quorum when replicated).
//
// The Ingest calls waiting at one moment are written together, in one
// insert per table (ClickHouse wants few large inserts: each makes a part
// on disk), by one of the store's writers; each call still returns only
// once its rows are acknowledged, and gets the error of the group if the
// group fails.
//
// ClickHouse has no transaction over several tables: the inserts go in an
// order that makes sending the same batches again repair a failure part
// way, the spans last. Every table but the rollups folds copies of a span
// into one, and the rollup rows of one call's spans not stored yet come out
// the same when they are sent again, so that a retried request is counted
// once. Nothing is written when ctx has ended before the first insert.
func (s *Store) Ingest(ctx context.Context, namespace string, batches []spantree.Batch) (int, error) {
	req := &ingestReq{ctx: ctx, ns: namespace, done: make(chan error, 1)}
	for i := range batches {
		if len(batches[i].Spans) == 0 {
			continue
		}
		pb, err := prepare(&batches[i])
		if err != nil {
			return 0, err
		}
		req.prep = append(req.prep, pb)
		req.spans += len(pb.rows)
	}
	if req.spans == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-s.quit:
		return 0, ErrClosed
	}
	if err := <-req.done; err != nil {
		return 0, err
	}
	return req.spans, nil
}

// ErrClosed is returned by Ingest after Close.
var ErrClosed = errors.New("clickhouse store closed")

// Group commit: writers take the calls waiting, up to maxGroupSpans spans.
const (
	writers       = 2
	maxGroupSpans = 50000
)

// ingestReq is one Ingest call waiting for a writer.
type ingestReq struct {
	ctx   context.Context
	ns    string
	prep  []prepBatch
	spans int
	done  chan error
}

// writer writes groups of waiting Ingest calls until the store closes.
func (s *Store) writer() {
	defer s.wg.Done()
	for {
		var first *ingestReq
		select {
		case first = <-s.reqs:
		case <-s.quit:
			return
		}
		group, n := []*ingestReq{first}, first.spans
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
		s.writeGroup(group)
	}
}

// writeGroup writes the calls of group that are still waiting, and answers
// each.
func (s *Store) writeGroup(group []*ingestReq) {
	live := group[:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// The group's inserts must not stop half way because one caller
	// went away: they run under the store's context, bounded.
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	err := s.write(ctx, live)
	for _, r := range live {
		r.done <- err
	}
}

// groupTimeout bounds the writes of one group.
const groupTimeout = 2 * time.Minute

// write computes the rows of the calls and inserts them, one block per
// table.
func (s *Store) write(ctx context.Context, reqs []*ingestReq) error {
	now := time.Now().UnixNano()
	var rows [6][][]any
	var runs [][]any
	byNS := map[string][]*ingestReq{}
	for _, r := range reqs {
		byNS[r.ns] = append(byNS[r.ns], r)
	}
	for ns, rs := range byNS {
		if err := s.ensureNamespace(ctx, ns); err != nil {
			return err
		}
		var prep []prepBatch
		for _, r := range rs {
			prep = append(prep, r.prep...)
		}
		stored, err := s.storedFinished(ctx, ns, prep)
		if err != nil {
			return err
		}
		annotations, err := s.verdicts(ctx, ns, prep)
		if err != nil {
			return err
		}
		// The rollup rows of each call apart: the same call sent again
		// gives the same rows.
		runs = append(runs, runRows(ns, prep)...)
		for _, r := range rs {
			w := writes{ns: ns, now: now, rollups: newRollups(), annotations: annotations}
			for i := range r.prep {
				w.add(&r.prep[i], stored)
			}
			for i, t := range [][][]any{w.rollups.rows(ns), w.errors, w.traces, w.apps, s.newProcesses(ns, r.prep), w.spans} {
				rows[i] = append(rows[i], t...)
			}
		}
	}
	for i, ins := range []struct{ table, cols string }{
		{"span_minutes", "ns, minute, name, location, app, contrib, count, failed, roots, roots_failed, last_seen, last_trace, max, max_trace, hist, fingerprints, day"},
		{"error_events", "ns, fingerprint, grouping_version, type, message, name, location, app, seen, trace, version, regressed_at, received"},
		{"trace_events", "ns, trace, day, ksuid, tags, tag_pairs, root, root_key, span, name, failed, received"},
		{"app_events", "ns, app, version, spans, last_seen, received"},
		{"processes", "ns, id, service, tags"},
		{"spans", "ns, trace, span, ksuid, root, name, location, app, start, duration, failed, fingerprint, calls, data, ver, day, process"},
	} {
		if err := s.insert(ctx, ins.table, ins.cols, rows[i]); err != nil {
			return err
		}
		if ins.table == "processes" {
			for _, r := range rows[i] {
				s.procs.Store(procKey{r[0].(string), r[1].(uint64)}, struct{}{})
			}
		}
	}
	// The run keys last, once the traces are stored: a failure before
	// leaves no rank to a trace that is not there.
	return s.insertRuns(ctx, runs)
}

// newProcesses returns the rows of the processes of prep that the
// processes table may not have yet, each once.
func (s *Store) newProcesses(ns string, prep []prepBatch) [][]any {
	var out [][]any
	seen := map[uint64]bool{}
	for i := range prep {
		pb := &prep[i]
		if seen[pb.process] {
			continue
		}
		seen[pb.process] = true
		if _, ok := s.procs.Load(procKey{ns, pb.process}); !ok {
			out = append(out, []any{ns, pb.process, pb.app, pb.tags})
		}
	}
	return out
}

// insert writes rows into table in one block.
func (s *Store) insert(ctx context.Context, table, cols string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+cols+")")
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, classify(err))
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			b.Abort()
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert into %s: %w", table, classify(err))
	}
	return nil
}

// ensureNamespace adds namespace to the namespaces table, once per process.
func (s *Store) ensureNamespace(ctx context.Context, namespace string) error {
	if _, ok := s.nss.Load(namespace); ok {
		return nil
	}
	if err := s.insert(ctx, "namespaces", "name, created", [][]any{{namespace, time.Now().UnixNano()}}); err != nil {
		return err
	}
	s.nss.Store(namespace, struct{}{})
	return nil
}

// placeholders returns "?, ?, ..." for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// lookupChunk bounds the values of one IN list.
const lookupChunk = 1000

// storedFinished returns the finished spans of prep's traces that are
// stored already: the rollups counted them.
func (s *Store) storedFinished(ctx context.Context, namespace string, prep []prepBatch) (map[spanRef]bool, error) {
	seen := map[[16]byte]bool{}
	var traces []any
	for i := range prep {
		for j := range prep[i].rows {
			if p := prep[i].rows[j].payload; !seen[p] && prep[i].b.Spans[j].Status != spantree.StatusStarted {
				seen[p] = true
				traces = append(traces, string(p[:]))
			}
		}
	}
	out := map[spanRef]bool{}
	for len(traces) > 0 {
		chunk := traces[:min(len(traces), lookupChunk)]
		traces = traces[len(chunk):]
		rows, err := s.conn.Query(ctx, `SELECT trace, span FROM spans WHERE ns = ? AND trace IN (`+placeholders(len(chunk))+`) AND duration >= 0 GROUP BY trace, span`,
			append([]any{namespace}, chunk...)...)
		if err != nil {
			return nil, fmt.Errorf("read stored spans: %w", classify(err))
		}
		for rows.Next() {
			var trace, span string
			if err := rows.Scan(&trace, &span); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read stored spans: %w", classify(err))
			}
			var k spanRef
			copy(k.trace[:], trace)
			copy(k.span[:], span)
			out[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read stored spans: %w", classify(err))
		}
	}
	return out, nil
}

// verdict is what Ingest needs of a group's latest verdict.
type verdict struct {
	kind, version string
}

// verdicts returns the latest verdicts of the error groups of prep.
func (s *Store) verdicts(ctx context.Context, namespace string, prep []prepBatch) (map[string]verdict, error) {
	set := map[string]bool{}
	var fps []any
	for i := range prep {
		for j := range prep[i].rows {
			if fp := prep[i].rows[j].fp; fp != "" && !set[fp] {
				set[fp] = true
				fps = append(fps, fp)
			}
		}
	}
	out := map[string]verdict{}
	if len(fps) == 0 {
		return out, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT fingerprint, argMax(kind, updated), argMax(version, updated) FROM annotations
		WHERE ns = ? AND fingerprint IN (`+placeholders(len(fps))+`) GROUP BY fingerprint`, append([]any{namespace}, fps...)...)
	if err != nil {
		return nil, fmt.Errorf("read verdicts: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var fp string
		var v verdict
		if err := rows.Scan(&fp, &v.kind, &v.version); err != nil {
			return nil, fmt.Errorf("read verdicts: %w", classify(err))
		}
		out[fp] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read verdicts: %w", classify(err))
	}
	return out, nil
}

// writes gathers the rows of one Ingest.
type writes struct {
	ns          string
	now         int64
	rollups     *rollups
	annotations map[string]verdict
	counted     map[spanRef]bool // finished spans counted in this request
	errors      [][]any
	traces      [][]any
	apps        [][]any
	spans       [][]any
}

// add gathers the rows of one batch. A finished span counts in the rollups
// with its first finished copy: not when one is stored already, nor twice
// in one request.
func (w *writes) add(pb *prepBatch, stored map[spanRef]bool) {
	if w.counted == nil {
		w.counted = map[spanRef]bool{}
	}
	var lastSeen int64
	for i := range pb.b.Spans {
		sd, row := &pb.b.Spans[i], &pb.rows[i]
		start := sd.Start.UnixNano()
		finished := sd.Status != spantree.StatusStarted
		var dur int64 = -1
		ver := uint64(w.now)
		if finished {
			dur = int64(sd.End.Sub(sd.Start))
			ver |= finishedVer
		}
		if end := start + int64(sd.Duration()); end > lastSeen {
			lastSeen = end
		}
		failed := sd.Status == spantree.StatusFailed
		root := sd.ParentID.IsZero()
		day := dayOf(start)
		w.spans = append(w.spans, []any{w.ns, string(row.payload[:]), string(sd.SpanID[:]), string(sd.TraceID[:]), b2u(root),
			sd.Name, sd.Location, pb.app, start, dur, b2u(failed), row.fp, store.Calls(sd.Fold), row.data, ver, day, pb.process})
		// The root of a trace: a span without a parent first, then the
		// earliest; of two copies of one span the finished one, then the
		// newest.
		var rootDur int64
		if finished {
			rootDur = dur
		}
		w.traces = append(w.traces, []any{w.ns, string(row.payload[:]), day, string(sd.TraceID[:]), pb.tags, pb.pairs,
			[]any{string(sd.SpanID[:]), sd.Name, pb.app, start, rootDur, string(sd.Status)},
			[]any{b2u(!root), start, string(sd.SpanID[:]), b2u(!finished), -w.now},
			string(sd.SpanID[:]), sd.Name, b2u(failed), w.now})
		if row.fp != "" {
			v := w.annotations[row.fp]
			var regressed int64
			if v.kind == store.KindSilenced && pb.version != "" && store.CompareVersions(pb.version, v.version) > 0 {
				regressed = w.now
			}
			w.errors = append(w.errors, []any{w.ns, row.fp, uint32(store.GroupingVersion), sd.Error.Type, sd.Error.Message,
				sd.Name, sd.Location, pb.app, sd.End.UnixNano(), string(sd.TraceID[:]), pb.version, regressed, w.now})
		}
		k := spanRef{row.payload, sd.SpanID}
		if finished && !stored[k] && !w.counted[k] {
			w.counted[k] = true
			w.rollups.add(&rollSpan{ref: k, trace: sd.TraceID, root: root, name: sd.Name, location: sd.Location, app: pb.app,
				start: start, dur: dur, failed: failed, fp: row.fp, fold: sd.Fold})
		}
	}
	w.apps = append(w.apps, []any{w.ns, pb.app, pb.version, int64(len(pb.b.Spans)), lastSeen, w.now})
}

// contribID names the rollup row of the spans refs of one key: the same
// spans give the same row, which the table keeps once.
func contribID(ns string, k rollKey, refs []spanRef) string {
	slices.SortFunc(refs, func(a, b spanRef) int {
		if c := strings.Compare(string(a.trace[:]), string(b.trace[:])); c != 0 {
			return c
		}
		return strings.Compare(string(a.span[:]), string(b.span[:]))
	})
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%s\x00%s\x00", ns, k.minute, k.name, k.location, k.app)
	for _, r := range refs {
		h.Write(r.trace[:])
		h.Write(r.span[:])
	}
	return string(h.Sum(nil)[:16])
}
