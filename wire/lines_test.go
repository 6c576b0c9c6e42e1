package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
)

const (
	spanA = `{"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"0000000000000001","name":"main.main","start":"2026-11-25T10:00:00Z","end":"2026-11-25T10:00:01Z","status":"succeeded","tags":{"service":"api"}}`
	spanB = `{"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"0000000000000002","parent_id":"0000000000000001","name":"main.load","start":"2026-11-25T10:00:00.1Z","end":"2026-11-25T10:00:00.5Z","status":"succeeded"}`
)

// line is what Lines makes of one line.
type line struct {
	N            int
	Object       string
	Torn         bool
	Span         string // the span's name, or the error of Span
	Tags         map[string]string
	Unterminated bool
}

func readLines(t *testing.T, in string) []line {
	t.Helper()
	var got []line
	l := NewLines(strings.NewReader(in))
	for l.Scan() {
		obj, torn := l.Object()
		var d spantree.SpanData
		tags, err := l.Span(&d)
		ln := line{N: l.Line(), Object: string(obj), Torn: torn, Span: d.Name, Tags: tags, Unterminated: l.Unterminated()}
		if err != nil {
			ln.Span = err.Error()
		}
		got = append(got, ln)
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestLines(t *testing.T) {
	// tornA is spanA cut by its writer's exit, followed on the same line
	// by another process's whole line.
	tornA := spanA[:90]
	tests := []struct {
		name string
		in   string
		want []line
	}{{
		name: "json sink file",
		in:   spanA + "\n" + spanB + "\n",
		want: []line{
			{N: 1, Object: spanA, Span: "main.main", Tags: map[string]string{"service": "api"}},
			{N: 2, Object: spanB, Span: "main.load"},
		},
	}, {
		name: "container log",
		in: "starting on :8080\n" +
			"2026-11-25T10:00:02.000000001Z stderr F " + spanB + "\n" +
			`{"log":` + jsonString(spanB+"\n") + `,"stream":"stderr","time":"2026-11-25T10:00:02Z"}` + "\n" +
			`{"level":"info","msg":"not a span"}` + "\n",
		want: []line{
			{N: 1, Span: "not a span"},
			{N: 2, Object: spanB, Span: "main.load"},
			{N: 3, Object: spanB, Span: "main.load"},
			{N: 4, Object: `{"level":"info","msg":"not a span"}`, Span: "not a span"},
		},
	}, {
		name: "torn line continued by a whole one",
		in:   tornA + spanB + "\n",
		want: []line{{N: 1, Object: spanB, Torn: true, Span: "main.load"}},
	}, {
		name: "torn last line",
		in:   spanB + "\n" + tornA,
		want: []line{
			{N: 1, Object: spanB, Span: "main.load"},
			{N: 2, Span: "not a span", Unterminated: true},
		},
	}, {
		name: "whole last line without a newline",
		in:   spanB,
		want: []line{{N: 1, Object: spanB, Span: "main.load", Unterminated: true}},
	}, {
		name: "a bad span names its line",
		in:   "\n" + strings.Replace(spanB, `"0000000000000002"`, `"bad"`, 1) + "\n",
		want: []line{
			{N: 1, Span: "not a span"},
			{N: 2, Object: strings.Replace(spanB, `"0000000000000002"`, `"bad"`, 1), Span: "line 2.span_id: want 16 hex characters"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, readLines(t, tt.in)); diff != "" {
				t.Errorf("Lines(%.60q...) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestLinesNotSpan(t *testing.T) {
	l := NewLines(strings.NewReader("hello\n"))
	l.Scan()
	var d spantree.SpanData
	if _, err := l.Span(&d); !errors.Is(err, ErrNotSpan) {
		t.Errorf("Span(%q) error = %v; want ErrNotSpan", "hello", err)
	}
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// TestLinesStrict checks the reading of a json sink's own file: every line
// must hold a span object but the torn unterminated last one.
func TestLinesStrict(t *testing.T) {
	tornB := spanB[:70]
	tests := []struct {
		name    string
		in      string
		want    []string // the objects
		wantErr string
	}{
		{name: "whole", in: spanA + "\n\n" + spanB + "\n", want: []string{spanA, spanB}},
		{name: "torn, continued", in: tornB + spanA + "\n", want: []string{spanA}},
		{name: "torn last line", in: spanA + "\n" + tornB, want: []string{spanA}},
		{name: "torn line inside", in: tornB + "\n" + spanA + "\n", wantErr: "line 1: no whole JSON object"},
		{name: "not JSON", in: "hello\n", wantErr: "line 1: no whole JSON object: hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var err error
			l := NewLines(strings.NewReader(tt.in))
			for err == nil && l.Scan() {
				var obj []byte
				if obj, err = l.Strict(); obj != nil {
					got = append(got, string(obj))
				}
			}
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("Strict error = %v; want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}
