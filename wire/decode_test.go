package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

const seedSpan = `{"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"0000000000000002","parent_id":"0000000000000001","name":"main.load","location":"main.go:20","start":"2026-11-25T10:00:00.1Z","end":"2026-11-25T10:00:00.5Z","status":"failed","error":{"type":"*errors.errorString","message":"boom","panic":true,"stack":"main.load()\n"},"handled_errors":[{"type":"x","message":"y","span_id":"0000000000000003"}],"level":"warn","kind":"server","attrs":{"n":1},"events":[{"time":"2026-11-25T10:00:00.2Z","level":"info","msg":"hi"}],"links":[{"trace_id":"2e4661f5c8b14546baf5c3c69e57d1ab","ref":"q/1"}],"goroutine":true,"fold":{"count":3,"total_ns":30,"min_ns":5,"max_ns":15}}`

// FuzzDecode checks DecodeBatch's invariants on any input: it never panics,
// an error is always a FieldError naming a field, the input is not modified,
// and an accepted batch re-encodes to spans that decode to the same values.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"tags":{"service":"api"},"spans":[` + seedSpan + `]}`))
	f.Add([]byte(`{"spans":[{"trace_id":"2e4661f5c8b14546baf5c3c69e57d1ab","span_id":"0000000000000001","name":"a","start":"2026-11-25T10:00:00Z","status":"started"}]}`))
	f.Add([]byte(`{"spans":[]}`))
	f.Add([]byte(`{"spans":[{"span_id":12}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := bytes.Clone(body)
		b, err := DecodeBatch(body)
		if !bytes.Equal(body, orig) {
			t.Fatalf("DecodeBatch modified its input")
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("DecodeBatch error %v (%T) does not name a field", err, err)
			}
			return
		}
		for i := range b.Spans {
			enc := b.Spans[i].AppendJSON(nil)
			if !json.Valid(enc) {
				t.Fatalf("span %d re-encodes to invalid JSON: %s", i, enc)
			}
			var again = b.Spans[i]
			if err := DecodeSpan(enc, &again, "again"); err != nil {
				t.Fatalf("span %d: its own encoding %s does not decode: %v", i, enc, err)
			}
			if !bytes.Equal(again.AppendJSON(nil), enc) {
				t.Fatalf("span %d: encoding is not stable:\n%s\n%s", i, enc, again.AppendJSON(nil))
			}
		}
	})
}

// TestDecodeKind: a span's kind comes through on both decoders (the fast
// one and encoding/json's, here forced by a key in another case), and a
// kind OpenTelemetry does not name is refused naming the field.
func TestDecodeKind(t *testing.T) {
	span := func(kind string) string {
		return `{"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"0000000000000002","name":"a","start":"2026-11-25T10:00:00Z","end":"2026-11-25T10:00:01Z","status":"succeeded"` + kind + `}`
	}
	for _, tc := range []struct {
		body, want, err string
	}{
		{`{"spans":[` + span(`,"kind":"client"`) + `]}`, "client", ""},
		{`{"spans":[` + span(`,"Kind":"server"`) + `]}`, "server", ""}, // encoding/json's path
		{`{"spans":[` + span("") + `]}`, "", ""},
		{`{"spans":[` + span(`,"kind":"sideways"`) + `]}`, "", "spans[0].kind"},
	} {
		b, err := DecodeBatch([]byte(tc.body))
		if tc.err != "" {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.err {
				t.Errorf("DecodeBatch(%s) = %v; want an error on %s", tc.body, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("DecodeBatch(%s): %v", tc.body, err)
		}
		if got := string(b.Spans[0].Kind); got != tc.want {
			t.Errorf("DecodeBatch(%s): kind %q; want %q", tc.body, got, tc.want)
		}
	}
}
