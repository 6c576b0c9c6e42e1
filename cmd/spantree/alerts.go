package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spantree/spantree/alert"
	"github.com/spantree/spantree/store"
)

// webhookSecretEnv holds the secret that signs webhook bodies: kept off the
// command line, where other users of the machine could read it.
const webhookSecretEnv = "SPANTREE_WEBHOOK_SECRET"

// alertFlags are serve's alerting flags.
type alertFlags struct {
	on            bool
	rules         string
	interval      time.Duration
	webhooks      urlList
	alertmanagers urlList

	parsed []*alert.Rule // the rules of the file, from readRules
}

func addAlertFlags(fs *flag.FlagSet) *alertFlags {
	f := &alertFlags{}
	fs.BoolVar(&f.on, "alerts", true, "run the alert engine and its routes (/v1/alerts); of several receivers on one database, one engine evaluates at a time")
	fs.StringVar(&f.rules, "alert-rules", "", "alert rules from the JSON `FILE` {\"rules\":[...]} (docs/receiver.md#alerts); more can be set through the API")
	fs.DurationVar(&f.interval, "alert-interval", 15*time.Second, "evaluate the alert rules every `INTERVAL`")
	fs.Var(&f.webhooks, "alert-webhook", "post each alert's firing and resolution as JSON to `URL`, signed with $"+webhookSecretEnv+" when set (repeatable)")
	fs.Var(&f.alertmanagers, "alertmanager", "send alerts to the Alertmanager at `URL` (http://host:9093, its v2 API; repeatable)")
	return f
}

// check reports a bad value of the flags, for an exit 2.
func (f *alertFlags) check() error {
	if !f.on && (f.rules != "" || len(f.webhooks)+len(f.alertmanagers) > 0) {
		return errors.New("-alerts=false with -alert-rules, -alert-webhook or -alertmanager: the alerts would never be evaluated")
	}
	if f.interval < time.Second {
		return fmt.Errorf("-alert-interval %v: want 1s or more", f.interval)
	}
	return nil
}

// readRules reads the rules file, if any: before the store is opened, so
// that a bad file touches nothing.
func (f *alertFlags) readRules() error {
	if f.rules == "" {
		return nil
	}
	b, err := os.ReadFile(f.rules)
	if err != nil {
		return fmt.Errorf("alert rules: %w", err)
	}
	f.parsed, err = alert.ParseFile(b)
	if err != nil {
		return fmt.Errorf("alert rules %s: %w", f.rules, err)
	}
	return nil
}

// start starts the alert engine over st with the rules of readRules,
// evaluating every f.interval until ctx ends, and returns it (nil with
// -alerts=false) and a function that waits for the evaluations to end and
// stops the deliveries. base is the receiver's address for the links in
// notifications.
func (f *alertFlags) start(ctx context.Context, st store.Store, base string, logger *log.Logger, stderr io.Writer) (*alert.Engine, func(), error) {
	if !f.on {
		return nil, func() {}, nil
	}
	en, err := f.engine(st, base, logger)
	if err != nil {
		return nil, nil, err
	}
	// Evaluation runs beside ingest, reading the store's analyses; the
	// deliveries have goroutines of their own (see package alert).
	evaluated := make(chan struct{})
	go func() {
		defer close(evaluated)
		en.Run(ctx, f.interval)
	}()
	if len(f.webhooks)+len(f.alertmanagers) > 0 || f.rules != "" {
		fmt.Fprintf(stderr, "spantree serve: alerts: %d rules from %q, %d webhooks, %d Alertmanagers, evaluated every %v\n",
			len(f.parsed), f.rules, len(f.webhooks), len(f.alertmanagers), f.interval)
	}
	return en, func() {
		<-evaluated
		en.Close()
	}, nil
}

// engine makes the alert engine.
func (f *alertFlags) engine(st store.Store, base string, logger *log.Logger) (*alert.Engine, error) {
	var targets []alert.Notifier
	secret := []byte(os.Getenv(webhookSecretEnv))
	for _, u := range f.webhooks {
		targets = append(targets, &alert.Webhook{URL: u, Secret: secret})
	}
	for _, u := range f.alertmanagers {
		targets = append(targets, &alert.Alertmanager{URL: u})
	}
	// Three evaluations without a heartbeat and another receiver's engine
	// takes over (alert.DefaultLease for the default interval).
	lease := max(3*f.interval, alert.DefaultLease)
	en, err := alert.New(alert.Options{Store: st, Rules: f.parsed, Targets: targets, BaseURL: base, Log: logger, Lease: lease})
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return en, nil
}

// urlList collects a repeated flag of http(s) URLs.
type urlList []string

func (l *urlList) String() string { return strings.Join(*l, ",") }

func (l *urlList) Set(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http:// or https:// URL")
	}
	*l = append(*l, v)
	return nil
}
