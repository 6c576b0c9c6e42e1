package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/internal/termtext"
	"github.com/spantree/spantree/store"
)

func health(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("health", "[-addr URL -key KEY | -db PATH [-ns NS]] [-since DURATION]", stderr)
	var t client.Target
	t.Flags(fs)
	since := fs.Duration("since", 24*time.Hour, "look at the last `DURATION`")
	if code := parse(fs, args, 0, 0); code >= 0 {
		return code
	}
	if *since <= 0 {
		fmt.Fprintln(stderr, "spantree health: -since must be positive")
		return 2
	}
	ctx := context.Background()
	c, release, code := openTarget(ctx, "health", &t, stderr)
	if code >= 0 {
		return code
	}
	defer release()
	h, err := c.Health(ctx, *since)
	if err != nil {
		fmt.Fprintf(stderr, "spantree health: %s\n", termtext.Escape(err.Error()))
		return 1
	}
	termtext.Sanitize(h)
	writeHealth(stdout, h, *since)
	if h.Status == store.SeverityAlert {
		return 1
	}
	return 0
}

// writeHealth prints the report: one line per app, then the findings.
func writeHealth(w io.Writer, h *store.Health, since time.Duration) {
	fmt.Fprintf(w, "health over the last %v: %s\n", since, strings.ToUpper(h.Status))
	if len(h.Apps) == 0 {
		fmt.Fprintln(w, "no apps seen")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tTRACES\tFAILED\tFAILURE RATE\tUNJUDGED ERRORS\tALERT\tREGRESSED\tSLOWER\tSTATUS")
	for _, a := range h.Apps {
		name := a.App
		if name == "" {
			name = "(no service tag)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%d\t%d\t%d\t%d\t%s\n", name, a.Traces, a.Failed, 100*a.FailureRate,
			a.Unannotated, len(a.AlertErrors), len(a.RegressedErrors), len(a.SlowRegressions), strings.ToUpper(a.Status))
	}
	tw.Flush()
	for _, a := range h.Apps {
		for _, fp := range a.AlertErrors {
			fmt.Fprintf(w, "ALERT  %s: error group %s\n", a.App, fp)
		}
		for _, fp := range a.RegressedErrors {
			fmt.Fprintf(w, "WARN   %s: silenced error group %s is back in a newer version\n", a.App, fp)
		}
		for _, r := range a.SlowRegressions {
			fmt.Fprintf(w, "WARN   %s: %s (%s) p95 %v, was %v\n", a.App, r.Name, r.Location,
				time.Duration(r.P95).Round(time.Microsecond), time.Duration(r.Baseline).Round(time.Microsecond))
		}
	}
}
