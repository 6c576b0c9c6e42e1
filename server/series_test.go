package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
)

func TestSeries(t *testing.T) {
	e := newEnv(t, server.Options{})
	ctx := context.Background()
	api := map[string]string{"service": "api"}
	e.ingest(api,
		span(1, 1, 0, "api.get", 0, 10*time.Millisecond, false),
		span(1, 2, 1, "db.query", time.Millisecond, 5*time.Millisecond, true),
		span(2, 1, 0, "api.get", 2*time.Minute, 40*time.Millisecond, true),
	)
	type point struct{ Calls, Failed int }
	tests := []struct {
		name string
		q    store.SeriesQuery
		want []point
	}{
		{"roots", store.SeriesQuery{App: "api", Since: t0, Until: t0.Add(3 * time.Minute)}, []point{{1, 0}, {}, {1, 1}}},
		{"a span name", store.SeriesQuery{App: "api", Name: "db.query", Since: t0, Until: t0.Add(3 * time.Minute)}, []point{{1, 1}, {}, {}}},
		{"steps of three minutes", store.SeriesQuery{App: "api", Since: t0, Until: t0.Add(3 * time.Minute), Step: 3 * time.Minute}, []point{{2, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := e.client().Series(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []point
			for _, p := range s.Points {
				got = append(got, point{p.Calls, p.Failed})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("calls and failures per step (-want +got):\n%s", diff)
			}
			if wantStep := max(tt.q.Step, time.Minute); s.Step != wantStep || !s.Since.Equal(t0) {
				t.Errorf("step %v since %v; want %v since %v", s.Step, s.Since, wantStep, t0)
			}
		})
	}

	// The defaults: the last hour in minutes.
	s, err := e.client().Series(ctx, store.SeriesQuery{App: "api"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Step != time.Minute || len(s.Points) < 60 || len(s.Points) > 61 {
		t.Errorf("default series: step %v, %d points; want 1m, an hour of them", s.Step, len(s.Points))
	}

	bad := []struct{ query, field string }{
		{"since=1h&until=2h", "until"},
		{"until=yesterday", "until"},
		{"step=90s", "step"},
		{"step=often", "step"},
		{"since=2000h&step=1m", "step"},
		{"since=later", "since"},
	}
	for _, b := range bad {
		status, body := e.do("GET", "/v1/series?"+b.query, e.key, nil)
		if status != 400 || !strings.Contains(body, b.field) {
			t.Errorf("GET /v1/series?%s = %d %s; want 400 naming %s", b.query, status, body, b.field)
		}
	}
	if status, body := e.do("GET", "/v1/series?"+url.Values{"until": {time.Now().Add(-30 * time.Minute).Format(time.RFC3339)}}.Encode(), e.key, nil); status != 200 {
		t.Errorf("GET /v1/series with an RFC 3339 until = %d %s; want 200", status, body)
	}
}
