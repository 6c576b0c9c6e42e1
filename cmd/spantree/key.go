package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spantree/spantree/store/sqlite"
)

func keyCreate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("key create", "[-db PATH] NAMESPACE", stderr)
	db := fs.String("db", "", "database `PATH` (default $SPANTREE_DB, else the user data directory)")
	if code := parse(fs, args, 1, 1); code >= 0 {
		return code
	}
	path := *db
	if path == "" {
		p, err := defaultDB()
		if err != nil {
			fmt.Fprintf(stderr, "spantree key create: %v\n", err)
			return 1
		}
		path = p
	}
	st, err := sqlite.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "spantree key create: %v\n", err)
		return 1
	}
	defer st.Close()
	key, err := st.CreateKey(context.Background(), fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "spantree key create: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, key)
	return 0
}
