// Command spantree is the receiver and viewer of spantree traces.
//
//	spantree serve  [-addr 127.0.0.1:7070] [-db PATH] [-retain 14d]
//	spantree key create [-db PATH] NAMESPACE
//	spantree key list   [-db PATH] [NAMESPACE]
//	spantree key revoke [-db PATH] KEY|ID
//	spantree ingest [-addr URL -key KEY | -db PATH [-ns NS]] [-tag k=v] FILE...
//	spantree show   [-addr URL -key KEY | -db PATH [-ns NS]] [-follow] TRACE_ID
//	spantree health [-addr URL -key KEY | -db PATH [-ns NS]] [-since DURATION]
//	spantree traces [-addr URL -key KEY | -db PATH [-ns NS]] [filters]
//	spantree alerts [-addr URL -key KEY | -db PATH [-ns NS]] [-rules]
//	spantree ui     [-addr URL -key KEY | -db PATH [-ns NS]]
//
// traces lists traces, newest first, with the filters of GET /v1/traces
// (-status, -name, -tag k:v, -min_duration, -since, -limit); -q prints only
// their ids. alerts lists the alerts (firing first) or, with -rules, the
// rules; with -db, as the database holds them. SPANTREE_ADDR and SPANTREE_API_KEY stand in for -addr and -key
// (-h does not print them). Without -db or an address, commands call
// http://127.0.0.1:7070. With -db, the file must exist (but for ingest), and
// -ns names the namespace: required when the database holds several (the UI
// asks instead), and one the database does not hold is bad usage. The
// target flags are client.Target's, shared with the UI. The database is
// SQLite in one file: -db, else $SPANTREE_DB, else
// $XDG_DATA_HOME/spantree/spantree.db (~/.local/share/spantree/spantree.db).
// What the commands print from span data is escaped (internal/termtext):
// a span name cannot send escape sequences to the terminal.
//
// Exit status: 0 on success, 1 when health finds something at ALERT, an
// alert fires (alerts) or a command fails, 2 on bad usage.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spantree/spantree/ui"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  spantree serve  [-addr 127.0.0.1:7070] [-db PATH] [-retain 14d]
  spantree key create [-db PATH] NAMESPACE
  spantree key list   [-db PATH] [NAMESPACE]
  spantree key revoke [-db PATH] KEY|ID
  spantree ingest [-addr URL -key KEY | -db PATH [-ns NS]] [-tag k=v] FILE...
  spantree show   [-addr URL -key KEY | -db PATH [-ns NS]] [-follow] TRACE_ID
  spantree health [-addr URL -key KEY | -db PATH [-ns NS]] [-since DURATION]
  spantree traces [-addr URL -key KEY | -db PATH [-ns NS]] [-status S] [-name N] [-tag k:v] [-min_duration D] [-since D] [-limit N] [-q]
  spantree alerts [-addr URL -key KEY | -db PATH [-ns NS]] [-rules]
  spantree ui     [-addr URL -key KEY | -db PATH [-ns NS]]
`

// run is the whole command, for tests to call in process.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stdout, stderr)
	case "key":
		return key(rest, stdout, stderr)
	case "ingest":
		return ingest(rest, stdout, stderr)
	case "show":
		return show(rest, stdout, stderr)
	case "health":
		return health(rest, stdout, stderr)
	case "traces":
		return traces(rest, stdout, stderr)
	case "alerts":
		return alerts(rest, stdout, stderr)
	case "ui":
		return ui.Main(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "spantree: unknown command %q\n%s", cmd, usage)
	return 2
}
