package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// maxTxSpans bounds the spans of one transaction, whatever the requests:
// a large batch is written in several transactions, taking turns with the
// other requests, so that a request waits behind at most one transaction
// of other work (at about 10µs a span, 40ms) rather than behind the whole
// of a large batch (one of 240,000 spans held the writer for 9s).
const maxTxSpans = 2048

// ingestReq is one Ingest call waiting for the writer.
type ingestReq struct {
	ctx     context.Context
	ns      string
	batches []prepBatch
	spans   int
	// bi and si are where the writer goes on: span si of batch bi.
	bi, si int
	err    error
	done   chan error
}

// prepBatch is a batch with what the caller computes of it before the
// writer takes it, off the writer's goroutine: each span's wire JSON, trace
// payload and error group.
type prepBatch struct {
	b            spantree.Batch
	app, version string
	tags         string // JSON object
	rows         []spanRow
}

type spanRow struct {
	payload [16]byte
	data    string
	fp      string // its error group, "" when not grouped
}

// prepare computes the rows of b. The fingerprint of a failed span is left
// out when one of its children in the batch failed too: its error came from
// below and is grouped there, at its origin, not once per span it crossed.
func prepare(b spantree.Batch) (prepBatch, error) {
	pb := prepBatch{b: b, app: b.Tags["service"], version: b.Tags["version"], rows: make([]spanRow, len(b.Spans))}
	tags := b.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	js, err := json.Marshal(tags)
	if err != nil {
		return pb, fmt.Errorf("encode tags: %w", err)
	}
	pb.tags = string(js)
	origins := store.Origins(b.Spans)
	// One encoder for the batch: its spans share trace ids and seconds.
	var enc spantree.Encoder
	var full, data []byte
	for i := range b.Spans {
		s, row := &b.Spans[i], &pb.rows[i]
		row.payload = s.TraceID.Payload()
		if origins != nil && origins[i] {
			row.fp = store.Fingerprint(s.Name, s.Error)
		}
		full, data = storedData(&enc, full[:0], data[:0], s)
		row.data = string(data)
	}
	return pb, nil
}

// storedData returns, in data, what the data column keeps of s: its wire
// JSON without the fields the row has in columns of their own (span_id,
// name, location, start, end, status), which Trace puts back (spanFromRow).
// Those fields were two thirds of the bytes of a plain span (244 of 312 a
// row), and each byte is written twice, to the WAL and to the database
// file. full is scratch space for the whole encoding; both are returned
// for reuse.
func storedData(enc *spantree.Encoder, full, data []byte, s *spantree.SpanData) ([]byte, []byte) {
	t := *s
	t.Name, t.Location, t.Start, t.End = "", "", time.Time{}, time.Time{}
	full = enc.AppendSpan(full, &t)
	// The encoder writes, in this order: {"trace_id":"...","span_id":"..."
	// [,"parent_id":"..."],"name":"","location":"","start":"..."[,"end":
	// "..."],"status":"...", then the other fields. Ids and times hold no
	// quote, so the first of each key is the field itself.
	const sidKey, statusKey = `,"span_id":"`, `,"status":"`
	st := string(s.Status)
	sid := bytes.Index(full, []byte(sidKey))
	sidEnd := sid + len(sidKey) + 2*len(s.SpanID) + 1
	name := bytes.Index(full, []byte(`,"name":"",`))
	status := bytes.Index(full, []byte(statusKey))
	rest := status + len(statusKey) + len(st) + 1
	if sid < 0 || name < sidEnd || status < name || rest > len(full) ||
		full[sidEnd-1] != '"' || string(full[status+len(statusKey):rest]) != st+`"` {
		// Not the layout above: keep the whole wire JSON (Trace reads
		// either form).
		return full, enc.AppendSpan(data, s)
	}
	data = append(data, full[:sid]...)
	data = append(data, full[sidEnd:name]...)
	data = append(data, full[rest:]...)
	return full, data
}

// chunk is the spans lo to hi of batch bi of a request.
type chunk struct {
	b      *prepBatch
	bi     int
	lo, hi int
}

// part is what one transaction writes of a request.
type part struct {
	r      *ingestReq
	chunks []chunk
	spans  int
}

// take returns the next at most n spans of r, as chunks of its batches.
func (r *ingestReq) take(n int) part {
	p := part{r: r}
	for p.spans < n && r.bi < len(r.batches) {
		b := &r.batches[r.bi]
		hi := min(len(b.rows), r.si+n-p.spans)
		if hi > r.si {
			p.chunks = append(p.chunks, chunk{b, r.bi, r.si, hi})
			p.spans += hi - r.si
		}
		r.si = hi
		if r.si == len(b.rows) {
			r.bi, r.si = r.bi+1, 0
		}
	}
	return p
}

// finished reports whether every span of r has been taken.
func (r *ingestReq) finished() bool { return r.bi == len(r.batches) }

func (r *ingestReq) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Ingest prepares the batches and hands them to the writer, then waits
// until all their spans are committed. A batch larger than one transaction
// takes several (see maxTxSpans); when one fails, the spans of the ones
// before it stay stored and Ingest returns the error: sending the batches
// again is safe, as a span replaces its earlier copy.
func (s *Store) Ingest(ctx context.Context, namespace string, batches []spantree.Batch) (int, error) {
	req := &ingestReq{ctx: ctx, ns: namespace, done: make(chan error, 1)}
	for _, b := range batches {
		if len(b.Spans) == 0 {
			continue
		}
		pb, err := prepare(b)
		if err != nil {
			return 0, err
		}
		req.batches = append(req.batches, pb)
		req.spans += len(b.Spans)
	}
	if req.spans == 0 {
		return 0, nil
	}
	select {
	case s.reqs <- req:
	case <-s.quit:
		return 0, ErrClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case err := <-req.done:
		if err := s.noteWrite(err); err != nil {
			return 0, err
		}
		return req.spans, nil
	case <-s.stopped:
		// The writer may have answered just before stopping.
		select {
		case err := <-req.done:
			if err := s.noteWrite(err); err != nil {
				return 0, err
			}
			return req.spans, nil
		default:
			return 0, ErrClosed
		}
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run is the writer goroutine. It keeps the requests handed over in a
// queue and writes a transaction at a time: the requests at the head of
// the queue, each as much as the room left (maxTxSpans in all), gathered
// into one commit (group commit). A request with spans left goes to the
// back of the queue, so that large and small requests take turns. Each
// request is answered once all of its spans are committed, or one of its
// transactions failed.
func (s *Store) run(w *writer) {
	defer close(s.stopped)
	defer w.close()
	var queue []*ingestReq
	closing := false
	for {
	gather:
		for {
			select {
			case r := <-s.reqs:
				queue = append(queue, r)
			default:
				break gather
			}
		}
		if len(queue) == 0 {
			if closing {
				return // everything handed over before Close is written
			}
			select {
			case r := <-s.reqs:
				queue = append(queue, r)
			case <-s.quit:
				closing = true
			}
			continue
		}
		var parts []part
		var again []*ingestReq
		room := maxTxSpans
		for len(queue) > 0 && room > 0 {
			r := queue[0]
			queue = queue[1:]
			if err := r.ctx.Err(); err != nil && !closing {
				// Its caller has gone: nobody waits for the rest.
				r.done <- err
				continue
			}
			p := r.take(room)
			room -= p.spans
			parts = append(parts, p)
			if !r.finished() {
				again = append(again, r)
			}
		}
		queue = append(queue, again...)
		w.commit(parts)
		for _, p := range parts {
			r := p.r
			switch {
			case r.err != nil:
				r.done <- r.err
				if !r.finished() {
					queue = slices.DeleteFunc(queue, func(x *ingestReq) bool { return x == r })
				}
			case r.finished():
				r.done <- nil
			}
		}
		s.boundWAL(w)
	}
}
