// Package ui is the terminal UI of `spantree ui`: a dashboard of span names,
// trace lists, a trace as a waterfall tree with a detail pane, and error
// triage, over the receiver's HTTP API or a database file (both through
// package client).
//
// The program is a Bubble Tea model. The root model (model.go) owns what the
// screens share: the screen stack, the filters, the prompt (prompt.go), the
// help overlay (help.go), the status line and the [Backend]; it handles the
// global keys and hands every other key to the child model of the current
// screen, one per file: namespaces.go, dashboard.go, traces.go, trace.go
// (drawn by tracetree.go and detail.go) and errors.go. A child changes only
// itself and returns an intent for what else must happen (intent.go: open a
// screen, a prompt, send a verdict), which the root carries out in the same
// Update. All I/O happens in commands (commands.go), so Update is a pure
// function that the tests drive directly.
package ui

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/spantree/spantree/client"
)

// Main runs `spantree ui` with the arguments after "ui" and returns the exit
// status: 0 after q, 1 when the terminal or the database cannot be used, 2 on
// bad usage (a -ns the database does not hold included). The target flags
// are [client.Target]'s; with -db and several namespaces but no -ns, the
// first screen asks which one.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spantree ui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var t client.Target
	t.Flags(fs)
	since := fs.Duration("since", time.Hour, "the dashboard's time window")
	slow := fs.Duration("slow", 100*time.Millisecond, "the slow / fast threshold")
	refresh := fs.Duration("refresh", 2*time.Second, "live refresh interval (0: off)")
	limit := fs.Int("limit", 200, "traces per list")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: spantree ui [-addr URL -key KEY | -db PATH [-ns NS]] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "spantree ui: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	cfg := Config{Since: *since, Slow: *slow, Refresh: *refresh, Limit: *limit}
	var m model
	if t.DB != "" {
		conn, closeDB, err := openDB(context.Background(), t.DB, t.NS)
		if err != nil {
			fmt.Fprintf(stderr, "spantree ui: %v\n", err)
			var nsErr *client.NamespaceError
			if errors.As(err, &nsErr) {
				return 2
			}
			return 1
		}
		defer closeDB()
		// The in-process server logs through the standard logger, whose
		// stderr would scribble over the screen: keep its lines until the
		// terminal is restored.
		var logs bytes.Buffer
		log.SetOutput(&logs)
		defer func() {
			log.SetOutput(stderr)
			stderr.Write(logs.Bytes())
		}()
		cfg.Source = t.DB
		m = newModel(cfg, nil, conn, time.Now)
	} else {
		c := t.Remote()
		cfg.Source = c.Base
		m = newModel(cfg, c, nil, time.Now)
	}
	p := tea.NewProgram(m, tea.WithOutput(stdout), tea.WithContext(context.Background()))
	if _, err := p.Run(); err != nil {
		fmt.Fprintf(stderr, "spantree ui: %v\n", err)
		return 1
	}
	return 0
}
