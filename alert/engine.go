package alert

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spantree/spantree/store"
)

// States of an [Alert].
const (
	StatePending  = "pending"  // found, waiting for the rule's "for"
	StateFiring   = "firing"   // notified as firing
	StateResolved = "resolved" // no longer found; notified as resolved
)

// keepResolved is how long a resolved alert stays listed (GET /v1/alerts)
// once every target has been told.
const keepResolved = time.Hour

// Alert is one thing a rule found: GET /v1/alerts.
type Alert struct {
	Namespace string            `json:"namespace"`
	Rule      string            `json:"rule"`
	Kind      string            `json:"kind"`
	Labels    map[string]string `json:"labels"`
	State     string            `json:"state"`
	Reason    string            `json:"reason"`
	// ActiveSince is when the rule first found it, StartsAt when it fired
	// and EndsAt when it resolved.
	ActiveSince time.Time `json:"active_since"`
	StartsAt    time.Time `json:"starts_at,omitzero"`
	EndsAt      time.Time `json:"ends_at,omitzero"`
	URL         string    `json:"url,omitempty"`
	// Sent is, per target, the last state the target acknowledged for
	// this firing (the one that started at StartsAt): what a restart
	// must not send again.
	Sent map[string]string `json:"sent,omitempty"`

	key string
}

// Options configure an [Engine]. Store is required: besides the analyses
// the rules read, it keeps the engine's state (the rules set through the
// API, every alert and what each target acknowledged of it), so that a
// restart sends no notification twice.
type Options struct {
	Store store.Store
	// Rules are the rules of the rules file; they cannot be changed
	// through the API.
	Rules []*Rule
	// Targets get every firing and resolution.
	Targets []Notifier
	// BaseURL is the receiver's address as its users reach it
	// (http://host:port), for the links in notifications.
	BaseURL string
	// Queue bounds, Retry shapes the deliveries (see [Delivery]).
	Delivery Delivery
	// Resend is how often firing alerts are posted again to targets that
	// want it (Alertmanager forgets an alert it has not heard of for its
	// resolve_timeout, 5m by default): default 1m.
	Resend time.Duration
	// Log receives delivery and evaluation errors (default log.Default()).
	Log *log.Logger
	// Lease is how long an engine's heartbeat keeps it in the running
	// when several share the store (see lease.go); default DefaultLease.
	// It must be longer than the interval between evaluations.
	Lease time.Duration
}

// Engine evaluates rules and sends their alerts. Its methods are safe for
// concurrent use; [Engine.Close] stops its deliveries.
type Engine struct {
	st      store.Store
	opts    Options
	log     *log.Logger
	metrics *metrics

	evalMu sync.Mutex // one evaluation at a time

	mu       sync.Mutex
	file     []*Rule
	api      map[string]map[string]*Rule // namespace -> id -> rule
	alerts   map[string]*Alert
	saved    map[recordID]string // what the store has, by record
	targets  []*queue
	lastSend time.Time
	id       string // this engine's, among those sharing the store
	leading  bool   // it evaluated at its last evaluation (lease.go)
	readOnly bool   // from Stored
}

// ErrFileRule is an API change to a rule of the rules file.
var ErrFileRule = errors.New("rule comes from the rules file; change it there")

// New starts an engine: it loads its state from the store (rules set
// through the API, alerts and what was sent of them), starts the delivery queues, and
// queues what the targets were not told before the last stop.
func New(opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, errors.New("alert: no store")
	}
	if opts.Resend <= 0 {
		opts.Resend = time.Minute
	}
	if opts.Log == nil {
		opts.Log = log.Default()
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	opts.Delivery = opts.Delivery.withDefaults()
	e := &Engine{st: opts.Store, opts: opts, log: opts.Log, file: opts.Rules, api: map[string]map[string]*Rule{},
		alerts: map[string]*Alert{}, saved: map[recordID]string{}, id: newEngineID()}
	e.metrics = newMetrics(e)
	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	defer cancel()
	recs, lead, _, err := e.elect(ctx, time.Now(), false)
	if err != nil {
		return nil, err
	}
	e.leading = lead
	if err := e.syncLocked(recs, true); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, n := range opts.Targets {
		if names[n.Name()] {
			return nil, fmt.Errorf("alert: two targets named %s", n.Name())
		}
		names[n.Name()] = true
		e.targets = append(e.targets, newQueue(n, opts.Delivery, e))
	}
	// What was decided before a stop but not acknowledged, unless
	// another engine on the store evaluates.
	e.mu.Lock()
	if e.leading {
		e.takeOverLocked()
	}
	e.mu.Unlock()
	return e, nil
}

// Close stops the deliveries; what they had not sent is sent by the next
// engine on the same store.
func (e *Engine) Close() error {
	for _, q := range e.targets {
		q.stop()
	}
	if err := e.forget(); err != nil {
		return fmt.Errorf("alert: %w", err)
	}
	return nil
}

// Run evaluates the rules every interval until ctx ends.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := e.Evaluate(ctx, time.Now()); err != nil && ctx.Err() == nil {
			e.log.Printf("spantree: alerts: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Rules returns the rules that apply to namespace, sorted by id.
func (e *Engine) Rules(namespace string) []*Rule {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rulesOf(namespace)
}

func (e *Engine) rulesOf(namespace string) []*Rule {
	var out []*Rule
	for _, r := range e.file {
		if r.Namespace == "" || r.Namespace == namespace {
			out = append(out, r)
		}
	}
	for _, r := range e.api[namespace] {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (e *Engine) fileRule(namespace, id string) bool {
	for _, r := range e.file {
		if r.ID == id && (r.Namespace == "" || r.Namespace == namespace) {
			return true
		}
	}
	return false
}

// SetRule adds or replaces a rule of namespace (from [ParseRule]) and keeps
// it in the store. A rule of the rules file is [ErrFileRule].
func (e *Engine) SetRule(namespace string, r *Rule) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.readOnly {
		return ErrReadOnly
	}
	if e.fileRule(namespace, r.ID) {
		return ErrFileRule
	}
	c := *r
	c.Namespace, c.Source = "", SourceAPI
	if e.api[namespace] == nil {
		e.api[namespace] = map[string]*Rule{}
	}
	old := e.api[namespace][r.ID]
	e.api[namespace][r.ID] = &c
	if err := e.saveLocked(); err != nil {
		if old != nil {
			e.api[namespace][r.ID] = old
		} else {
			delete(e.api[namespace], r.ID)
		}
		return err
	}
	return nil
}

// DeleteRule removes a rule of namespace: store.ErrNotFound when there is
// none, ErrFileRule for a rule of the rules file. Its alerts resolve at the
// next evaluation.
func (e *Engine) DeleteRule(namespace, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.readOnly {
		return ErrReadOnly
	}
	if e.fileRule(namespace, id) {
		return ErrFileRule
	}
	old := e.api[namespace][id]
	if old == nil {
		return store.ErrNotFound
	}
	delete(e.api[namespace], id)
	if err := e.saveLocked(); err != nil {
		e.api[namespace][id] = old
		return err
	}
	return nil
}

// Alerts returns the alerts of namespace (pending, firing, and resolved
// in the last hour), firing first, then by rule and labels.
func (e *Engine) Alerts(namespace string) []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Alert
	for _, a := range e.sortedAlerts() {
		if a.Namespace == namespace {
			c := *a
			c.Labels = maps.Clone(a.Labels)
			c.Sent = maps.Clone(a.Sent)
			out = append(out, c)
		}
	}
	rank := map[string]int{StateFiring: 0, StatePending: 1, StateResolved: 2}
	slices.SortStableFunc(out, func(a, b Alert) int { return rank[a.State] - rank[b.State] })
	return out
}

func (e *Engine) sortedAlerts() []*Alert {
	keys := slices.Sorted(maps.Keys(e.alerts))
	out := make([]*Alert, len(keys))
	for i, k := range keys {
		out[i] = e.alerts[k]
	}
	return out
}

// Since is when a's state began, for a viewer: the firing's start, or,
// while it is pending (or never fired), when its condition began.
func (a *Alert) Since() time.Time {
	if a.State == StatePending || a.StartsAt.IsZero() {
		return a.ActiveSince
	}
	return a.StartsAt
}

// About is what a found, as its own labels, k=v sorted by key (app=shop
// name=shop.charge): those every alert carries (alertname, namespace,
// kind) left out.
func (a *Alert) About() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		switch k {
		case "alertname", "namespace", "kind":
			continue
		}
		parts = append(parts, k+"="+a.Labels[k])
	}
	return strings.Join(parts, " ")
}

// notification is what a target gets of a.
func (a *Alert) notification(refresh bool) *Notification {
	return &Notification{
		Namespace: a.Namespace, Rule: a.Rule, Kind: a.Kind, State: a.State,
		Labels: maps.Clone(a.Labels), Reason: a.Reason,
		StartsAt: a.StartsAt, EndsAt: a.EndsAt, URL: a.URL,
		key: a.key, refresh: refresh,
	}
}

// delivered records that target acknowledged n.
func (e *Engine) delivered(target string, n *Notification) {
	if n.refresh {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.alerts[n.key]
	if a == nil || !a.StartsAt.Equal(n.StartsAt) {
		return // a later firing of the same alert, or forgotten
	}
	if a.Sent == nil {
		a.Sent = map[string]string{}
	}
	a.Sent[target] = n.State
	if err := e.saveLocked(); err != nil {
		e.log.Printf("spantree: alerts: %v", err)
	}
}
