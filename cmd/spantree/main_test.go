package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/clickhouse/chtest"
	"github.com/spantree/spantree/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files of the scripts")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"spantree": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script, one behaviour each.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(e *testscript.Env) error {
			e.Setenv("XDG_DATA_HOME", filepath.Join(e.WorkDir, "data"))
			e.Setenv("SPANTREE_ADDR", "")
			e.Setenv("SPANTREE_API_KEY", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// freeport VAR: set VAR to a free loopback host:port.
			"freeport": func(ts *testscript.TestScript, neg bool, args []string) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				ts.Check(err)
				ts.Setenv(args[0], ln.Addr().String())
				ln.Close()
			},
			// waitport ADDR: wait until something listens on ADDR.
			"waitport": func(ts *testscript.TestScript, neg bool, args []string) {
				for i := 0; i < 200; i++ {
					c, err := net.Dial("tcp", args[0])
					if err == nil {
						c.Close()
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
				ts.Fatalf("nothing listens on %s", args[0])
			},
			// keyid VAR KEY: set VAR to the id that key list shows for KEY.
			"keyid": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Setenv(args[0], sqlite.KeyID(args[1]))
			},
			// perm MODE PATH: check that PATH has the permission bits MODE
			// (octal).
			"perm": func(ts *testscript.TestScript, neg bool, args []string) {
				fi, err := os.Stat(ts.MkAbs(args[1]))
				ts.Check(err)
				if got := fmt.Sprintf("%o", fi.Mode().Perm()); (got == args[0]) == neg {
					ts.Fatalf("%s has mode %s; want %s", args[1], got, args[0])
				}
			},
			// sleep DURATION: wait that long (for what must happen
			// within it, such as a revocation reaching a server).
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
			// stamp FILE: replace each {{now-DURATION}} in FILE with the
			// time that long ago, in RFC 3339 (for spans that must be
			// recent, such as those an alert rule's window reads).
			"stamp": func(ts *testscript.TestScript, neg bool, args []string) {
				now := time.Now().UTC()
				text := stampRE.ReplaceAllStringFunc(ts.ReadFile(args[0]), func(m string) string {
					d, err := time.ParseDuration(stampRE.FindStringSubmatch(m)[1])
					ts.Check(err)
					return now.Add(-d).Format(time.RFC3339Nano)
				})
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(text), 0o644))
			},
			// retry DURATION PROGRAM ARGS...: run the program until it
			// succeeds (with !, until it fails), for at most DURATION;
			// stdout and stderr are those of its last run.
			"retry": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				deadline := time.Now().Add(d)
				for {
					err := ts.Exec(args[1], args[2:]...)
					if (err == nil) != neg {
						return
					}
					if time.Now().After(deadline) {
						ts.Fatalf("%s still %v after %v", strings.Join(args[1:], " "), map[bool]string{false: "fails", true: "succeeds"}[err == nil], d)
					}
					time.Sleep(100 * time.Millisecond)
				}
			},
			// capture VAR: set VAR to the last command's stdout, trimmed.
			"capture": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile("stdout")))
			},
		},
	})
}

// stampRE matches stamp's {{now-DURATION}}.
var stampRE = regexp.MustCompile(`\{\{now-([0-9a-z.]+)\}\}`)

// TestClickHouseScripts runs the scripts in testdata/clickhouse against a
// real clickhouse-server (skipped without one): $CHDB is a database of its
// own for each script.
func TestClickHouseScripts(t *testing.T) {
	srv := chtest.Start(t)
	var n atomic.Int32
	testscript.Run(t, testscript.Params{
		Dir: "testdata/clickhouse",
		Setup: func(e *testscript.Env) error {
			e.Setenv("XDG_DATA_HOME", filepath.Join(e.WorkDir, "data"))
			e.Setenv("SPANTREE_ADDR", "")
			e.Setenv("SPANTREE_API_KEY", "")
			// run_settle=0s: a trace is numbered as soon as it is stored,
			// so that the output is SQLite's at once (the wait itself is
			// store/clickhouse's TestRunSettle).
			e.Setenv("CHDB", srv.URL(fmt.Sprintf("script%d", n.Add(1)), "run_settle=0s"))
			return nil
		},
	})
}

// TestHealthExit checks the exit status that gates deploys: 0 while nothing
// is at ALERT, 1 once an error group seen in the window is.
func TestHealthExit(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now().Add(-time.Minute)
	tid := spantree.NewTraceID(now)
	_, err = st.Ingest(ctx, "default", []spantree.Batch{{Tags: map[string]string{"service": "api"}, Spans: []spantree.SpanData{{
		TraceID: tid, SpanID: spantree.SpanID{1}, Name: "main.main", Start: now, End: now.Add(time.Second),
		Status: spantree.StatusFailed, Error: &spantree.ErrorInfo{Type: "*errors.errorString", Message: "boom"},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	healthRun := func() (int, string) {
		var out, errOut strings.Builder
		code := run([]string{"health", "-db", db, "-since", "1h"}, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := healthRun(); code != 0 || !strings.Contains(out, "WARN") {
		t.Errorf("health with an unjudged error = %d\n%s; want 0 and WARN", code, out)
	}
	groups, err := st.ErrorGroups(ctx, "default", time.Time{})
	if err != nil || len(groups) != 1 {
		t.Fatalf("ErrorGroups = %v, %v; want one group", groups, err)
	}
	if _, err := st.Annotate(ctx, "default", groups[0].Fingerprint, store.Annotation{Kind: store.KindCrash, Severity: store.SeverityAlert}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out := healthRun()
	if code != 1 || !strings.Contains(out, fmt.Sprintf("ALERT  api: error group %s", groups[0].Fingerprint)) {
		t.Errorf("health with an ALERT group = %d\n%s; want 1 naming the group", code, out)
	}
}

// TestNamespaceExit checks the exit status of -ns with -db in every
// subcommand: 2 (bad usage) when the database holds several namespaces and
// none is named, or the one named is not there; 1 when a reader's database
// file does not exist.
func TestNamespaceExit(t *testing.T) {
	dir := t.TempDir()
	db, empty, missing := filepath.Join(dir, "n.db"), filepath.Join(dir, "empty.db"), filepath.Join(dir, "missing.db")
	l, err := client.OpenLocal(context.Background(), empty)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	for _, ns := range []string{"prod", "staging"} {
		var out, errOut strings.Builder
		if code := run([]string{"key", "create", "-db", db, ns}, &out, &errOut); code != 0 {
			t.Fatalf("key create %s = %d: %s", ns, code, errOut.String())
		}
	}
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"health", "-db", db}, 2},
		{[]string{"health", "-db", db, "-ns", "nobody"}, 2},
		{[]string{"health", "-db", db, "-ns", "prod"}, 0},
		{[]string{"ingest", "-db", db, "-ns", "nobody", "-"}, 2},
		{[]string{"ui", "-db", db, "-ns", "nobody"}, 2},
		{[]string{"traces", "-db", db}, 2},
		{[]string{"traces", "-db", db, "-ns", "nobody"}, 2},
		{[]string{"traces", "-db", db, "-ns", "prod"}, 0},
		{[]string{"show", "-db", db, "2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J"}, 2},
		{[]string{"show", "-db", db, "-ns", "nobody", "2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J"}, 2},
		// A database with no namespace yet knows none either, but the
		// first ingest creates the one it names.
		{[]string{"health", "-db", empty, "-ns", "nobody"}, 2},
		{[]string{"traces", "-db", empty, "-ns", "nobody"}, 2},
		{[]string{"ui", "-db", empty, "-ns", "nobody"}, 2},
		{[]string{"ingest", "-db", empty, "-ns", "new", os.DevNull}, 0},
		// A reader's database must exist: a typo is not an empty database.
		{[]string{"health", "-db", missing}, 1},
		{[]string{"traces", "-db", missing}, 1},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		if code := run(tt.args, &out, &errOut); code != tt.want {
			t.Errorf("spantree %s = %d; want %d\n%s%s", strings.Join(tt.args, " "), code, tt.want, out.String(), errOut.String())
		}
	}
}

func TestRoundDuration(t *testing.T) {
	tests := []struct{ in, want time.Duration }{
		{286390 * time.Nanosecond, 286 * time.Microsecond},
		{13437 * time.Microsecond, 13400 * time.Microsecond},
		{1234567 * time.Microsecond, 1230 * time.Millisecond},
		{999, 999},
		{0, 0},
	}
	for _, tt := range tests {
		if got := roundDuration(tt.in); got != tt.want {
			t.Errorf("roundDuration(%v) = %v; want %v", tt.in, got, tt.want)
		}
	}
}
