package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/query"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
)

// TestTraceSearch: q= on GET /v1/traces, beside the other parameters, and
// its errors, 400 naming q and the position.
func TestTraceSearch(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.ingest(map[string]string{"service": "shop", "version": "1.4.2"},
		span(1, 1, 0, "shop.checkout", 0, 10*time.Millisecond, false),
		span(2, 1, 0, "shop.checkout", time.Second, 200*time.Millisecond, true),
		span(2, 2, 1, "db.query", time.Second, 150*time.Millisecond, true))
	e.ingest(map[string]string{"service": "cron"}, span(3, 1, 0, "cron.run", 2*time.Second, time.Second, false))
	tests := []struct {
		params string
		want   []byte
	}{
		{"q=" + url.QueryEscape("service:shop status:failed"), []byte{2}},
		{"q=" + url.QueryEscape("name:~CHECK -status:failed"), []byte{1}},
		{"q=" + url.QueryEscape("tag.version:1.4.2 OR root.duration>=1s"), []byte{3, 2, 1}},
		{"q=" + url.QueryEscape("error:~boom") + "&status=failed", []byte{2}},
		{"q=" + url.QueryEscape("app:shop") + "&until=" + url.QueryEscape(t0.Add(time.Second).Format(time.RFC3339Nano)), []byte{1}},
		{"q=&limit=2", []byte{3, 2}},
	}
	for _, tt := range tests {
		status, body := e.do("GET", "/v1/traces?"+tt.params, e.key, nil)
		if status != 200 {
			t.Errorf("GET /v1/traces?%s = %d %s", tt.params, status, body)
			continue
		}
		var page store.TracePage
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		var got []byte
		for _, s := range page.Traces {
			got = append(got, s.TraceID.Payload()[15])
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("GET /v1/traces?%s (-want +got):\n%s", tt.params, diff)
		}
	}
	bad := []struct{ params, want string }{
		{"q=" + url.QueryEscape("service:shop duration>"), `{"error":"q: at 23: want a value after 'duration\u003e'"}`},
		{"q=" + url.QueryEscape("colour:red"), `{"error":"q: at 1: unknown field 'colour' (want one of app, duration, error, error.type, errors, fingerprint, location, name, root.duration, root.name, root.service, root.status, service, spans, status, tag.KEY)"}`},
		{"cursor=zzz", `{"error":"cursor: want the next_cursor of a trace list, got \"zzz\""}`},
		{"until=-1h", `{"error":"until: want a positive duration such as 1h, got \"-1h\""}`},
	}
	for _, tt := range bad {
		if status, body := e.do("GET", "/v1/traces?"+tt.params, e.key, nil); status != 400 || body != tt.want {
			t.Errorf("GET /v1/traces?%s = %d %s; want 400 %s", tt.params, status, body, tt.want)
		}
	}
}

// TestTracePages: next_cursor is set on full pages and walks the list.
func TestTracePages(t *testing.T) {
	e := newEnv(t, server.Options{})
	for n := byte(1); n <= 5; n++ {
		e.ingest(map[string]string{"service": "shop"}, span(n, 1, 0, "shop.list", time.Duration(n)*time.Second, time.Millisecond, n == 3))
	}
	where, _ := query.Parse("-status:failed")
	q := store.TraceQuery{Limit: 2, Where: where}
	var got [][]byte
	var cursors []bool
	for range 4 {
		p, err := e.client().TracePage(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []byte
		for _, s := range p.Traces {
			ids = append(ids, s.TraceID.Payload()[15])
		}
		got, cursors = append(got, ids), append(cursors, p.NextCursor != "")
		if p.NextCursor == "" {
			break
		}
		if q.After, err = store.ParseCursor(p.NextCursor); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([][]byte{{5, 4}, {2, 1}, nil}, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{true, true, false}, cursors); diff != "" {
		t.Errorf("next_cursor set (-want +got):\n%s", diff)
	}
}

// TestServices: GET /v1/services lists each service's span names with
// their calls, for the search pickers.
func TestServices(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.ingest(map[string]string{"service": "shop"},
		span(1, 1, 0, "shop.checkout", 0, 10*time.Millisecond, false),
		span(2, 1, 0, "shop.checkout", time.Second, 200*time.Millisecond, true),
		span(2, 2, 1, "db.query", time.Second, 150*time.Millisecond, true))
	e.ingest(map[string]string{"service": "cron"}, span(3, 1, 0, "cron.run", 2*time.Second, time.Second, false))
	status, body := e.do("GET", "/v1/services?since="+url.QueryEscape(t0.Add(-time.Hour).Format(time.RFC3339)), e.key, nil)
	want := `{"services":[{"service":"shop","count":3,"failed":2,"names":[{"name":"shop.checkout","count":2,"failed":1},{"name":"db.query","count":1,"failed":1}]},` +
		`{"service":"cron","count":1,"failed":0,"names":[{"name":"cron.run","count":1,"failed":0}]}]}`
	if status != 200 || body != want {
		t.Errorf("GET /v1/services = %d %s; want 200 %s", status, body, want)
	}
	if status, body := e.do("GET", "/v1/services", e.key, nil); status != 200 || body != `{"services":[]}` {
		t.Errorf("GET /v1/services (last 24h, nothing) = %d %s; want no services", status, body)
	}
	if status, body := e.do("GET", "/v1/services?since=soon", e.key, nil); status != 400 {
		t.Errorf("GET /v1/services?since=soon = %d %s; want 400", status, body)
	}
}
