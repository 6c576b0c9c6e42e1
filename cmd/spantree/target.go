package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spantree/spantree/client"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
)

// defaultAddr is where serve listens and other commands call by default.
const defaultAddr = "127.0.0.1:7070"

// target is the receiver a command talks to: a server (-addr, -key) or a
// database file (-db) opened in process.
type target struct {
	addr, key, db, ns string
}

func (t *target) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.addr, "addr", os.Getenv("SPANTREE_ADDR"), "receiver `URL` (default $SPANTREE_ADDR, else "+defaultAddr+")")
	fs.StringVar(&t.key, "key", os.Getenv("SPANTREE_API_KEY"), "API `KEY` (default $SPANTREE_API_KEY)")
	fs.StringVar(&t.db, "db", "", "read the database file at `PATH` instead of calling a server")
	fs.StringVar(&t.ns, "ns", "", "with -db: the `NAMESPACE` (default: the only one, else \"default\")")
}

// open returns a client of the target and a function that releases it.
func (t *target) open(ctx context.Context) (*client.Client, func(), error) {
	if t.db == "" {
		addr := t.addr
		if addr == "" {
			addr = defaultAddr
		}
		return client.New(addr, t.key), func() {}, nil
	}
	st, err := sqlite.Open(t.db)
	if err != nil {
		return nil, nil, err
	}
	ns := t.ns
	if ns == "" {
		names, err := st.Namespaces(ctx)
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		ns = "default"
		if len(names) == 1 {
			ns = names[0]
		}
	}
	return client.NewHandler(server.Local(st, ns)), func() { st.Close() }, nil
}

// defaultDB is the database file when -db is not given.
func defaultDB() (string, error) {
	if p := os.Getenv("SPANTREE_DB"); p != "" {
		return p, nil
	}
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no -db, $SPANTREE_DB or home directory: %w", err)
		}
		dir = filepath.Join(home, ".local", "share")
	}
	dir = filepath.Join(dir, "spantree")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	return filepath.Join(dir, "spantree.db"), nil
}

// newFlags returns a flag set that reports to stderr and does not exit.
func newFlags(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: spantree %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, returning the exit status for bad usage or -1.
func parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) int {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if n := fs.NArg(); n < minArgs || (maxArgs >= 0 && n > maxArgs) {
		// A flag after an argument is the usual mistake; say so.
		if slices.ContainsFunc(fs.Args(), func(a string) bool { return len(a) > 1 && a[0] == '-' }) {
			fmt.Fprintln(fs.Output(), "spantree: flags come before arguments")
		}
		fs.Usage()
		return 2
	}
	return -1
}
