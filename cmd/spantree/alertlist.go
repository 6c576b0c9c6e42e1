package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spantree/spantree/alert"
	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/internal/termtext"
)

const alertsArgs = "[-addr URL -key KEY | -db PATH [-ns NS]] [-rules]"

// alerts lists the namespace's alerts (GET /v1/alerts), firing first; with
// -rules, the rules instead. With -db it reads what the database holds, as
// the receiver that evaluates last saved it. It exits 1 while an alert
// fires, like health at ALERT.
func alerts(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("alerts", alertsArgs, stderr)
	var t client.Target
	t.Flags(fs)
	rules := fs.Bool("rules", false, "list the rules (their source: the rules file or the API) instead of the alerts")
	if code := parse(fs, args, 0, 0); code >= 0 {
		return code
	}
	ctx := context.Background()
	c, release, code := openTarget(ctx, "alerts", &t, stderr)
	if code >= 0 {
		return code
	}
	defer release()
	if *rules {
		list, err := c.AlertRules(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "spantree alerts: %s\n", termtext.Escape(err.Error()))
			return 1
		}
		writeRules(stdout, list)
		return 0
	}
	list, err := c.Alerts(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "spantree alerts: %s\n", termtext.Escape(err.Error()))
		return 1
	}
	writeAlerts(stdout, list, time.Now())
	for _, a := range list {
		if a.State == alert.StateFiring {
			return 1
		}
	}
	return 0
}

// writeAlerts prints one line per alert: its state, rule, what it is about
// (its labels but those every alert has), since when, and why.
func writeAlerts(w io.Writer, list []alert.Alert, now time.Time) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no alerts")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tRULE\tABOUT\tSINCE\tREASON")
	for _, a := range list {
		since := a.Since()
		when := "-"
		if !since.IsZero() {
			when = since.UTC().Format("2006-01-02 15:04:05") + " (" + now.Sub(since).Round(time.Second).String() + " ago)"
		}
		if a.State == alert.StateResolved && !a.EndsAt.IsZero() {
			when += ", resolved " + a.EndsAt.UTC().Format("15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.State, termtext.Escape(a.Rule), termtext.Escape(dashIfEmpty(a.About())), when, termtext.Escape(a.Reason))
	}
	tw.Flush()
}

// writeRules prints one line per rule.
func writeRules(w io.Writer, list []alert.Rule) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no rules")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tAPP\tNAME\tTHRESHOLD\tWINDOW\tFOR\tSOURCE")
	dash := func(s string) string { return termtext.Escape(dashIfEmpty(s)) }
	dur := func(d alert.Duration) string {
		if d == 0 {
			return "-"
		}
		return time.Duration(d).String()
	}
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", dash(r.ID), dash(r.Kind), dash(r.App), dash(r.Name),
			dash(string(r.Threshold)), dur(r.Window), dur(r.For), dash(r.Source))
	}
	tw.Flush()
}

// dashIfEmpty is s, or "-" for an empty column.
func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
