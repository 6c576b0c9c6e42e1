package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spantree/spantree/client"
)

// openTarget opens the receiver of a command's -addr/-key/-db/-ns flags,
// printing why it cannot and returning the exit status then: 2 for a
// namespace that -ns must name, 1 otherwise.
func openTarget(ctx context.Context, cmd string, t *client.Target, stderr io.Writer) (*client.Client, func(), int) {
	c, release, err := t.Open(ctx)
	if err == nil {
		return c, release, -1
	}
	fmt.Fprintf(stderr, "spantree %s: %v\n", cmd, err)
	var nsErr *client.NamespaceError
	if errors.As(err, &nsErr) {
		return nil, nil, 2
	}
	return nil, nil, 1
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
	// Owner only: the database holds the API keys' hashes and every span.
	if err := os.MkdirAll(dir, 0o700); err != nil {
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
