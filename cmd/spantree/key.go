package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spantree/spantree/internal/termtext"
	"github.com/spantree/spantree/store"
)

const keyUsage = `usage:
  spantree key create [-db PATH] NAMESPACE
  spantree key list   [-db PATH] [NAMESPACE]
  spantree key revoke [-db PATH] KEY|ID
`

// key runs the key subcommands.
func key(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, keyUsage)
		return 2
	}
	switch args[0] {
	case "create":
		return keyCreate(args[1:], stdout, stderr)
	case "list":
		return keyList(args[1:], stdout, stderr)
	case "revoke":
		return keyRevoke(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "spantree key: unknown subcommand %q\n%s", args[0], keyUsage)
	return 2
}

// openKeys parses the flags of a key subcommand and opens its database; it
// returns the exit status when it cannot (-1 otherwise).
func openKeys(name, args string, argv []string, minArgs, maxArgs int, stderr io.Writer) (engine, []string, int) {
	fs := newFlags("key "+name, args, stderr)
	db := fs.String("db", "", "database `PATH` or clickhouse://HOST:9000/DB URL (default $SPANTREE_DB, else the user data directory)")
	if code := parse(fs, argv, minArgs, maxArgs); code >= 0 {
		return nil, nil, code
	}
	path := *db
	if path == "" {
		p, err := defaultDB()
		if err != nil {
			fmt.Fprintf(stderr, "spantree key %s: %v\n", name, err)
			return nil, nil, 1
		}
		path = p
	}
	st, _, err := openEngine(context.Background(), path)
	if err != nil {
		fmt.Fprintf(stderr, "spantree key %s: %v\n", name, err)
		return nil, nil, 1
	}
	return st, fs.Args(), -1
}

func keyCreate(args []string, stdout, stderr io.Writer) int {
	st, rest, code := openKeys("create", "[-db PATH] NAMESPACE", args, 1, 1, stderr)
	if code >= 0 {
		return code
	}
	defer st.Close()
	key, err := st.CreateKey(context.Background(), rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "spantree key create: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, key)
	return 0
}

// keyList prints the keys' ids, namespaces and creation times, never the
// keys (only their hashes are kept).
func keyList(args []string, stdout, stderr io.Writer) int {
	st, rest, code := openKeys("list", "[-db PATH] [NAMESPACE]", args, 0, 1, stderr)
	if code >= 0 {
		return code
	}
	defer st.Close()
	ns := ""
	if len(rest) == 1 {
		ns = rest[0]
	}
	keys, err := st.ListKeys(context.Background(), ns)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "spantree key list: no namespace %s\n", termtext.Escape(ns))
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "spantree key list: %v\n", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAMESPACE\tCREATED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.ID, termtext.Escape(k.Namespace), k.Created.Format(time.RFC3339))
	}
	tw.Flush()
	return 0
}

// keyRevoke deletes a key, given as the key or its id; a server on the same
// database refuses it within a second.
func keyRevoke(args []string, stdout, stderr io.Writer) int {
	st, rest, code := openKeys("revoke", "[-db PATH] KEY|ID", args, 1, 1, stderr)
	if code >= 0 {
		return code
	}
	defer st.Close()
	k, err := st.RevokeKey(context.Background(), rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "spantree key revoke: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "revoked key %s of namespace %s\n", k.ID, termtext.Escape(k.Namespace))
	return 0
}
