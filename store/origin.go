package store

import (
	"strings"

	spantree "github.com/spantree/spantree/runtime"
)

// originDepth bounds how far up from a failed span Origins looks for the
// spans its error reached: deep enough for any real call chain, and a
// bound on bad data (a cycle of parent ids).
const originDepth = 256

// Origins reports which spans of a batch are where their error started,
// and so make (or join) an error group: failed spans with an error, except
// those whose error came from a failed span beneath them. A failed span
// propagates when a direct child of its failed too (it returned that
// error, wrapped or not, or failed because of it), or when the message of
// a failed span further down, reached through spans that did not fail,
// is part of its own: errors.Join of the errors of goroutines that handed
// them over, or fmt.Errorf("...: %w") of one. Spans are matched within
// the batch, where a trace's spans arrive together when its root ends.
// It returns nil, allocating nothing, when no span failed with an error.
func Origins(spans []spantree.SpanData) []bool {
	var origin []bool
	for i := range spans {
		if s := &spans[i]; s.Status == spantree.StatusFailed && s.Error != nil {
			if origin == nil {
				origin = make([]bool, len(spans))
			}
			origin[i] = true
		}
	}
	if origin == nil {
		return nil
	}
	type ref struct {
		trace [16]byte
		span  spantree.SpanID
	}
	index := make(map[ref]int, len(spans))
	for i := range spans {
		index[ref{spans[i].TraceID.Payload(), spans[i].SpanID}] = i
	}
	parent := func(i int) int {
		s := &spans[i]
		if s.ParentID.IsZero() {
			return -1
		}
		p, ok := index[ref{s.TraceID.Payload(), s.ParentID}]
		if !ok || p == i {
			return -1
		}
		return p
	}
	for i := range spans {
		s := &spans[i]
		if s.Status != spantree.StatusFailed {
			continue
		}
		p := parent(i)
		if p < 0 {
			continue
		}
		origin[p] = false // its child failed: the error came from below
		if s.Error == nil || s.Error.Message == "" {
			continue
		}
		msg := s.Error.Message
		for a, n := parent(p), 0; a >= 0 && n < originDepth; a, n = parent(a), n+1 {
			if e := spans[a].Error; spans[a].Status == spantree.StatusFailed && e != nil && strings.Contains(e.Message, msg) {
				origin[a] = false
			}
		}
	}
	return origin
}
