package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/query"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// queryTraces ingests the fixed traces of the query cases; trace n's root
// starts at n-1 seconds after t0, so the list, newest first, is 5 4 3 2 1.
//
//	1 shop: shop.checkout ok 50ms, db.query ok 20ms
//	2 shop: shop.checkout failed 300ms, db.query failed 250ms ("dial tcp: i/o timeout");
//	  pay (another process): pay.charge ok 100ms
//	3 pay: pay.refund ok 1.5s, pay.charge failed 5ms (*pay.Error "card declined")
//	4 demo: main.main running, main.work ok 2s
//	5 shop: "shop.list items" ok 10ms
func queryTraces(t *testing.T, st store.Store) {
	shop := map[string]string{"service": "shop", "version": "1.4.2", "env": "prod"}
	pay := map[string]string{"service": "pay", "version": "2.0.0"}
	demo := map[string]string{"service": "demo"}
	dbErr := sp(traceID(2), 2, 1, "db.query", 1010, 250, spantree.StatusFailed)
	dbErr.Error = &spantree.ErrorInfo{Type: "*net.OpError", Message: "dial tcp: i/o timeout"}
	declined := sp(traceID(3), 2, 1, "pay.charge", 2100, 5, spantree.StatusFailed)
	declined.Error = &spantree.ErrorInfo{Type: "*pay.Error", Message: "card declined"}
	ingest(t, st, "ns", shop,
		sp(traceID(1), 1, 0, "shop.checkout", 0, 50, spantree.StatusSucceeded),
		sp(traceID(1), 2, 1, "db.query", 10, 20, spantree.StatusSucceeded),
		sp(traceID(2), 1, 0, "shop.checkout", 1000, 300, spantree.StatusFailed),
		dbErr)
	ingest(t, st, "ns", pay,
		sp(traceID(2), 3, 1, "pay.charge", 1020, 100, spantree.StatusSucceeded),
		sp(traceID(3), 1, 0, "pay.refund", 2000, 1500, spantree.StatusSucceeded),
		declined)
	ingest(t, st, "ns", demo,
		sp(traceID(4), 1, 0, "main.main", 3000, 0, spantree.StatusStarted),
		sp(traceID(4), 2, 1, "main.work", 3010, 2000, spantree.StatusSucceeded))
	ingest(t, st, "ns", shop, sp(traceID(5), 1, 0, "shop.list items", 4000, 10, spantree.StatusSucceeded))
}

// testQuery: the query language (TraceQuery.Where) against the fixed
// traces, alone and with the other filters.
func testQuery(t *testing.T, open Opener) {
	st := open(t)
	queryTraces(t, st)
	type queryCase struct {
		q    string
		tq   store.TraceQuery
		want []byte // trace numbers, newest first
	}
	tests := []queryCase{
		{q: "", want: []byte{5, 4, 3, 2, 1}},
		{q: "service:shop", want: []byte{5, 2, 1}},
		{q: "service:pay", want: []byte{3, 2}},
		{q: "tag.service:demo", want: []byte{4}},
		{q: "app:pay", want: []byte{3}},
		{q: "root.service:shop", want: []byte{5, 2, 1}},
		{q: "name:shop.checkout", want: []byte{2, 1}},
		{q: "name:checkout", want: nil},
		{q: "name:~CHECK", want: []byte{2, 1}},
		{q: "checkout", want: []byte{2, 1}},
		{q: `name:"shop.list items"`, want: []byte{5}},
		{q: `"list items"`, want: []byte{5}},
		{q: "root.name:pay.refund", want: []byte{3}},
		{q: "location:~refund", want: []byte{3}},
		{q: "status:failed", want: []byte{3, 2}},
		{q: "status:started", want: []byte{4}},
		{q: "status:succeeded app:demo", want: []byte{4}},
		{q: "root.status:failed", want: []byte{2}},
		{q: "root.status:started", want: []byte{4}},
		// Terms joined by AND bind to one span.
		{q: "service:shop status:failed", want: []byte{2}},
		{q: "service:pay status:failed", want: []byte{3}},
		{q: "service:pay AND status:failed", want: []byte{3}},
		{q: "service:shop name:pay.charge", want: nil},
		// NOT is about the whole trace.
		{q: "-status:failed", want: []byte{5, 4, 1}},
		{q: "NOT status:failed", want: []byte{5, 4, 1}},
		{q: "service:shop -status:failed", want: []byte{5, 1}},
		{q: "service:shop -(-name:pay.charge)", want: []byte{2}},
		{q: "service:pay -(-status:failed)", want: []byte{3, 2}},
		{q: "-app:shop", want: []byte{4, 3}},
		{q: "-(service:shop status:failed)", want: []byte{5, 4, 3, 1}},
		// Durations: a running span has none; a running root's is 0.
		{q: "duration>1s", want: []byte{4, 3}},
		{q: "duration>=2s", want: []byte{4}},
		{q: "duration<10ms", want: []byte{3}},
		{q: "duration<=10ms", want: []byte{5, 3}},
		{q: "duration:10ms", want: []byte{5}},
		{q: "root.duration>1s", want: []byte{3}},
		{q: "root.duration<100ms", want: []byte{5, 4, 1}},
		{q: "duration>100ms duration<1s", want: []byte{2}},
		// Counts of the trace's spans.
		{q: "errors>0", want: []byte{3, 2}},
		{q: "errors:0", want: []byte{5, 4, 1}},
		{q: "spans>=3", want: []byte{2}},
		{q: "spans:1", want: []byte{5}},
		{q: "errors>=1 service:pay", want: []byte{3, 2}},
		{q: "name:db.query OR spans:1", want: []byte{5, 2, 1}},
		{q: "-(errors<2 status:succeeded)", want: []byte{2}},
		// Tags of the process that sent each span.
		{q: "tag.version:1.4.2", want: []byte{5, 2, 1}},
		{q: "tag.version:~2.0", want: []byte{3, 2}},
		{q: "tag.env:prod status:failed", want: []byte{2}},
		{q: "tag.env:prod name:pay.charge", want: nil},
		{q: "tag.nothing:x", want: nil},
		// Errors of failed spans.
		{q: "error:~timeout", want: []byte{2}},
		{q: "error:~TimeOut", want: []byte{2}},
		{q: `error:"card declined"`, want: []byte{3}},
		{q: "error:~boom", want: []byte{2}},
		{q: "error.type:*pay.Error", want: []byte{3}},
		{q: "error:~declined service:shop", want: nil},
		// OR, parentheses, trace terms beside span terms.
		{q: "name:pay.charge OR name:main.work", want: []byte{4, 3, 2}},
		{q: "(service:pay OR service:demo) status:succeeded", want: []byte{4, 3, 2}},
		{q: "app:shop OR duration>1s", want: []byte{5, 4, 3, 2, 1}},
		{q: "name:db.query OR root.duration>1s", want: []byte{3, 2, 1}},
		{q: "app:shop name:db.query", want: []byte{2, 1}},
		{q: "app:shop root.status:succeeded", want: []byte{5, 1}},
		{q: "(app:shop OR app:pay) -status:failed duration<100ms", want: []byte{5, 1}},
		// With the other filters.
		{q: "status:failed", tq: store.TraceQuery{Until: t0.Add(2 * time.Second)}, want: []byte{2}},
		{q: "", tq: store.TraceQuery{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}, want: []byte{3, 2}},
		{q: "service:shop", tq: store.TraceQuery{Status: spantree.StatusSucceeded}, want: []byte{5, 1}},
		{q: "service:shop", tq: store.TraceQuery{Limit: 2}, want: []byte{5, 2}},
	}
	// An error group's traces, by its fingerprint.
	n := len(tests)
	for _, g := range groups(t, st, "ns") {
		switch g.Type {
		case "*net.OpError":
			tests = append(tests, queryCase{q: "fingerprint:" + g.Fingerprint, want: []byte{2}})
		case "*pay.Error":
			tests = append(tests, queryCase{q: "fingerprint:" + g.Fingerprint + " OR fingerprint:nothing", want: []byte{3}})
		}
	}
	if len(tests) != n+2 {
		t.Fatalf("%d error groups of the fixed traces' two errors", len(tests)-n)
	}
	for _, tt := range tests {
		e, err := query.Parse(tt.q)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", tt.q, err)
		}
		tq := tt.tq
		tq.Where = e
		var got []byte
		for _, s := range traces(t, st, "ns", tq) {
			got = append(got, s.TraceID.Payload()[15])
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Traces(q=%q, %+v) (-want +got):\n%s", tt.q, tt.tq, diff)
		}
	}
}

// testPages: cursor pagination walks the list newest first, ties in start
// broken by trace id, and a trace that arrives between two pages (newer
// than all) does not move the pages after it.
func testPages(t *testing.T, open Opener) {
	st := open(t)
	queryTraces(t, st)
	for n := byte(6); n <= 8; n++ { // three traces with the same start, older than all
		ingest(t, st, "ns", nil, sp(traceID(n), 1, 0, "tie", -1000, 1, spantree.StatusSucceeded))
	}
	var got [][]byte
	q := store.TraceQuery{Limit: 3}
	for page := 0; page < 5; page++ {
		list := traces(t, st, "ns", q)
		var ids []byte
		for _, s := range list {
			ids = append(ids, s.TraceID.Payload()[15])
		}
		got = append(got, ids)
		if len(list) < q.Limit {
			break
		}
		q.After = store.CursorAt(&list[len(list)-1])
		if page == 0 {
			ingest(t, st, "ns", nil, sp(traceID(9), 1, 0, "late", 9000, 1, spantree.StatusSucceeded))
		}
	}
	want := [][]byte{{5, 4, 3}, {2, 1, 8}, {7, 6}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages of 3 (-want +got):\n%s", diff)
	}
	e, _ := query.Parse("service:shop")
	list := traces(t, st, "ns", store.TraceQuery{Where: e, After: &store.Cursor{Start: t0.Add(4 * time.Second).UnixNano(), ID: traceID(5).Payload()}})
	if len(list) != 2 || list[0].TraceID.Payload()[15] != 2 {
		t.Errorf("Traces(service:shop after trace 5) = %d traces; want 2 and 1", len(list))
	}
}

// testServicePicker: the services of the search pickers, from the rollups: the
// finished calls of each service and span name (a running span has none).
func testServicePicker(t *testing.T, open Opener) {
	st := open(t)
	queryTraces(t, st)
	got, err := store.Services(context.Background(), st, "ns", t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Service{
		{Service: "shop", Count: 5, Failed: 2, Names: []store.Operation{
			{Name: "db.query", Count: 2, Failed: 1}, {Name: "shop.checkout", Count: 2, Failed: 1}, {Name: "shop.list items", Count: 1}}},
		{Service: "pay", Count: 3, Failed: 1, Names: []store.Operation{{Name: "pay.charge", Count: 2, Failed: 1}, {Name: "pay.refund", Count: 1}}},
		{Service: "demo", Count: 1, Names: []store.Operation{{Name: "main.work", Count: 1}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Services (-want +got):\n%s", diff)
	}
	if got, err := store.Services(context.Background(), st, "ns", t0.Add(time.Hour), t0.Add(2*time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("Services of an empty window = %+v, %v; want none", got, err)
	}
}
