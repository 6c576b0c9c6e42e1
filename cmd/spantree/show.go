package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/internal/termtext"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

func show(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("show", "[-addr URL -key KEY | -db PATH [-ns NS]] [-follow] TRACE_ID", stderr)
	var t client.Target
	t.Flags(fs)
	follow := fs.Bool("follow", false, "also print the traces this one links to")
	if code := parse(fs, args, 1, 1); code >= 0 {
		return code
	}
	if _, err := spantree.ParseTraceID(fs.Arg(0)); err != nil {
		fmt.Fprintf(stderr, "spantree show: %v\n", err)
		return 2
	}
	ctx := context.Background()
	c, release, code := openTarget(ctx, "show", &t, stderr)
	if code >= 0 {
		return code
	}
	defer release()
	tr, err := c.Trace(ctx, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "spantree show: trace %s: %s\n", fs.Arg(0), termtext.Escape(err.Error()))
		return 1
	}
	termtext.Sanitize(tr)
	opts := spantree.TreeOptions{Color: isTerminal(stdout)}
	links := printTrace(stdout, tr, opts)
	if *follow {
		seen := map[[16]byte]bool{tr.TraceID.Payload(): true}
		for _, l := range links {
			if seen[l.TraceID.Payload()] {
				continue
			}
			seen[l.TraceID.Payload()] = true
			lt, err := c.Trace(ctx, l.TraceID.Hex())
			if err != nil {
				fmt.Fprintf(stdout, "\nlinked trace %s: %s\n", l.TraceID, termtext.Escape(err.Error()))
				continue
			}
			termtext.Sanitize(lt)
			fmt.Fprintln(stdout)
			printTrace(stdout, lt, opts)
		}
	}
	return 0
}

// printTrace prints a trace as the tree sink does, then its error verdicts,
// slow spans and links to other traces, which it returns.
func printTrace(w io.Writer, t *store.Trace, opts spantree.TreeOptions) []spantree.Link {
	complete := len(t.Spans) > 0
	names := map[spantree.SpanID]string{}
	for i := range t.Spans {
		names[t.Spans[i].SpanID] = t.Spans[i].Name
		if t.Spans[i].Status == spantree.StatusStarted {
			complete = false
		}
	}
	spantree.WriteTree(w, &spantree.Trace{ID: t.TraceID, Spans: t.Spans, Complete: complete}, opts)
	if t.Run > 0 {
		service := t.Tags["service"]
		if len(t.Services) > 0 {
			service = t.Services[0]
		}
		fmt.Fprintf(w, "run: %s\n", store.RunLabel(service, t.Run))
	}
	for _, e := range t.Errors {
		verdict := "not judged yet"
		if a := e.Annotation; a != nil {
			verdict = a.Kind + ", " + a.Severity
			if a.Note != "" {
				verdict += ": " + a.Note
			}
		}
		if e.Regressed {
			verdict += " (REGRESSED: back in a newer version)"
		}
		fmt.Fprintf(w, "error group %s at %s: %s\n", e.Fingerprint, names[e.SpanID], verdict)
	}
	for _, id := range t.SlowSpans {
		fmt.Fprintf(w, "slow: %s took longer than its p99\n", names[id])
	}
	var links []spantree.Link
	for i := range t.Spans {
		for _, l := range t.Spans[i].Links {
			if l.TraceID.Payload() == t.TraceID.Payload() {
				continue
			}
			links = append(links, l)
			ref := ""
			if l.Ref != "" {
				ref = " (" + l.Ref + ")"
			}
			fmt.Fprintf(w, "link: %s -> trace %s%s\n", t.Spans[i].Name, l.TraceID, ref)
		}
	}
	return links
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
