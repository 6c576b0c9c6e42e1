package ui

import (
	"context"

	"github.com/spantree/spantree/client"
)

// openDB opens the database at path for `-db PATH`: the namespaces come from
// the store, and each namespace's [Backend] is a client of server.Local
// called in process, so -db and -addr share one code path and no port is
// opened. A namespace given with -ns is checked (a [*client.NamespaceError]
// when unknown) and is then the only one. The returned function closes the
// store.
func openDB(ctx context.Context, path, namespace string) (*connector, func(), error) {
	l, err := client.OpenExisting(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	conn := &connector{
		list: l.Namespaces,
		open: func(ns string) Backend { return l.Client(ns) },
	}
	if namespace != "" {
		name, err := l.Namespace(ctx, namespace)
		if err != nil {
			l.Close()
			return nil, nil, err
		}
		conn.list = fixedNamespaces(name)
	}
	return conn, func() { l.Close() }, nil
}

// fixedNamespaces lists just name, for `-db PATH -ns NAME`.
func fixedNamespaces(name string) func(context.Context) ([]string, error) {
	return func(context.Context) ([]string, error) { return []string{name}, nil }
}
