package spantree_test

import (
	"strings"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
)

func TestParseTraceparent(t *testing.T) {
	const (
		trace  = "4bf92f3577b34da6a3ce929d0e0e4736"
		parent = "00f067aa0ba902b7"
	)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", "00-" + trace + "-" + parent + "-01", true},
		{"valid unsampled", "00-" + trace + "-" + parent + "-00", true},
		{"surrounding space", "  00-" + trace + "-" + parent + "-01 ", true},
		{"future version with more fields", "cc-" + trace + "-" + parent + "-01-what-the-future-holds", true},
		{"empty", "", false},
		{"version ff", "ff-" + trace + "-" + parent + "-01", false},
		{"version 00 with extra fields", "00-" + trace + "-" + parent + "-01-extra", false},
		{"upper-case hex", "00-" + strings.ToUpper(trace) + "-" + parent + "-01", false},
		{"zero trace id", "00-00000000000000000000000000000000-" + parent + "-01", false},
		{"zero parent id", "00-" + trace + "-0000000000000000-01", false},
		{"short trace id", "00-" + trace[:31] + "-" + parent + "-01", false},
		{"long parent id", "00-" + trace + "-" + parent + "0-01", false},
		{"wrong separators", "00_" + trace + "_" + parent + "_01", false},
		{"not hex", "00-" + strings.Repeat("g", 32) + "-" + parent + "-01", false},
		{"flags not hex", "00-" + trace + "-" + parent + "-0x", false},
		{"truncated", "00-" + trace + "-" + parent, false},
		{"garbage", "hello, world", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotTrace, gotParent, ok := spantree.ParseTraceparent(tt.in)
			if ok != tt.ok {
				t.Fatalf("ParseTraceparent(%q) ok = %v; want %v", tt.in, ok, tt.ok)
			}
			if !ok {
				return
			}
			if got := spantree.TraceIDFromW3C(gotTrace, spantree.NewTraceID(testTime).Time()).Hex(); got != trace {
				t.Errorf("trace = %s; want %s", got, trace)
			}
			if gotParent.String() != parent {
				t.Errorf("parent = %s; want %s", gotParent, parent)
			}
		})
	}
}
