package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Notification is what a target is told of an alert: its state, labels,
// times and reason, and a link to the receiver's page about it. A webhook
// gets it as its JSON body.
type Notification struct {
	Namespace string            `json:"namespace"`
	Rule      string            `json:"rule"`
	Kind      string            `json:"kind"`
	State     string            `json:"state"` // firing | resolved
	Labels    map[string]string `json:"labels"`
	Reason    string            `json:"reason"`
	StartsAt  time.Time         `json:"starts_at"`
	EndsAt    time.Time         `json:"ends_at,omitzero"`
	URL       string            `json:"url,omitempty"`

	key     string
	refresh bool // a repeat of a firing alert, for targets that forget
}

// Notifier is a target of notifications. Send returns nil once the target
// has the notification; an error wrapping [ErrPermanent] is not retried.
type Notifier interface {
	Name() string
	Send(ctx context.Context, n *Notification) error
}

// refresher is a Notifier that wants firing alerts posted again every
// Options.Resend (Alertmanager).
type refresher interface {
	Refresh() bool
}

// ErrPermanent marks a failure that sending again would not fix (the
// target answered 4xx).
var ErrPermanent = errors.New("refused by the target")

// Delivery bounds the deliveries to one target: Queue notifications wait
// at most (more are dropped); each is tried Attempts times, Timeout each,
// waiting Backoff after the first failure, doubling up to MaxBackoff, then
// dropped. The zero value takes the defaults.
type Delivery struct {
	Queue      int           // default 1024
	Attempts   int           // default 8
	Timeout    time.Duration // default 10s
	Backoff    time.Duration // default 1s
	MaxBackoff time.Duration // default 1m
}

func (d Delivery) withDefaults() Delivery {
	if d.Queue <= 0 {
		d.Queue = 1024
	}
	if d.Attempts <= 0 {
		d.Attempts = 8
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if d.Backoff <= 0 {
		d.Backoff = time.Second
	}
	if d.MaxBackoff < d.Backoff {
		d.MaxBackoff = max(d.Backoff, time.Minute)
	}
	return d
}

// queue delivers one target's notifications, in order, on a goroutine of
// its own; enqueue never blocks.
type queue struct {
	n      Notifier
	d      Delivery
	e      *Engine
	ch     chan *Notification
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newQueue(n Notifier, d Delivery, e *Engine) *queue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &queue{n: n, d: d, e: e, ch: make(chan *Notification, d.Queue), ctx: ctx, cancel: cancel}
	q.wg.Go(q.run)
	return q
}

// enqueue queues n, or drops and counts it when the queue is full.
func (q *queue) enqueue(n *Notification) {
	select {
	case q.ch <- n:
	default:
		q.e.metrics.dropped.WithLabelValues(q.n.Name(), "queue_full").Inc()
		q.e.log.Printf("spantree: alerts: %s: queue full, dropped the %s notification of %s", q.n.Name(), n.State, n.Rule)
	}
}

func (q *queue) stop() {
	q.cancel()
	q.wg.Wait()
}

func (q *queue) run() {
	for {
		select {
		case <-q.ctx.Done():
			return
		case n := <-q.ch:
			q.deliver(n)
		}
	}
}

// deliver tries n until it is sent, refused, out of attempts, or the queue
// stops (then the next engine sends it: see New).
func (q *queue) deliver(n *Notification) {
	name := q.n.Name()
	wait := q.d.Backoff
	for attempt := 1; ; attempt++ {
		// An attempt under way when the queue stops is finished (within
		// Timeout), so that an answer the target gave is recorded.
		ctx, cancel := context.WithTimeout(context.Background(), q.d.Timeout)
		err := q.n.Send(ctx, n)
		cancel()
		if err == nil {
			q.e.metrics.sent.WithLabelValues(name).Inc()
			q.e.delivered(name, n)
			return
		}
		if q.ctx.Err() != nil {
			return
		}
		q.e.metrics.failed.WithLabelValues(name).Inc()
		switch {
		case errors.Is(err, ErrPermanent):
			q.e.metrics.dropped.WithLabelValues(name, "refused").Inc()
			q.e.log.Printf("spantree: alerts: %s: dropped the %s notification of %s: %v", name, n.State, n.Rule, err)
			return
		case attempt >= q.d.Attempts:
			q.e.metrics.dropped.WithLabelValues(name, "retries").Inc()
			q.e.log.Printf("spantree: alerts: %s: dropped the %s notification of %s after %d attempts: %v", name, n.State, n.Rule, attempt, err)
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-q.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, q.d.MaxBackoff)
	}
}

// post sends body to u and reads the answer: nil for 2xx, ErrPermanent for
// 4xx other than 408 and 429.
func post(ctx context.Context, c *http.Client, u string, body []byte, hdr http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "spantree-alerts")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests:
		return fmt.Errorf("%w: %s: %s", ErrPermanent, resp.Status, strings.TrimSpace(string(msg)))
	default:
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
}

// Webhook posts each notification as JSON to a URL. With a secret, the
// request carries X-Spantree-Signature: sha256=<hex HMAC-SHA256 of the
// body keyed by the secret>.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client // default http.DefaultClient
}

var _ Notifier = (*Webhook)(nil)

// Name is "webhook " and the URL without its query (which may hold a token).
func (w *Webhook) Name() string { return "webhook " + redact(w.URL) }

// Send posts n.
func (w *Webhook) Send(ctx context.Context, n *Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	hdr := http.Header{}
	if len(w.Secret) > 0 {
		hdr.Set("X-Spantree-Signature", Sign(w.Secret, body))
	}
	return post(ctx, client(w.Client), w.URL, body, hdr)
}

// Sign returns the X-Spantree-Signature of body: "sha256=" and the hex
// HMAC-SHA256 of body keyed by secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Alertmanager posts alerts to a Prometheus Alertmanager's v2 API
// (POST /api/v2/alerts). A firing alert is posted without endsAt and
// posted again every Options.Resend, as Alertmanager drops an alert it
// has not heard of for its resolve_timeout; a resolution is the same labels
// with endsAt.
type Alertmanager struct {
	URL    string // the base, http://host:9093
	Client *http.Client
}

var _ Notifier = (*Alertmanager)(nil)

// Name is "alertmanager " and the URL.
func (a *Alertmanager) Name() string { return "alertmanager " + redact(a.URL) }

// Refresh is true: Alertmanager forgets alerts that are not posted again.
func (a *Alertmanager) Refresh() bool { return true }

// amAlert is one alert of Alertmanager's v2 API.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Send posts n.
func (a *Alertmanager) Send(ctx context.Context, n *Notification) error {
	al := amAlert{Labels: n.Labels, Annotations: map[string]string{"summary": n.Reason}, StartsAt: n.StartsAt, GeneratorURL: n.URL}
	if n.State == StateResolved {
		al.EndsAt = n.EndsAt
	}
	body, err := json.Marshal([]amAlert{al})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	return post(ctx, client(a.Client), strings.TrimSuffix(a.URL, "/")+"/api/v2/alerts", body, nil)
}

func client(c *http.Client) *http.Client {
	if c == nil {
		return http.DefaultClient
	}
	return c
}

// redact drops a URL's user info and query, which may hold secrets.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(bad URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
