// Package sqlite is the default storage engine of the receiver: an embedded
// SQLite database in one file.
//
// The driver is modernc.org/sqlite, SQLite translated to pure Go: the
// receiver builds with CGO_ENABLED=0 and needs no C toolchain, it is mature
// (it runs SQLite's own test suite) and it speaks database/sql. It is slower
// than the C library through cgo, which group commit (below) makes up for.
//
// The database runs in WAL mode with synchronous=NORMAL: a committed
// transaction is in the WAL file, in the operating system's hands, before
// Ingest returns, so killing the server (kill -9) loses nothing that was
// acknowledged; only a power loss or kernel crash can lose the last
// transactions. Schema changes are numbered migrations (migrations/*.sql,
// embedded) recorded in the schema_version table.
//
// Writes of spans go through one writer goroutine that gathers the Ingest
// calls waiting at that moment into one transaction (group commit): each
// caller still returns only after its spans are committed, and one fsync-free
// WAL commit serves many requests. A transaction holds at most maxTxSpans
// spans: a larger batch is written in several, taking turns with the other
// callers, so that nobody waits behind it. The callers encode their spans
// (wire JSON, error fingerprints) before handing them over, so that the one
// writer does little but SQL: the span inserts, 64 rows a statement, go to
// the driver's connection directly (execRaw), and a row's data column holds
// only what its other columns do not (storedData). The same transaction
// adds the spans to the per-minute rollups (table span_minutes, see
// [store.Rollup]); a temporary trigger on the writer's connection notes the
// spans that replace a finished copy of themselves, which the rollups have
// counted already. The WAL is copied into the database by passive
// checkpoints on a goroutine of their own, every second and whenever it
// passes half of walLimit (64 MiB), and kept under walLimit by a truncating
// checkpoint that the writer runs between transactions (boundWAL).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spantree/spantree/store"
	msqlite "modernc.org/sqlite" // also registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a [store.Store] on one SQLite file. Use [Open] to make one.
type Store struct {
	path string
	w    *sql.DB // writes: the group committer's connection and one more
	r    *sql.DB // reads
	// wconn is the group committer's connection (for tests).
	wconn *sql.Conn

	reqs    chan *ingestReq
	quit    chan struct{}
	stopped chan struct{}
	close   sync.Once
	ckpt    sync.Mutex // held by a checkpoint under way
	// kick asks checkpoint for a passive checkpoint at once (boundWAL).
	kick chan struct{}

	keys sync.Map // [32]byte key hash -> keyEntry, after a lookup

	health health
}

var _ store.Store = (*Store)(nil)

// ErrClosed is returned by Ingest after Close.
var ErrClosed = errors.New("sqlite store closed")

// busyTimeout is how long a connection waits for a lock another one holds.
const busyTimeout = 10 * time.Second

// Open opens (creating it if needed) the database at path, brings its schema
// up to date and starts the writer. Close it when done.
//
// A database file that does not exist yet is created readable and writable
// by its owner only (0600); SQLite gives its WAL and shared-memory files the
// same mode. The mode of an existing file is left as it is.
func Open(path string) (*Store, error) {
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	// busy_timeout comes first, so that even switching to WAL waits for
	// another process opening the same new database. wal_autocheckpoint(0):
	// checkpoints (which fsync) run in their own goroutine (checkpoint),
	// never inside a commit that callers wait on.
	dsn := "file:" + path + "?_pragma=busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + ")&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=wal_autocheckpoint(0)&_pragma=cache_size(-65536)&_pragma=temp_store(2)"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	// One connection for the group committer, one for the rare other
	// writes (keys, annotations), which wait on busy_timeout.
	w.SetMaxOpenConns(2)
	if err := migrateWith(dsn); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s := &Store{
		path:    path,
		w:       w,
		r:       r,
		reqs:    make(chan *ingestReq, 256),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
		kick:    make(chan struct{}, 1),
	}
	wr, err := newWriter(context.Background(), w)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	s.wconn = wr.conn
	go s.run(wr)
	go s.checkpoint()
	return s, nil
}

// createPrivate creates an empty file at path with mode 0600 if there is
// none; SQLite takes an empty file as a new database.
func createPrivate(path string) error {
	if path == "" || strings.HasPrefix(path, ":") {
		return nil // in memory
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// Close waits for the writer to finish the writes under way and closes the
// database.
func (s *Store) Close() error {
	var err error
	s.close.Do(func() {
		close(s.quit)
		<-s.stopped
		err = errors.Join(s.r.Close(), s.w.Close())
	})
	return err
}

// walLimit is the size of the WAL file over which the writer checkpoints it
// whole and truncates it (boundWAL). A variable for the tests.
var walLimit int64 = 64 << 20

// walBusyWait bounds how long that checkpoint waits for readers that still
// read older pages of the WAL, and walRetry how soon it is tried again after
// they kept it waiting: a long read delays the truncation, it never blocks
// the writer for longer than walBusyWait.
const (
	walBusyWait = 100 * time.Millisecond
	walRetry    = time.Second
)

// boundWAL runs between transactions, on the writer's connection. Under
// sustained writes the passive checkpoint (checkpoint) copies the WAL into
// the database but never finds a moment when the WAL can start over, so it
// grows without end (2.65 GB after 60s at 43k spans/s). Once it passes
// walLimit, boundWAL checkpoints it with TRUNCATE, which the writer can do
// between two of its own transactions: it copies what the passive
// checkpoint has not copied yet and empties the file.
func (s *Store) boundWAL(w *writer) {
	if time.Now().Before(w.walNext) {
		return
	}
	fi, err := os.Stat(s.path + "-wal")
	if err != nil || fi.Size() <= walLimit/2 {
		return
	}
	if fi.Size() <= walLimit {
		// Half way: the checkpoint goroutine copies the WAL into the
		// database now, on the other core, so that the truncation
		// below finds little left to copy on the writer's time (it
		// copied half of the WAL itself: 9% of the writer's time).
		select {
		case s.kick <- struct{}{}:
		default:
		}
		return
	}
	// A passive checkpoint under way would make this one busy: wait for
	// it to finish its copying, which leaves this one little to do.
	s.ckpt.Lock()
	defer s.ckpt.Unlock()
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", walBusyWait.Milliseconds())); err != nil {
		return
	}
	var busy, frames, copied int
	err = w.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
	w.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds()))
	if err != nil || busy != 0 {
		w.walNext = time.Now().Add(walRetry)
	}
}

// checkpoint copies the WAL into the database file every second, and when
// the writer asks (boundWAL), without blocking the writer (PASSIVE);
// SQLite starts the WAL over once a checkpoint has caught up, which keeps
// it from growing without end.
func (s *Store) checkpoint() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stopped:
			return
		case <-t.C:
		case <-s.kick:
		}
		s.ckpt.Lock()
		_, err := s.w.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		s.ckpt.Unlock()
		if err != nil {
			select {
			case <-s.quit:
				return // closed
			default:
				// A full disk or a busy file: try again at the next
				// tick, or the WAL would grow for ever once it clears.
			}
		}
	}
}

// backfills are Go steps of migrations, run after the migration's script in
// its transaction: data that SQL alone cannot compute.
var backfills = map[int]func(context.Context, *sql.Tx) error{
	2: backfillRollups,
	3: backfillRollups,
	9: backfillHours,
}

// migrateWith migrates the database of dsn through a connection whose
// transactions take the write lock when they begin (BEGIN IMMEDIATE), so
// that processes opening a new or old database at the same time apply each
// migration once: the others wait (busy_timeout), then see it applied.
//
// A new file's first statements, while another process switches it to WAL,
// can get SQLITE_BUSY at once (SQLite does not wait where waiting could
// deadlock): the migration is tried again, for up to busyTimeout.
func migrateWith(dsn string) error {
	db, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	deadline := time.Now().Add(busyTimeout)
	for {
		err := migrate(context.Background(), db)
		var se *msqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != codeBusy || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// migrate applies the numbered migrations the database has not seen, each
// in its own transaction, which checks again under the write lock that no
// other process applied it meanwhile.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	// Numbers may leave gaps (migrations written on branches take numbers
	// apart): the newest one known is the highest number, not the count.
	known := 0
	for _, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		known = max(known, v)
		if v <= have {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		var now int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&now); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: read schema version: %w", name, err)
		}
		if v <= now {
			tx.Rollback() // another process applied it
			have = now
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if fill := backfills[v]; fill != nil {
			if err := fill(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s: %w", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	if have > known {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d)", have, known)
	}
	return nil
}
