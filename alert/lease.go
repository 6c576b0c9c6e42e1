package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spantree/spantree/store"
)

// Several receivers may share one store (one SQLite file, or a ClickHouse
// cluster behind many receivers), each with an engine: one of them
// evaluates the rules and notifies, the others stand by, so that an alert
// is sent once however many receivers run. Each engine writes a heartbeat
// record at every evaluation, saying whether it evaluates. The engine that
// evaluates goes on doing so while its heartbeat is younger than
// Options.Lease: a new engine does not take over from a live one. When none
// does (the first to start, or the one that evaluated stopped), the one with
// the smallest id among the live ones takes over, and says so at once. An
// engine that stops cleanly deletes its heartbeat, and another takes over
// at its next evaluation; one that dies leaves it to age out, after at most
// a lease. Stores without transactions (ClickHouse) make this eventually
// consistent: two engines may both evaluate until each has seen the other's
// heartbeat, one interval (then the smaller id goes on), and what the
// targets already acknowledged is not sent again (Alert.Sent).
//
// An engine that stands by takes the rules and alerts from the store at
// each of its evaluations, so that its API shows what the evaluating engine
// decided and a rule set through any receiver reaches them all; the
// evaluating engine takes the rules every time, and the alerts once, when
// it takes over.

// DefaultLease is how long a heartbeat keeps its engine in the running
// (Options.Lease): three of spantree serve's default 15s evaluations.
const DefaultLease = 45 * time.Second

// heartbeat is the body of an engine's [store.AlertRecordEngine] record.
type heartbeat struct {
	At      time.Time `json:"at"`
	Leading bool      `json:"leading,omitempty"` // the engine evaluates
	Host    string    `json:"host,omitempty"`
	PID     int       `json:"pid,omitempty"`
}

// newEngineID returns a random id for an engine.
func newEngineID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("alert: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b[:])
}

// beat writes e's heartbeat at now, saying whether it evaluates.
func (e *Engine) beat(ctx context.Context, now time.Time, leading bool) error {
	host, _ := os.Hostname()
	body, err := json.Marshal(heartbeat{At: now.UTC(), Leading: leading, Host: host, PID: os.Getpid()})
	if err != nil {
		return fmt.Errorf("alert heartbeat: %w", err)
	}
	rec := store.AlertRecord{Kind: store.AlertRecordEngine, Key: e.id, Body: body}
	if err := e.st.SaveAlertRecords(ctx, []store.AlertRecord{rec}, nil); err != nil {
		return fmt.Errorf("alert heartbeat: %w", err)
	}
	return nil
}

// elect writes e's heartbeat at now and reads the store's records back (its
// state and every engine's heartbeat): it returns them, whether e
// evaluates, and the heartbeats that aged out long ago (ten leases), for
// the evaluating engine to delete. An engine that starts to evaluate says
// so in a second heartbeat at once, so that no other takes over meanwhile.
func (e *Engine) elect(ctx context.Context, now time.Time, was bool) ([]store.AlertRecord, bool, []store.AlertRecord, error) {
	if err := e.beat(ctx, now, was); err != nil {
		return nil, false, nil, err
	}
	recs, err := e.st.AlertRecords(ctx)
	if err != nil {
		return nil, false, nil, fmt.Errorf("alert state: %w", err)
	}
	lead, stale := e.leads(recs, now)
	if lead && !was {
		if err := e.beat(ctx, now, true); err != nil {
			return nil, false, nil, err
		}
	}
	return recs, lead, stale, nil
}

// leads reports whether e evaluates, from the heartbeats in recs at now:
// the live engine that says it evaluates (the smallest id, if several
// do), or else the live engine of the smallest id. It also returns the
// heartbeats that aged out long ago.
func (e *Engine) leads(recs []store.AlertRecord, now time.Time) (bool, []store.AlertRecord) {
	var live, claim []string
	var stale []store.AlertRecord
	for _, rec := range recs {
		if rec.Kind != store.AlertRecordEngine {
			continue
		}
		var hb heartbeat
		if err := json.Unmarshal(rec.Body, &hb); err != nil {
			stale = append(stale, store.AlertRecord{Kind: rec.Kind, Key: rec.Key})
			continue
		}
		switch age := now.Sub(hb.At); {
		case rec.Key == e.id || age < e.opts.Lease:
			live = append(live, rec.Key)
			if hb.Leading {
				claim = append(claim, rec.Key)
			}
		case age > 10*e.opts.Lease:
			stale = append(stale, store.AlertRecord{Kind: rec.Kind, Key: rec.Key})
		}
	}
	if !slices.Contains(live, e.id) {
		live = append(live, e.id) // a store that does not read its own writes at once
	}
	if len(claim) > 0 {
		return slices.Min(claim) == e.id, stale
	}
	return slices.Min(live) == e.id, stale
}

// Leading reports whether e evaluated the rules at its last evaluation
// (or, before the first, at New): false while another engine on the same
// store does.
func (e *Engine) Leading() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading
}

// takeOverLocked is what an engine does when it starts to evaluate: it
// queues what the targets were not told of the alerts it took over (a
// previous engine stopped, or died, before they acknowledged); e.mu is
// held.
func (e *Engine) takeOverLocked() {
	for _, a := range e.sortedAlerts() {
		if a.State == StatePending {
			continue
		}
		for _, q := range e.targets {
			if a.Sent[q.n.Name()] != a.State {
				q.enqueue(a.notification(false))
			}
		}
	}
}

// forget deletes e's heartbeat, so that another engine takes over at once.
func (e *Engine) forget() error {
	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	defer cancel()
	return e.st.SaveAlertRecords(ctx, nil, []store.AlertRecord{{Kind: store.AlertRecordEngine, Key: e.id}})
}

// ErrReadOnly is a change to the rules of an engine from [Stored].
var ErrReadOnly = errors.New("alert: the alert state read from the database cannot be changed here; change the rules through a running receiver (spantree serve)")

// Stored returns the alert state that st holds, as the evaluating engine
// last saved it: the rules set through the API (those of a rules file are
// the running receiver's, not stored) and the alerts, with what each target
// acknowledged. It only reads: the engine it returns evaluates nothing,
// writes no heartbeat and refuses rule changes with [ErrReadOnly]. It is
// for reading a database in place (spantree alerts -db).
func Stored(ctx context.Context, st store.Store) (*Engine, error) {
	recs, err := st.AlertRecords(ctx)
	if err != nil {
		return nil, fmt.Errorf("alert state: %w", err)
	}
	e := &Engine{st: st, api: map[string]map[string]*Rule{}, alerts: map[string]*Alert{}, saved: map[recordID]string{}, readOnly: true}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.syncLocked(recs, true); err != nil {
		return nil, err
	}
	return e, nil
}
