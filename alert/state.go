package alert

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spantree/spantree/store"
)

// saveTimeout bounds one save of the engine's state to the store.
const saveTimeout = 10 * time.Second

// recordID names an [store.AlertRecord] without its body.
type recordID struct{ ns, kind, key string }

// syncLocked takes the rules set through the API from recs, the store's
// records, and, when alerts, the alerts too, replacing what the engine
// held of them; e.mu is held. An engine that evaluates keeps its own
// alerts (it is their only writer); one that stands by takes the
// evaluating engine's.
func (e *Engine) syncLocked(recs []store.AlertRecord, alerts bool) error {
	api := map[string]map[string]*Rule{}
	saved := map[recordID]string{}
	for id, body := range e.saved {
		if !alerts && id.kind == store.AlertRecordAlert {
			saved[id] = body
		}
	}
	var got map[string]*Alert
	if alerts {
		got = map[string]*Alert{}
	}
	for _, rec := range recs {
		switch rec.Kind {
		case store.AlertRecordRule:
			r, err := ParseRule(rec.Body, fmt.Sprintf("rules[%q][%q].", rec.Namespace, rec.Key), "")
			if err != nil {
				return fmt.Errorf("alert state: %w", err)
			}
			r.Source = SourceAPI
			if api[rec.Namespace] == nil {
				api[rec.Namespace] = map[string]*Rule{}
			}
			api[rec.Namespace][r.ID] = r
		case store.AlertRecordAlert:
			if !alerts {
				continue
			}
			a := &Alert{}
			if err := json.Unmarshal(rec.Body, a); err != nil {
				return fmt.Errorf("alert state: alert %q of %s: %w", rec.Key, rec.Namespace, err)
			}
			a.key = rec.Key
			got[a.key] = a
		default:
			continue // a heartbeat (lease.go), or a kind a newer receiver wrote
		}
		saved[recordID{rec.Namespace, rec.Kind, rec.Key}] = string(rec.Body)
	}
	e.api, e.saved = api, saved
	if alerts {
		e.alerts = got
	}
	return nil
}

// saveLocked writes to the store what changed of the engine's state since
// the last save; e.mu is held.
func (e *Engine) saveLocked() error {
	now := map[recordID]string{}
	for ns, rules := range e.api {
		for id, r := range rules {
			c := *r
			c.Source = ""
			b, err := json.Marshal(&c)
			if err != nil {
				return fmt.Errorf("alert state: %w", err)
			}
			now[recordID{ns, store.AlertRecordRule, id}] = string(b)
		}
	}
	for key, a := range e.alerts {
		b, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("alert state: %w", err)
		}
		now[recordID{a.Namespace, store.AlertRecordAlert, key}] = string(b)
	}
	var put, del []store.AlertRecord
	for _, id := range slices.SortedFunc(maps.Keys(now), compareIDs) {
		if body, ok := e.saved[id]; !ok || body != now[id] {
			put = append(put, store.AlertRecord{Namespace: id.ns, Kind: id.kind, Key: id.key, Body: []byte(now[id])})
		}
	}
	for _, id := range slices.SortedFunc(maps.Keys(e.saved), compareIDs) {
		if _, ok := now[id]; !ok {
			del = append(del, store.AlertRecord{Namespace: id.ns, Kind: id.kind, Key: id.key})
		}
	}
	if len(put) == 0 && len(del) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	defer cancel()
	if err := e.st.SaveAlertRecords(ctx, put, del); err != nil {
		return fmt.Errorf("alert state: %w", err)
	}
	e.saved = now
	return nil
}

func compareIDs(a, b recordID) int {
	return cmp.Or(strings.Compare(a.ns, b.ns), strings.Compare(a.kind, b.kind), strings.Compare(a.key, b.key))
}
