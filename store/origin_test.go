package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// TestOrigins: an error group starts where the error did, not at the spans
// it reached on its way up, whether a child returned it, goroutines handed
// it over to be joined, or it was wrapped; an error of its own still makes
// a span an origin.
func TestOrigins(t *testing.T) {
	type span struct {
		id, parent byte
		msg        string // "" succeeded, else failed with this message
	}
	tests := []struct {
		name  string
		spans []span
		want  []byte // the ids of the origins
	}{
		{"a chain returns one error", []span{{1, 0, "load: disk full"}, {2, 1, "load: disk full"}, {3, 2, "disk full"}}, []byte{3}},
		{"joined errors of goroutines that handled them",
			[]span{{1, 0, "fetch 1: refused\nfetch 2: timeout"}, {2, 1, ""}, {3, 2, "fetch 1: refused"}, {4, 1, ""}, {5, 4, "fetch 2: timeout"}},
			[]byte{3, 5}},
		{"wrapped across a span that did not fail", []span{{1, 0, "sync: fetch 1: refused"}, {2, 1, ""}, {3, 2, "fetch 1: refused"}}, []byte{3}},
		{"an error of its own after handling one", []span{{1, 0, "config invalid"}, {2, 1, ""}, {3, 2, "fetch 1: refused"}}, []byte{1, 3}},
		{"a root without children", []span{{1, 0, "boom"}}, []byte{1}},
		{"a parent cycle in bad data", []span{{1, 2, "a"}, {2, 1, "b"}}, nil},
		{"nothing failed", []span{{1, 0, ""}, {2, 1, ""}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := spantree.NewTraceID(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
			var spans []spantree.SpanData
			for _, s := range tt.spans {
				d := spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{7: s.id}, Status: spantree.StatusSucceeded}
				if s.parent != 0 {
					d.ParentID = spantree.SpanID{7: s.parent}
				}
				if s.msg != "" {
					d.Status, d.Error = spantree.StatusFailed, &spantree.ErrorInfo{Type: "*errors.errorString", Message: s.msg}
				}
				spans = append(spans, d)
			}
			var got []byte
			for i, o := range store.Origins(spans) {
				if o {
					got = append(got, tt.spans[i].id)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("origins (-want +got):\n%s", diff)
			}
		})
	}
}
