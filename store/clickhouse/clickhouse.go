// Package clickhouse is the scale-out storage engine of the receiver: a
// [store.Store] on a ClickHouse server or cluster, so that several
// `spantree serve` processes, which keep nothing of their own on local disk,
// can stand in front of one database.
//
// It speaks ClickHouse's native protocol through the official Go client
// (github.com/ClickHouse/clickhouse-go/v2), and uses nothing newer than
// Debian's clickhouse-server 18.16: times are unix nanoseconds in Int64 (no
// DateTime64), there is no TTL clause (retention drops whole days:
// [Store.Prune]) and no lightweight update or delete, so that everything
// that changes is written as new rows that the engine folds:
//
//   - spans in a ReplacingMergeTree, the newest finished copy of a span
//     winning (readers pick it too, until merges have run);
//   - traces, error groups and apps as events into Null tables, folded by
//     materialized views into AggregatingMergeTree tables whose aggregates
//     (argMin, max, uniqExact, ...) are the same however many times a span
//     is sent;
//   - per-minute rollups ([store.Rollup]) as rows keyed by a hash of the
//     spans they count, written only for spans stored finished for the
//     first time (see ingest.go);
//   - namespaces, API keys and verdicts in ReplacingMergeTree tables.
//
// Tables that retention empties are partitioned by day. The schema is made
// by numbered migrations (migrations/*.sql, embedded), recorded in the
// schema_version table of every server.
//
// With a cluster name (clickhouse://HOST:9000/DB?cluster=NAME) every table
// is a local table on each server of the cluster with a Distributed table
// of the usual name in front, sharded by trace for spans and traces, so
// that one trace is read from one shard. The schema is applied to each
// server of the cluster in turn (as system.clusters lists them), which needs
// no ZooKeeper; inserts into the Distributed tables are synchronous
// (insert_distributed_sync), so that Ingest returns only once every shard
// concerned has stored its rows.
package clickhouse

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/spantree/spantree/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Scheme is the scheme of the URLs that [Open] takes.
const Scheme = "clickhouse"

// Config is what a clickhouse:// URL says; see [ParseURL].
type Config struct {
	Addrs    []string // HOST:PORT, the native protocol's port (9000)
	Database string
	User     string
	Password string
	// Cluster names the cluster of remote_servers that the schema is
	// spread over; "" for one server.
	Cluster string
	// Replicated makes the tables Replicated*MergeTree (ZooKeeper
	// needed) and the inserts wait for a quorum of replicas.
	Replicated bool
	// Quorum is insert_quorum when Replicated (default 2).
	Quorum int
	// RunSettle is how long after its root is stored a trace gets its run
	// number (default DefaultRunSettle; option run_settle): the time a
	// receiver's insert of it may take, and the receivers' clocks may
	// differ, without a trace numbered before it arrived (runs.go).
	RunSettle time.Duration
}

// DefaultRunSettle is the default [Config.RunSettle].
const DefaultRunSettle = 5 * time.Second

// ParseURL reads clickhouse://[USER[:PASSWORD]@]HOST:PORT[,HOST:PORT...]/DATABASE
// with the options user, password, cluster, replicated (0 or 1), quorum and
// run_settle (a duration).
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("clickhouse URL: %w", err)
	}
	if u.Scheme != Scheme {
		return Config{}, fmt.Errorf("clickhouse URL %q: want the scheme %s://", raw, Scheme)
	}
	c := Config{Database: strings.Trim(u.Path, "/"), User: "default", Quorum: 2, RunSettle: DefaultRunSettle}
	for _, a := range strings.Split(u.Host, ",") {
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(a, "9000")
		}
		c.Addrs = append(c.Addrs, a)
	}
	if len(c.Addrs) == 0 {
		return Config{}, fmt.Errorf("clickhouse URL %q: no host", raw)
	}
	if c.Database == "" {
		c.Database = "spantree"
	}
	if strings.ContainsAny(c.Database, "`/.") {
		return Config{}, fmt.Errorf("clickhouse URL %q: bad database name %q", raw, c.Database)
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "user", "password", "cluster", "replicated", "quorum", "run_settle":
		default:
			return Config{}, fmt.Errorf("clickhouse URL %q: unknown option %q (want user, password, cluster, replicated, quorum, run_settle)", raw, k)
		}
	}
	if v := q.Get("user"); v != "" {
		c.User = v
	}
	if v := q.Get("password"); v != "" {
		c.Password = v
	}
	c.Cluster = q.Get("cluster")
	if strings.ContainsAny(c.Cluster, "`'\\") {
		return Config{}, fmt.Errorf("clickhouse URL %q: bad cluster name %q", raw, c.Cluster)
	}
	switch q.Get("replicated") {
	case "", "0", "false":
	case "1", "true":
		c.Replicated = true
	default:
		return Config{}, fmt.Errorf("clickhouse URL %q: replicated: want 0 or 1", raw)
	}
	if v := q.Get("quorum"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Config{}, fmt.Errorf("clickhouse URL %q: quorum: want a positive number", raw)
		}
		c.Quorum = n
	}
	if v := q.Get("run_settle"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Hour {
			return Config{}, fmt.Errorf("clickhouse URL %q: run_settle: want a duration from 0s to 1h, such as 5s", raw)
		}
		c.RunSettle = d
	}
	return c, nil
}

// String returns the URL of c without its password, for logs.
func (c Config) String() string {
	u := url.URL{Scheme: Scheme, Host: strings.Join(c.Addrs, ","), Path: "/" + c.Database}
	if c.User != "" && c.User != "default" {
		u.User = url.User(c.User)
	}
	q := url.Values{}
	if c.Cluster != "" {
		q.Set("cluster", c.Cluster)
	}
	if c.Replicated {
		q.Set("replicated", "1")
		q.Set("quorum", strconv.Itoa(c.Quorum))
	}
	if c.RunSettle != DefaultRunSettle {
		q.Set("run_settle", c.RunSettle.String())
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Store is a [store.Store] on ClickHouse. Use [Open] to make one.
type Store struct {
	cfg  Config
	conn driver.Conn

	keys sync.Map // [32]byte key hash -> keyEntry
	nss  sync.Map // namespace -> struct{}: known to be in the namespaces table
	// procs holds procKey -> struct{}: processes known to be in the
	// processes table.
	procs sync.Map
	// lastVer is the version of the last row written of a record that
	// changes (alert records, users, sessions): each write takes a later
	// one, even with a clock that did not move.
	lastVer atomic.Int64

	reqs  chan *ingestReq
	quit  chan struct{}
	wg    sync.WaitGroup
	close sync.Once
}

var _ store.Store = (*Store)(nil)

// Open connects to the server (or cluster) of rawURL, creates the database
// if needed and brings its schema up to date on every server.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	cfg, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is [Open] with the URL already read.
func OpenConfig(ctx context.Context, cfg Config) (*Store, error) {
	hosts := cfg.Addrs
	if cfg.Cluster != "" {
		var err error
		if hosts, err = clusterHosts(ctx, cfg); err != nil {
			return nil, fmt.Errorf("open clickhouse %s: %w", cfg.Addrs[0], classify(err))
		}
	}
	for _, h := range hosts {
		if err := migrateHost(ctx, cfg, h); err != nil {
			return nil, fmt.Errorf("open clickhouse %s: %w", h, classify(err))
		}
	}
	conn, err := connect(cfg, cfg.Addrs, cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %s: %w", cfg.Addrs[0], err)
	}
	s := &Store{cfg: cfg, conn: conn, reqs: make(chan *ingestReq), quit: make(chan struct{})}
	for range writers {
		s.wg.Add(1)
		go s.writer()
	}
	return s, nil
}

// connect opens a connection pool to addrs; the first address answering
// serves.
func connect(cfg Config, addrs []string, database string) (driver.Conn, error) {
	settings := clickhouse.Settings{}
	if cfg.Cluster != "" {
		// An insert into a Distributed table returns once every shard
		// has stored its rows, not once they are queued locally.
		settings["insert_distributed_sync"] = 1
	}
	if cfg.Replicated {
		settings["insert_quorum"] = cfg.Quorum
	}
	return clickhouse.Open(&clickhouse.Options{
		Addr:             addrs,
		Auth:             clickhouse.Auth{Database: database, Username: cfg.User, Password: cfg.Password},
		Settings:         settings,
		DialTimeout:      5 * time.Second,
		MaxOpenConns:     16,
		MaxIdleConns:     8,
		ConnMaxLifetime:  time.Hour,
		ConnOpenStrategy: clickhouse.ConnOpenInOrder,
	})
}

// clusterHosts lists the servers of cfg.Cluster, as the first server
// answering sees them.
func clusterHosts(ctx context.Context, cfg Config) ([]string, error) {
	conn, err := connect(cfg, cfg.Addrs, "default")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, `SELECT host_address, port FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num`, cfg.Cluster)
	if err != nil {
		return nil, fmt.Errorf("list the servers of cluster %s: %w", cfg.Cluster, err)
	}
	defer rows.Close()
	var hosts []string
	for rows.Next() {
		var host string
		var port uint16
		if err := rows.Scan(&host, &port); err != nil {
			return nil, fmt.Errorf("list the servers of cluster %s: %w", cfg.Cluster, err)
		}
		hosts = append(hosts, net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the servers of cluster %s: %w", cfg.Cluster, err)
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("no cluster %q in system.clusters of %s (see remote_servers in the server's configuration)", cfg.Cluster, cfg.Addrs[0])
	}
	return hosts, nil
}

// schema renders a migration's statements for cfg.
func schema(cfg Config, body string) ([]string, error) {
	local := func(name string) string {
		if cfg.Cluster != "" {
			return name + "_local"
		}
		return name
	}
	funcs := template.FuncMap{
		"t": local,
		"dist": func(name, key string) string {
			if cfg.Cluster == "" {
				return ""
			}
			return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s AS %s ENGINE = Distributed('%s', '%s', '%s', %s);",
				name, local(name), cfg.Cluster, cfg.Database, local(name), key)
		},
		"alter": func(name, change string) string {
			q := fmt.Sprintf("ALTER TABLE %s %s", local(name), change)
			if cfg.Cluster != "" {
				q += fmt.Sprintf(";\nALTER TABLE %s %s", name, change)
			}
			return q + ";"
		},
		"engine": func(table, engine string, args ...string) string {
			if cfg.Replicated {
				// {shard} and {replica} are the macros of each server's
				// configuration.
				zk := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s', '{replica}'", cfg.Database, local(table))
				return "Replicated" + engine + "(" + strings.Join(append([]string{zk}, args...), ", ") + ")"
			}
			return engine + "(" + strings.Join(args, ", ") + ")"
		},
	}
	tmpl, err := template.New("migration").Funcs(funcs).Parse(body)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, nil); err != nil {
		return nil, err
	}
	var out []string
	for _, st := range strings.Split(b.String(), ";\n") {
		var lines []string
		for l := range strings.Lines(st) {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, strings.TrimRight(l, "\n"))
			}
		}
		if q := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); q != "" {
			out = append(out, q)
		}
	}
	return out, nil
}

// migrateHost creates the database on the server at addr and applies the
// migrations it has not seen. Each statement may run more than once
// (IF NOT EXISTS), so receivers starting together need no lock.
func migrateHost(ctx context.Context, cfg Config, addr string) error {
	conn, err := connect(Config{User: cfg.User, Password: cfg.Password}, []string{addr}, "default")
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+cfg.Database+"`"); err != nil {
		return fmt.Errorf("create database %s: %w", cfg.Database, err)
	}
	conn.Close()
	if conn, err = connect(Config{User: cfg.User, Password: cfg.Password}, []string{addr}, cfg.Database); err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version UInt32, applied Int64) ENGINE = MergeTree() ORDER BY version`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var have uint32
	if err := conn.QueryRow(ctx, `SELECT max(version) FROM schema_version`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	// Numbers may leave gaps (migrations written on branches take numbers
	// apart): the newest one known is the highest number, not the count.
	nums := make([]int, len(names))
	for i, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		if nums[i], err = strconv.Atoi(num); err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
	}
	if len(nums) > 0 && int(have) > slices.Max(nums) {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d)", have, slices.Max(nums))
	}
	for i, name := range names {
		v := nums[i]
		if v <= int(have) {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		stmts, err := schema(cfg, string(body))
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		for _, q := range stmts {
			if err := conn.Exec(ctx, q); err != nil && !columnAdded(q, err) {
				return fmt.Errorf("migration %s: %w\n%s", name, err, q)
			}
		}
		b, err := conn.PrepareBatch(ctx, `INSERT INTO schema_version (version, applied)`)
		if err == nil {
			if err = b.Append(uint32(v), time.Now().UnixNano()); err == nil {
				err = b.Send()
			}
		}
		if err != nil {
			return fmt.Errorf("migration %s: record it: %w", name, err)
		}
	}
	return nil
}

// columnAdded reports whether err, of the statement q, says that the
// column q adds exists already: a migration run again (ClickHouse 18.16
// has no ADD COLUMN IF NOT EXISTS).
func columnAdded(q string, err error) bool {
	var ex *clickhouse.Exception
	return strings.HasPrefix(q, "ALTER TABLE ") && strings.Contains(q, " ADD COLUMN ") &&
		errors.As(err, &ex) && strings.Contains(ex.Message, "already exists")
}

// Close waits for the writes under way and closes the connections; every
// Ingest that returned had its rows acknowledged already.
func (s *Store) Close() error {
	var err error
	s.close.Do(func() {
		close(s.quit)
		s.wg.Wait()
		err = s.conn.Close()
	})
	return err
}

// Ready reports whether the server answers: an error wrapping
// store.ErrUnavailable when it does not (GET /healthz answers 503 then).
// In cluster mode it asks every shard, through a Distributed table.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse: %w", classify(err))
	}
	if s.cfg.Cluster != "" {
		var n uint64
		if err := s.conn.QueryRow(ctx, `SELECT count() FROM namespaces`).Scan(&n); err != nil {
			return fmt.Errorf("clickhouse cluster %s: %w", s.cfg.Cluster, classify(err))
		}
	}
	return nil
}

// Exception codes of ClickHouse that mean a server, shard or replica could
// not be reached or is overloaded for now: the same request may succeed
// later.
var unavailableCodes = map[int32]bool{
	159: true, // TIMEOUT_EXCEEDED
	202: true, // TOO_MANY_SIMULTANEOUS_QUERIES
	209: true, // SOCKET_TIMEOUT
	210: true, // NETWORK_ERROR
	252: true, // TOO_MANY_PARTS
	279: true, // ALL_CONNECTION_TRIES_FAILED
	285: true, // TOO_FEW_LIVE_REPLICAS
	286: true, // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
	319: true, // UNKNOWN_STATUS_OF_INSERT
	394: true, // QUERY_WAS_CANCELLED
	425: true, // SYSTEM_ERROR
}

// classify wraps an error that means the server or a shard is out of
// reach with store.ErrUnavailable.
func classify(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	var ex *clickhouse.Exception
	var ne net.Error
	switch {
	case errors.As(err, &ex) && unavailableCodes[ex.Code]:
	case errors.As(err, &ne), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, clickhouse.ErrAcquireConnTimeout):
	default:
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}
