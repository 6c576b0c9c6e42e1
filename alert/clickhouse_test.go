package alert_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/alert"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/clickhouse"
	"github.com/spantree/spantree/store/clickhouse/chtest"
)

// TestRestartClickHouse: on the ClickHouse engine too, a restarted
// receiver (a new engine over the store opened again) does not notify a
// firing alert again, and sends its resolution.
func TestRestartClickHouse(t *testing.T) {
	srv := chtest.Start(t)
	ctx := context.Background()
	url := srv.URL("alerts", "")
	open := func() *clickhouse.Store {
		t.Helper()
		st, err := clickhouse.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	h := newHook(t, 0)
	rules := []*alert.Rule{mustRule(t, `{"id":"untriaged","kind":"new_group"}`)}
	engine := func(st store.Store) *alert.Engine {
		t.Helper()
		en, err := alert.New(alert.Options{Store: st, Rules: rules, Targets: []alert.Notifier{&alert.Webhook{URL: h.srv.URL}}})
		if err != nil {
			t.Fatal(err)
		}
		return en
	}
	eval := func(en *alert.Engine) {
		t.Helper()
		if err := en.Evaluate(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
	}

	st := open()
	now := time.Now()
	span := spantree.SpanData{TraceID: spantree.NewTraceID(now), SpanID: spantree.SpanID{1}, Name: "shop.charge", Location: "shop/charge.go:10",
		Start: now.Add(-time.Second), End: now, Status: spantree.StatusFailed, Error: &spantree.ErrorInfo{Type: "*errors.errorString", Message: "card declined"}}
	if _, err := st.Ingest(ctx, "acme", []spantree.Batch{{Tags: map[string]string{"service": "shop"}, Spans: []spantree.SpanData{span}}}); err != nil {
		t.Fatal(err)
	}
	en := engine(st)
	eval(en)
	n := h.next(t)
	if diff := cmp.Diff(summary{"untriaged", "firing", "shop", n.Labels["fingerprint"]}, sum(n)); diff != "" || n.Labels["fingerprint"] == "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	en.Close()
	st.Close()

	st = open()
	en = engine(st)
	// A firing sent again would reach the hook before the resolution: the
	// queue is in order.
	eval(en)
	if _, err := st.Annotate(ctx, "acme", n.Labels["fingerprint"], store.Annotation{Kind: store.KindSilenced, Severity: store.SeverityOK}); err != nil {
		t.Fatal(err)
	}
	eval(en)
	if diff := cmp.Diff(summary{"untriaged", "resolved", "shop", n.Labels["fingerprint"]}, sum(h.next(t))); diff != "" {
		t.Errorf("after the verdict (-want +got):\n%s", diff)
	}
	en.Close()
	h.none(t)
}
