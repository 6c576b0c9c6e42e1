package store

import (
	"maps"
	"slices"

	spantree "github.com/spantree/spantree/runtime"
)

// Process is the tags of one process that sent spans of a trace (its
// service first among them) and which spans it sent. The spans of a
// distributed trace come from several processes, each with its own service
// and version (issue 13): a trace keeps each span's process, not one merged
// map of tags.
type Process struct {
	Tags  map[string]string `json:"tags"`
	Spans []spantree.SpanID `json:"span_ids"`
}

// SetProcesses attributes t's spans to their processes: procs[i] names the
// process of t.Spans[i], a key of tags, which holds that process's tags
// (the engines key processes as they store them). It sets each span's
// Service, the trace's Services (the root's first) and Processes in the order
// of their first span in t.Spans, and t.Tags to the tags of the root's process (the span
// without a parent that started first, else the first span), so that a
// trace shows the tags of the process it started in, not a mix.
func (t *Trace) SetProcesses(procs []string, tags map[string]map[string]string) {
	t.Services, t.Processes = []string{}, nil
	index := map[string]int{}
	root := -1
	for i := range t.Spans {
		s := &t.Spans[i]
		pt := tags[procs[i]]
		s.Service = pt["service"]
		j, ok := index[procs[i]]
		if !ok {
			j = len(t.Processes)
			index[procs[i]] = j
			t.Processes = append(t.Processes, Process{Tags: maps.Clone(pt)})
			if t.Processes[j].Tags == nil {
				t.Processes[j].Tags = map[string]string{}
			}
		}
		t.Processes[j].Spans = append(t.Processes[j].Spans, s.SpanID)
		if s.Service != "" && !slices.Contains(t.Services, s.Service) {
			t.Services = append(t.Services, s.Service) // a handful: no map
		}
		if root < 0 || BetterRoot(s, &t.Spans[root]) {
			root = i
		}
	}
	if root >= 0 {
		t.Tags = maps.Clone(t.Processes[index[procs[root]]].Tags)
		if rs := t.Spans[root].Service; rs != "" {
			// The root's service first, clocks of other hosts aside.
			k := slices.Index(t.Services, rs)
			copy(t.Services[1:k+1], t.Services[:k])
			t.Services[0] = rs
		}
	}
}

// LegacyProcess returns the key of tags that holds the process of a span
// stored before its engine kept processes, adding it when missing: the
// span's app is its service, its trace's tags stand for the rest.
func LegacyProcess(tags map[string]map[string]string, traceTags map[string]string, app string) string {
	k := "app:" + app
	if tags[k] == nil {
		m := maps.Clone(traceTags)
		if m == nil {
			m = map[string]string{}
		}
		m["service"] = app
		tags[k] = m
	}
	return k
}

// BetterRoot reports whether s should be its trace's root rather than r: a
// span without a parent wins, then the earlier one; of two copies of one
// span, the finished one.
func BetterRoot(s, r *spantree.SpanData) bool {
	if s.ParentID.IsZero() != r.ParentID.IsZero() {
		return s.ParentID.IsZero()
	}
	if s.SpanID == r.SpanID {
		return s.Status != spantree.StatusStarted
	}
	return s.Start.Before(r.Start)
}
