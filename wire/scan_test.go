package wire

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fastCases are bodies where the fast decoder must either decode as
// encoding/json does or give up: keys in another case, escapes, nulls,
// duplicates, odd numbers, deep nesting, trailing data.
var fastCases = []string{
	`{"tags":{"service":"api"},"spans":[` + seedSpan + `]}`,
	`{"spans":[]}`,
	`{"spans":null}`,
	`{"spans":[null]}`,
	`{"spans":[{"Name":"x"}]}`,
	`{"spans":[{"ſpan_id":"x"}]}`,
	`{"SPANS":[{"name":"x"}]}`,
	`{"spans":[{"name":"a\u00e9\"b\\\n","location":"é"}]}`,
	"{\"spans\":[{\"name\":\"bad \xff utf8\"}]}",
	`{"spans":[{"na\u006de":"escaped key"}]}`,
	`{"spans":[{"name":"a","name":"b"}]}`,
	`{"spans":[{"attrs":{"a":1},"attrs":{"b":2}}]}`,
	`{"spans":[{"error":{"type":"a"},"error":{"message":"m"}}]}`,
	`{"spans":[{"attrs":{"n":1e400}}]}`,
	`{"spans":[{"attrs":{"n":-0.5e-3,"b":true,"z":null,"l":[1,"x",{"k":[]}]}}]}`,
	`{"spans":[{"attrs":{"n":01}}]}`,
	`{"spans":[{"fold":{"count":1.5}}]}`,
	`{"spans":[{"fold":{"count":-3,"total_ns":99999999999999999999}}]}`,
	`{"spans":[{"goroutine":null,"name":null,"error":null,"events":null}]}`,
	`{"spans":[{"attrs":` + strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100) + `}]}`,
	`{"spans":[]} x`,
	`{"spans":[],}`,
	`{"tags":{"a":null},"spans":[]}`,
	`{"tags":{"a":1},"spans":[]}`,
	`{"other":{"deep":[1,2,{"x":"y"}]},"spans":[]}`,
	`{"spans":[{"unknown":tru}]}`,
	"{\"spans\":[{\"name\":\"ctl \x01\"}]}",
	`{"spans":[{"name":"a","attrs":{"x":1}}],"spans":[{"location":"b"}]}`,
	`{"spans":[{"events":[{"msg":"a","level":"info"}],"events":[{"time":"t"}]}]}`,
	` {"spans" : [ { "name" : "ws" } ] } `,
}

// TestFastDecodeAgrees checks the fast decoder against encoding/json on
// fastCases, and that it takes what senders send rather than giving up.
func TestFastDecodeAgrees(t *testing.T) {
	for _, body := range fastCases {
		checkFast(t, []byte(body))
	}
	for _, body := range []string{fastCases[0], fastCases[7], fastCases[14], fastCases[len(fastCases)-1]} {
		if _, _, ok := fastBatch([]byte(body)); !ok {
			t.Errorf("fastBatch(%q) gave up; want it decoded", body)
		}
	}
	if !fastSpan([]byte(seedSpan), new(wireSpan)) {
		t.Errorf("fastSpan(%q) gave up; want it decoded", seedSpan)
	}
}

// FuzzFastDecode checks the fast decoder against encoding/json on any
// input: when it does not give up, encoding/json accepts the input too and
// decodes the same values.
func FuzzFastDecode(f *testing.F) {
	for _, body := range fastCases {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkFast(t, body) })
}

func checkFast(t *testing.T, body []byte) {
	t.Helper()
	tags, spans, ok := fastBatch(body)
	if ok {
		var want struct {
			Tags  map[string]string `json:"tags"`
			Spans []wireSpan        `json:"spans"`
		}
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("fastBatch(%q) took what encoding/json refuses: %v", body, err)
		}
		if diff := cmp.Diff(want.Tags, tags); diff != "" {
			t.Errorf("fastBatch(%q) tags (-encoding/json +fast):\n%s", body, diff)
		}
		if diff := cmp.Diff(want.Spans, spans, cmp.AllowUnexported()); diff != "" {
			t.Errorf("fastBatch(%q) spans (-encoding/json +fast):\n%s", body, diff)
		}
	}
	var w wireSpan
	if fastSpan(body, &w) {
		var want wireSpan
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("fastSpan(%q) took what encoding/json refuses: %v", body, err)
		}
		if diff := cmp.Diff(want, w); diff != "" {
			t.Errorf("fastSpan(%q) (-encoding/json +fast):\n%s", body, diff)
		}
	}
}
