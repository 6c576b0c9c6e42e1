package client

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/clickhouse"
	"github.com/spantree/spantree/store/sqlite"
)

// DefaultAddr is where `spantree serve` listens and where the other commands
// call when neither -addr, $SPANTREE_ADDR nor -db is given.
const DefaultAddr = "127.0.0.1:7070"

// DefaultNamespace is the namespace of a database that holds none yet.
const DefaultNamespace = "default"

// Target is the receiver a command talks to: a server (Addr, Key) or a
// database (DB: a SQLite file, or a clickhouse:// URL) opened in process,
// in namespace NS. Every command that
// reads from or writes to a receiver takes these flags, from [Target.Flags].
type Target struct {
	Addr, Key, DB, NS string
	// Create is for commands that write (ingest): with DB, a missing file
	// is created, and so is the namespace NS of a database that holds none
	// yet. Without it, both must exist, so that a typo fails instead of
	// reading an empty database.
	Create bool
}

// Flags registers -addr, -key, -db and -ns on fs. -addr and -key fall back
// to $SPANTREE_ADDR and $SPANTREE_API_KEY when Open runs, not as the flags'
// defaults, so that -h never prints the key.
func (t *Target) Flags(fs *flag.FlagSet) {
	fs.StringVar(&t.Addr, "addr", "", "receiver `URL` (default $SPANTREE_ADDR, else "+DefaultAddr+")")
	fs.StringVar(&t.Key, "key", "", "API `KEY` (default $SPANTREE_API_KEY)")
	fs.StringVar(&t.DB, "db", "", "read the database at `PATH` (a SQLite file, or a clickhouse:// URL) instead of calling a server")
	fs.StringVar(&t.NS, "ns", "", "with -db: the `NAMESPACE` (default: the only one; required when there are several, which spantree ui lets you choose from)")
}

// Open returns a client of the target and a function that releases it. With
// DB, the namespace is resolved by [Local.Namespace]: a [*NamespaceError]
// is bad usage.
func (t *Target) Open(ctx context.Context) (*Client, func(), error) {
	if t.DB == "" {
		return t.Remote(), func() {}, nil
	}
	open := OpenExisting
	if t.Create {
		open = OpenLocal
	}
	l, err := open(ctx, t.DB)
	if err != nil {
		return nil, nil, err
	}
	ns, err := t.namespace(ctx, l)
	if err != nil {
		l.Close()
		return nil, nil, err
	}
	return l.Client(ns), func() { l.Close() }, nil
}

// namespace resolves NS in l: by [Local.Namespace] for readers, and for a
// writer (Create) also the first namespace of an empty database.
func (t *Target) namespace(ctx context.Context, l *Local) (string, error) {
	if t.Create && t.NS != "" {
		names, err := l.Namespaces(ctx)
		if err != nil {
			return "", err
		}
		if len(names) == 0 {
			return t.NS, nil
		}
	}
	return l.Namespace(ctx, t.NS)
}

func (t *Target) addr() string {
	switch {
	case t.Addr != "":
		return t.Addr
	case os.Getenv("SPANTREE_ADDR") != "":
		return os.Getenv("SPANTREE_ADDR")
	}
	return DefaultAddr
}

func (t *Target) key() string {
	if t.Key != "" {
		return t.Key
	}
	return os.Getenv("SPANTREE_API_KEY")
}

// Remote returns the client of the server at Addr (DB unset).
func (t *Target) Remote() *Client { return New(t.addr(), t.key()) }

// Local is a database file opened in process: each namespace's client calls
// server.Local over it, with no port opened and no key.
type Local struct {
	st store.Store
}

// IsClickHouse reports whether a -db value names the ClickHouse engine
// (clickhouse://...); anything else is a SQLite file.
func IsClickHouse(db string) bool { return strings.HasPrefix(db, clickhouse.Scheme+"://") }

// OpenLocal opens the database db names: a clickhouse:// URL, or the
// SQLite file at that path, created if missing.
func OpenLocal(ctx context.Context, db string) (*Local, error) {
	if IsClickHouse(db) {
		st, _, err := OpenClickHouse(ctx, db)
		if err != nil {
			return nil, err
		}
		return &Local{st: st}, nil
	}
	st, err := sqlite.Open(db)
	if err != nil {
		return nil, err
	}
	return &Local{st: st}, nil
}

// OpenClickHouse opens the ClickHouse database a clickhouse:// URL names,
// and returns the URL without its password, for logs.
func OpenClickHouse(ctx context.Context, url string) (*clickhouse.Store, string, error) {
	cfg, err := clickhouse.ParseURL(url)
	if err != nil {
		return nil, "", err
	}
	st, err := clickhouse.OpenConfig(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return st, cfg.String(), nil
}

// OpenExisting is [OpenLocal] for readers: a missing SQLite file is an
// error (a typo must not yield an empty database and a puzzling "no
// namespace").
func OpenExisting(ctx context.Context, db string) (*Local, error) {
	if !IsClickHouse(db) {
		if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open database %q: no such file", db)
		}
	}
	return OpenLocal(ctx, db)
}

// Namespaces lists the database's namespaces, sorted.
func (l *Local) Namespaces(ctx context.Context) ([]string, error) {
	return l.st.Namespaces(ctx)
}

// Namespace resolves the namespace a command reads: want when the database
// holds it; else, with want empty, the only namespace, or [DefaultNamespace]
// in an empty database. An unknown namespace (in an empty database too), or
// none given among several, is a [*NamespaceError].
func (l *Local) Namespace(ctx context.Context, want string) (string, error) {
	names, err := l.Namespaces(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case want != "" && slices.Contains(names, want):
		return want, nil
	case want != "":
		return "", &NamespaceError{Name: want, Known: names}
	case len(names) == 0:
		return DefaultNamespace, nil
	case len(names) == 1:
		return names[0], nil
	}
	return "", &NamespaceError{Known: names}
}

// Client returns a client of namespace, served in process.
func (l *Local) Client(namespace string) *Client {
	return NewHandler(server.Local(l.st, namespace))
}

// Close releases the database.
func (l *Local) Close() error { return l.st.Close() }

// NamespaceError is a -ns that names no namespace of the database, or a
// missing -ns where the database holds several: bad usage (exit 2).
type NamespaceError struct {
	Name  string   // "" when none was given
	Known []string // the database's namespaces
}

func (e *NamespaceError) Error() string {
	if e.Name != "" && len(e.Known) == 0 {
		return fmt.Sprintf("no namespace %q in the database (it holds none yet)", e.Name)
	}
	if e.Name == "" {
		return fmt.Sprintf("the database holds %d namespaces (%s): choose one with -ns", len(e.Known), strings.Join(e.Known, ", "))
	}
	return fmt.Sprintf("no namespace %q in the database (it holds %s)", e.Name, strings.Join(e.Known, ", "))
}
