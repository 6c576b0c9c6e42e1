package main

import (
	"errors"
	"flag"
	"fmt"
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
	rules         string
	interval      time.Duration
	webhooks      urlList
	alertmanagers urlList

	parsed []*alert.Rule // the rules of the file, from readRules
}

func addAlertFlags(fs *flag.FlagSet) *alertFlags {
	f := &alertFlags{}
	fs.StringVar(&f.rules, "alert-rules", "", "alert rules from the JSON `FILE` {\"rules\":[...]} (docs/receiver.md#alerts); more can be set through the API")
	fs.DurationVar(&f.interval, "alert-interval", 15*time.Second, "evaluate the alert rules every `INTERVAL`")
	fs.Var(&f.webhooks, "alert-webhook", "post each alert's firing and resolution as JSON to `URL`, signed with $"+webhookSecretEnv+" when set (repeatable)")
	fs.Var(&f.alertmanagers, "alertmanager", "send alerts to the Alertmanager at `URL` (http://host:9093, its v2 API; repeatable)")
	return f
}

// check reports a bad value of the flags, for an exit 2.
func (f *alertFlags) check() error {
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

// engine starts the alert engine over st with the rules of readRules; base
// is the receiver's address for the links in notifications.
func (f *alertFlags) engine(st store.Store, base string, logger *log.Logger) (*alert.Engine, error) {
	var targets []alert.Notifier
	secret := []byte(os.Getenv(webhookSecretEnv))
	for _, u := range f.webhooks {
		targets = append(targets, &alert.Webhook{URL: u, Secret: secret})
	}
	for _, u := range f.alertmanagers {
		targets = append(targets, &alert.Alertmanager{URL: u})
	}
	en, err := alert.New(alert.Options{Store: st, Rules: f.parsed, Targets: targets, BaseURL: base, Log: logger})
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
