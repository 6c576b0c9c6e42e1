package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/store"
)

// testAlertRecords: the alert engine's records are kept per namespace, kind
// and key, a save replaces and deletes in one go, a deleted record can be
// saved again, and the body comes back byte for byte.
func testAlertRecords(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	read := func(when string, want []store.AlertRecord) {
		t.Helper()
		got, err := st.AlertRecords(ctx)
		if err != nil {
			t.Fatalf("%s: AlertRecords: %v", when, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: AlertRecords (-want +got):\n%s", when, diff)
		}
	}
	save := func(when string, put, del []store.AlertRecord) {
		t.Helper()
		if err := st.SaveAlertRecords(ctx, put, del); err != nil {
			t.Fatalf("%s: SaveAlertRecords: %v", when, err)
		}
	}
	rec := func(ns, kind, key, body string) store.AlertRecord {
		return store.AlertRecord{Namespace: ns, Kind: kind, Key: key, Body: []byte(body)}
	}
	read("empty", nil)

	ruleA := rec("acme", store.AlertRecordRule, "slow", `{"id":"slow","kind":"p95"}`)
	ruleB := rec("beta", store.AlertRecordRule, "slow", `{"id":"slow","kind":"status"}`)
	firing := rec("acme", store.AlertRecordAlert, "acme\x00slow\x00app=shop", `{"state":"firing","sent":{"hook":"firing"}}`)
	other := rec("acme", store.AlertRecordAlert, "acme\x00slow\x00app=web", `{"state":"pending"}`)
	save("first", []store.AlertRecord{ruleB, firing, ruleA, other}, nil)
	read("first", []store.AlertRecord{firing, other, ruleA, ruleB})

	resolved := rec("acme", store.AlertRecordAlert, "acme\x00slow\x00app=shop", `{"state":"resolved","sent":{"hook":"resolved"}}`)
	save("replace and delete", []store.AlertRecord{resolved}, []store.AlertRecord{{Namespace: "acme", Kind: store.AlertRecordAlert, Key: other.Key}, {Namespace: "beta", Kind: store.AlertRecordRule, Key: "slow"}})
	read("replace and delete", []store.AlertRecord{resolved, ruleA})

	save("nothing", nil, nil)
	save("deleted, saved again", []store.AlertRecord{ruleB}, []store.AlertRecord{{Namespace: "nowhere", Kind: store.AlertRecordRule, Key: "none"}})
	read("deleted, saved again", []store.AlertRecord{resolved, ruleA, ruleB})
}
