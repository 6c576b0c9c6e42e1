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
	"github.com/spantree/spantree/query"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

const tracesArgs = "[-addr URL -key KEY | -db PATH [-ns NS]] [-query QUERY] [-status STATUS] [-name NAME] [-tag k:v]... [-run N] [-min_duration D] [-since D] [-until D] [-limit N] [-cursor C] [-q]"

// traces lists traces, newest first, with the filters of GET /v1/traces.
func traces(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("traces", tracesArgs, stderr)
	var t client.Target
	t.Flags(fs)
	var q store.TraceQuery
	status := fs.String("status", "", "only traces whose root `STATUS` is started, succeeded or failed")
	fs.StringVar(&q.Name, "name", "", "only traces with a span of this `NAME`")
	tags := queryTags{tags: map[string]string{}, run: &q.Run}
	fs.Var(tags, "tag", "only traces with the tag `k:v` (repeatable: all must match; run:N and SERVICE#N are run numbers)")
	fs.Int64Var(&q.Run, "run", 0, "only traces with the run number `N` (of each service and tags; with -tag service:S, of S's)")
	fs.DurationVar(&q.MinDuration, "min_duration", 0, "only traces whose root lasted at least `DURATION`")
	since := sinceFlag{now: time.Now}
	fs.Var(&since, "since", "only traces started in the last `DURATION` (such as 1h) or since an RFC 3339 time")
	until := sinceFlag{now: time.Now}
	fs.Var(&until, "until", "only traces started before `DURATION` ago (such as 1h) or before an RFC 3339 time")
	fs.IntVar(&q.Limit, "limit", 20, "at most `N` traces (1 to 1000)")
	where := fs.String("query", "", "only traces that match the search `QUERY` (such as 'service:shop status:failed'; see docs/receiver.md)")
	cursor := fs.String("cursor", "", "the page after the one that printed this `CURSOR` (next: on stderr)")
	idsOnly := fs.Bool("q", false, "print only the trace ids, one a line")
	if code := parse(fs, args, 0, 0); code >= 0 {
		return code
	}
	switch st := spantree.Status(*status); st {
	case "", spantree.StatusStarted, spantree.StatusSucceeded, spantree.StatusFailed:
		q.Status = st
	default:
		fmt.Fprintf(stderr, "spantree traces: -status: want started, succeeded or failed, got %q\n", *status)
		return 2
	}
	if q.MinDuration < 0 {
		fmt.Fprintln(stderr, "spantree traces: -min_duration must not be negative")
		return 2
	}
	if q.Run < 0 {
		fmt.Fprintln(stderr, "spantree traces: -run must not be negative")
		return 2
	}
	if q.Limit < 1 || q.Limit > store.MaxLimit {
		fmt.Fprintf(stderr, "spantree traces: -limit: want 1 to %d, got %d\n", store.MaxLimit, q.Limit)
		return 2
	}
	if len(tags.tags) > 0 {
		q.Tags = tags.tags
	}
	q.Since, q.Until = since.t, until.t
	var err error
	if q.Where, err = query.Parse(*where); err != nil {
		fmt.Fprintf(stderr, "spantree traces: -query: %s\n", termtext.Escape(err.Error()))
		return 2
	}
	if *cursor != "" {
		if q.After, err = store.ParseCursor(*cursor); err != nil {
			fmt.Fprintf(stderr, "spantree traces: -cursor: %s\n", termtext.Escape(err.Error()))
			return 2
		}
	}
	ctx := context.Background()
	c, release, code := openTarget(ctx, "traces", &t, stderr)
	if code >= 0 {
		return code
	}
	defer release()
	page, err := c.TracePage(ctx, q)
	if err != nil {
		fmt.Fprintf(stderr, "spantree traces: %s\n", termtext.Escape(err.Error()))
		return 1
	}
	list := page.Traces
	termtext.Sanitize(list)
	if *idsOnly {
		for _, s := range list {
			fmt.Fprintln(stdout, s.TraceID)
		}
	} else {
		writeTraces(stdout, list)
	}
	if page.NextCursor != "" {
		// On stderr, so that stdout stays the list (and -q only ids).
		fmt.Fprintf(stderr, "next: -cursor %s\n", termtext.Escape(page.NextCursor))
	}
	return 0
}

// writeTraces prints one line per trace, in the order given.
func writeTraces(w io.Writer, list []store.TraceSummary) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no traces")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TRACE ID\tSTART\tDURATION\tSTATUS\tSPANS\tERRORS\tAPP\tNAME")
	for _, s := range list {
		app := s.App
		if s.Run > 0 {
			app = store.RunLabel(app, s.Run) // api#142, to find it again with -tag api#142
		}
		if app == "" {
			app = "-"
		}
		status := string(s.Status)
		if s.Abandoned {
			status = "abandoned" // running, but its process stopped publishing
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%d\t%d\t%s\t%s\n", s.TraceID, s.Start.Local().Format("2006-01-02 15:04:05"),
			roundDuration(time.Duration(s.Duration)), status, s.Spans, s.Errors, app, s.Name)
	}
	tw.Flush()
}

// roundDuration keeps three significant digits: 13.4ms, 1.23s, 286µs.
func roundDuration(d time.Duration) time.Duration {
	unit := time.Duration(1)
	for d/unit >= 1000 {
		unit *= 10
	}
	return d.Round(unit)
}

// queryTags collects repeated -tag k:v flags, as GET /v1/traces takes them,
// and the run numbers among them (store.RunTerm: run:142, api#142).
type queryTags struct {
	tags map[string]string
	run  *int64
}

func (t queryTags) String() string { return "" }

func (t queryTags) Set(v string) error {
	if service, run, ok := store.RunTerm(v); ok {
		*t.run = run
		if service != "" {
			t.tags["service"] = service
		}
		return nil
	}
	k, val, ok := strings.Cut(v, ":")
	if !ok || k == "" {
		return fmt.Errorf("want key:value, run:N or SERVICE#N, got %q", v)
	}
	t.tags[k] = val
	return nil
}

// sinceFlag is a -since that takes a duration back from now or a time.
type sinceFlag struct {
	now func() time.Time
	t   time.Time
}

func (s *sinceFlag) String() string { return "" }

func (s *sinceFlag) Set(v string) error {
	if d, err := time.ParseDuration(v); err == nil {
		if d <= 0 {
			return fmt.Errorf("want a positive duration, got %q", v)
		}
		s.t = s.now().Add(-d)
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("want a duration such as 1h or an RFC 3339 time, got %q", v)
	}
	s.t = t
	return nil
}
