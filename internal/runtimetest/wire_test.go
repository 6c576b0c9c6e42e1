package runtimetest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/segmentio/ksuid"
	spantree "github.com/spantree/spantree/runtime"
)

// The runtime encodes KSUIDs itself (it may depend on the standard library
// only); segmentio/ksuid is the reference.
func TestTraceIDIsKSUID(t *testing.T) {
	for i := 0; i < 200; i++ {
		id := spantree.NewTraceID(time.Now().Add(time.Duration(i) * time.Hour))
		k, err := ksuid.FromBytes(id[:])
		if err != nil {
			t.Fatal(err)
		}
		if got, want := id.String(), k.String(); got != want {
			t.Fatalf("TraceID.String() = %q; want %q (ksuid)", got, want)
		}
		parsed, err := spantree.ParseTraceID(k.String())
		if err != nil || parsed != id {
			t.Fatalf("ParseTraceID(%q) = %v, %v; want %v", k.String(), parsed, err, id)
		}
		if got, want := id.Time(), k.Time().UTC(); !got.Equal(want) {
			t.Fatalf("TraceID.Time() = %v; want %v", got, want)
		}
		byHex, err := spantree.ParseTraceID(id.Hex())
		if err != nil || byHex.Payload() != id.Payload() {
			t.Fatalf("ParseTraceID(%q) payload = %x, %v; want %x", id.Hex(), byHex.Payload(), err, id.Payload())
		}
	}
	for _, k := range []ksuid.KSUID{ksuid.Max, ksuid.Nil} {
		id, err := spantree.ParseTraceID(k.String())
		if err != nil || id.String() != k.String() {
			t.Errorf("round trip of %q = %q, %v", k.String(), id.String(), err)
		}
	}
}

func TestParseTraceIDErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "got 0 characters"},
		{"abc", "got 3 characters"},
		{"0ujtsYcgvSTl8PAuAdqWYSMnLO!", `invalid character '!' at 26`},
		{"zzzzzzzzzzzzzzzzzzzzzzzzzzz", "out of range"},
		{"0123456789abcdef0123456789abcdeg", "invalid byte"},
	}
	for _, tt := range tests {
		_, err := spantree.ParseTraceID(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseTraceID(%q) error = %v; want it to mention %q", tt.in, err, tt.want)
		}
	}
}

func TestSpanDataJSONRoundTrip(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	full := spantree.SpanData{
		TraceID:  spantree.NewTraceID(start),
		SpanID:   spantree.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		ParentID: spantree.SpanID{8, 7, 6, 5, 4, 3, 2, 1},
		Name:     `pkg.(*T).Method`,
		Location: "dir/file.go:42",
		Start:    start,
		End:      start.Add(1500 * time.Microsecond),
		Status:   spantree.StatusFailed,
		Error:    &spantree.ErrorInfo{Type: "*fs.PathError", Message: "open \"x\"\n<&>\u2028\xff", Panic: true, Stack: "goroutine 1\n\tmain.go:1"},
		HandledErrors: []spantree.ErrorInfo{
			{Type: "*errors.errorString", Message: "boom", SpanID: spantree.SpanID{9}},
		},
		Level:     spantree.LevelError,
		Attrs:     map[string]any{"n": 1.5, "s": "x"},
		Events:    []spantree.Event{{Time: start, Level: spantree.LevelInfo, Msg: "hello", Attrs: map[string]any{"k": "v"}}},
		Links:     []spantree.Link{{TraceID: spantree.NewTraceID(start), SpanID: spantree.SpanID{3}, Ref: "r1"}},
		Goroutine: true,
		Fold:      &spantree.Fold{Count: 3, TotalNS: 30, MinNS: 5, MaxNS: 20},
	}
	running := spantree.SpanData{TraceID: full.TraceID, SpanID: full.SpanID, Name: "main.main", Location: "main.go:3", Start: start, Status: spantree.StatusStarted}
	for _, in := range []spantree.SpanData{full, running} {
		b := in.AppendJSON(nil)
		var out spantree.SpanData
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		// Invalid UTF-8 is written as U+FFFD, as encoding/json does.
		want := in
		if want.Error != nil {
			e := *want.Error
			e.Message = strings.ToValidUTF8(e.Message, "\ufffd")
			want.Error = &e
		}
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		// The hand-written encoder agrees with encoding/json on strings.
		std, _ := json.Marshal(in.Name + in.Location)
		mine := spantreeString(in.Name + in.Location)
		if string(std) != mine {
			t.Errorf("string encoding = %s; encoding/json gives %s", mine, std)
		}
	}
	b := running.AppendJSON(nil)
	for _, absent := range []string{`"parent_id"`, `"end"`, `"error"`, `"fold"`, `"goroutine"`} {
		if strings.Contains(string(b), absent) {
			t.Errorf("running root span JSON %s contains %s; want it omitted", b, absent)
		}
	}
}

func spantreeString(s string) string {
	d := spantree.SpanData{Name: s}
	b := string(d.AppendJSON(nil))
	i := strings.Index(b, `"name":`) + len(`"name":`)
	j := strings.Index(b, `,"location":`)
	return b[i:j]
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\x7f", "<script>&", "\u2028\u2029", "\xff\xfe", "日本語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		std, err := json.Marshal(s)
		if err != nil {
			t.Skip()
		}
		if got := spantreeString(s); got != string(std) {
			t.Errorf("encode %q = %s; encoding/json gives %s", s, got, std)
		}
	})
}

func TestTraceparent(t *testing.T) {
	valid := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		in string
		ok bool
	}{
		{valid, true},
		{"  " + valid + " ", true},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", true}, // a later version may add fields
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", false},
		{"garbage", false},
		{"", false},
	}
	for _, tt := range tests {
		tr, parent, ok := spantree.ParseTraceparent(tt.in)
		if ok != tt.ok {
			t.Errorf("ParseTraceparent(%q) ok = %v; want %v", tt.in, ok, tt.ok)
			continue
		}
		if ok && tt.in == valid {
			id := spantree.TraceIDFromW3C(tr, time.Now())
			if got := spantree.Traceparent(id, parent); got != valid {
				t.Errorf("Traceparent round trip = %q; want %q", got, valid)
			}
		}
	}
}

// The json sink's lines carry the process's tags, sorted, as an added
// "tags" field; without tags a line is the span object alone.
func TestJSONSinkTags(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tr := &spantree.Trace{ID: spantree.NewTraceID(t0), Complete: true, Spans: []spantree.SpanData{
		{SpanID: spantree.SpanID{1}, Name: "p.main", Location: "main.go:3", Start: t0, End: t0.Add(time.Second), Status: spantree.StatusSucceeded},
		{SpanID: spantree.SpanID{2}, ParentID: spantree.SpanID{1}, Name: "p.f", Location: "main.go:9", Start: t0, End: t0.Add(time.Millisecond), Status: spantree.StatusSucceeded},
	}}
	for i := range tr.Spans {
		tr.Spans[i].TraceID = tr.ID
	}
	for _, tc := range []struct {
		name string
		tags map[string]string
		want string // the end of every line
	}{
		{"tags", map[string]string{"service": "api", "env": "prod \"eu\""}, `"status":"succeeded","tags":{"env":"prod \"eu\"","service":"api"}}`},
		{"none", nil, `"status":"succeeded"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := spantree.NewJSON(&buf).WithTags(tc.tags).Export(context.Background(), tr); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("got %d lines; want 2:\n%s", len(lines), buf.String())
			}
			for i, l := range lines {
				if !strings.HasSuffix(l, tc.want) {
					t.Errorf("line %d = %s\nwant it to end with %s", i, l, tc.want)
				}
				var line struct {
					spantree.SpanData
					Tags map[string]string `json:"tags"`
				}
				if err := json.Unmarshal([]byte(l), &line.SpanData); err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				if err := json.Unmarshal([]byte(l), &struct {
					Tags *map[string]string `json:"tags"`
				}{&line.Tags}); err != nil {
					t.Fatalf("line %d tags: %v", i, err)
				}
				if diff := cmp.Diff(tr.Spans[i], line.SpanData); diff != "" {
					t.Errorf("line %d span (-want +got):\n%s", i, diff)
				}
				if diff := cmp.Diff(tc.tags, line.Tags); diff != "" {
					t.Errorf("line %d tags (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// A json sink on something that is not a regular file (json:/dev/null, a
// pipe) flushes without error: only regular files are synced.
func TestJSONFlushDevNull(t *testing.T) {
	j, err := spantree.OpenJSONFile(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Flush(context.Background()); err != nil {
		t.Errorf("Flush(json:%s) = %v; want nil", os.DevNull, err)
	}
	f, err := spantree.OpenJSONFile(filepath.Join(t.TempDir(), "spans.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Flush(context.Background()); err != nil {
		t.Errorf("Flush(regular file) = %v; want nil", err)
	}
}
