package clickhouse

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// Run numbers on ClickHouse (issue 19). With no transaction, no atomic
// counter and several receivers writing one database, a counter that
// receivers increment could give one number twice or skip one. Instead a
// trace's number is computed when it is read: its rank, from 1, among the
// traces of its run key ordered by when their root was first stored (min
// first in run_roots, ties by trace id). A rank is unique and leaves no gap
// by construction, whatever the receivers do at once. What can move a rank
// is a trace whose root is stored with an earlier time than a trace already
// ranked: so a trace is ranked only once its time is RunSettle old, and a
// receiver takes the time right before its insert of run_roots and gives
// that insert RunSettle to complete. Ranks are final when receivers' clocks
// agree within RunSettle less the insert's time; run_roots is never pruned,
// so retention renumbers nothing.

// runRows returns the rows (ns, key, trace) of run_roots of prep: one per
// trace that a batch carried a span without a parent of, keyed by that
// batch's tags, in the order the roots started (ties by trace).
func runRows(ns string, prep []prepBatch) [][]any {
	type root struct {
		start int64
		row   []any
	}
	var roots []root
	seen := map[[16]byte]bool{}
	for i := range prep {
		pb := &prep[i]
		for j := range pb.b.Spans {
			p := pb.rows[j].payload
			if pb.b.Spans[j].ParentID.IsZero() && !seen[p] {
				seen[p] = true
				roots = append(roots, root{pb.b.Spans[j].Start.UnixNano(), []any{ns, pb.process, string(p[:])}})
			}
		}
	}
	slices.SortFunc(roots, func(a, b root) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return strings.Compare(a.row[2].(string), b.row[2].(string))
	})
	out := make([][]any, len(roots))
	for i, r := range roots {
		out[i] = r.row
	}
	return out
}

// insertRuns inserts rows (ns, key, trace) into run_roots, stamped with the
// time now, a nanosecond apart in their order, within RunSettle (see
// above).
func (s *Store) insertRuns(ctx context.Context, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	now := time.Now().UnixNano()
	full := make([][]any, len(rows))
	for i, r := range rows {
		first := now + int64(i)
		ver := uint64(1)<<63 - uint64(first) // the earliest copy wins merges
		full[i] = append(r[:3:3], first, ver)
	}
	if s.cfg.RunSettle > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RunSettle)
		defer cancel()
	}
	return s.insert(ctx, "run_roots", "ns, key, trace, first, ver", full)
}

// runOf is what run_roots says of one trace.
type runOf struct {
	key   uint64
	first int64
}

// runs returns the run numbers of the traces (payloads) of namespace that
// have one: settled, with a root stored.
func (s *Store) runs(ctx context.Context, namespace string, payloads []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(payloads) == 0 {
		return out, nil
	}
	cut := time.Now().Add(-s.cfg.RunSettle).UnixNano()
	args := []any{namespace}
	for _, p := range payloads {
		args = append(args, p)
	}
	args = append(args, cut)
	rows, err := s.conn.Query(ctx, `SELECT trace, argMin(key, first), min(first) AS f FROM run_roots
		WHERE ns = ? AND trace IN (`+placeholders(len(payloads))+`) GROUP BY trace HAVING f <= ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("run numbers: %w", classify(err))
	}
	byKey := map[uint64][]string{}
	of := map[string]runOf{}
	for rows.Next() {
		var trace string
		var r runOf
		if err := rows.Scan(&trace, &r.key, &r.first); err != nil {
			rows.Close()
			return nil, fmt.Errorf("run numbers: %w", classify(err))
		}
		of[trace] = r
		byKey[r.key] = append(byKey[r.key], trace)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run numbers: %w", classify(err))
	}
	// Per key (a list holds a few): the traces of the key stored before
	// the earliest of the list's, counted, and those stored from then to
	// the latest, read, so that each rank is the count plus the trace's
	// place among them.
	for key, traces := range byKey {
		lo, hi := of[traces[0]].first, of[traces[0]].first
		for _, tr := range traces {
			lo, hi = min(lo, of[tr].first), max(hi, of[tr].first)
		}
		var before uint64
		err := s.conn.QueryRow(ctx, `SELECT count() FROM
			(SELECT trace, min(first) AS f FROM run_roots WHERE ns = ? AND key = ? GROUP BY trace HAVING f < ?)`,
			namespace, key, lo).Scan(&before)
		if err != nil {
			return nil, fmt.Errorf("run numbers: %w", classify(err))
		}
		rows, err := s.conn.Query(ctx, `SELECT trace, f FROM
			(SELECT trace, min(first) AS f FROM run_roots WHERE ns = ? AND key = ? GROUP BY trace HAVING f >= ? AND f <= ?)
			ORDER BY f, trace`, namespace, key, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("run numbers: %w", classify(err))
		}
		rank := int64(before)
		for rows.Next() {
			var trace string
			var f int64
			if err := rows.Scan(&trace, &f); err != nil {
				rows.Close()
				return nil, fmt.Errorf("run numbers: %w", classify(err))
			}
			rank++
			if r, ok := of[trace]; ok && r.key == key {
				out[trace] = rank
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("run numbers: %w", classify(err))
		}
	}
	return out, nil
}

// tracesOfRun returns the payloads of the traces of namespace whose run
// number is run, at most one per run key: per key, the run-th of its
// settled traces in rank order (LIMIT run-1, 1, so that ClickHouse sends
// one row, not run of them).
func (s *Store) tracesOfRun(ctx context.Context, namespace string, run int64) ([]string, error) {
	cut := time.Now().Add(-s.cfg.RunSettle).UnixNano()
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT key FROM run_roots WHERE ns = ?`, namespace)
	if err != nil {
		return nil, fmt.Errorf("traces of run %d: %w", run, classify(err))
	}
	var keys []uint64
	for rows.Next() {
		var k uint64
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("traces of run %d: %w", run, classify(err))
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("traces of run %d: %w", run, classify(err))
	}
	var out []string
	for _, k := range keys {
		var trace string
		err := s.conn.QueryRow(ctx, `SELECT trace FROM
			(SELECT trace, min(first) AS f FROM run_roots WHERE ns = ? AND key = ? GROUP BY trace HAVING f <= ?)
			ORDER BY f, trace LIMIT ?, 1`, namespace, k, cut, uint64(run-1)).Scan(&trace)
		if isNoRows(err) {
			continue // fewer traces in this key
		}
		if err != nil {
			return nil, fmt.Errorf("traces of run %d: %w", run, classify(err))
		}
		out = append(out, trace)
	}
	return out, nil
}

// setRuns fills in the run numbers of list.
func (s *Store) setRuns(ctx context.Context, namespace string, list []store.TraceSummary) error {
	payloads := make([]string, len(list))
	for i := range list {
		p := list[i].TraceID.Payload()
		payloads[i] = string(p[:])
	}
	runs, err := s.runs(ctx, namespace, payloads)
	if err != nil {
		return err
	}
	for i := range list {
		list[i].Run = runs[payloads[i]]
	}
	return nil
}

// runOfTrace returns the run number of the trace id, 0 if it has none.
func (s *Store) runOfTrace(ctx context.Context, namespace string, id spantree.TraceID) (int64, error) {
	p := id.Payload()
	runs, err := s.runs(ctx, namespace, []string{string(p[:])})
	return runs[string(p[:])], err
}
