package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"

	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
)

// openDB opens the database at path for `-db PATH`: the namespaces come from
// the store, and each namespace's [Backend] is the HTTP API of server.Local
// called in process through handlerTransport, so -db and -addr share one
// code path and no port is opened. The returned function closes the store.
func openDB(path string) (*connector, func(), error) {
	// sqlite.Open creates a missing file; a typo must not yield an empty
	// database and a puzzling "no namespace".
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("open database %q: no such file", path)
	}
	st, err := sqlite.Open(path)
	if err != nil {
		return nil, nil, err
	}
	conn := &connector{
		list: st.Namespaces,
		open: func(ns string) Backend {
			return &HTTP{Base: "http://local", Client: &http.Client{Transport: handlerTransport{server.Local(st, ns)}}}
		},
	}
	return conn, func() { st.Close() }, nil
}

// fixedNamespaces lists just name, for `-db PATH -ns NAME`.
func fixedNamespaces(name string) func(context.Context) ([]string, error) {
	return func(context.Context) ([]string, error) { return []string{name}, nil }
}
