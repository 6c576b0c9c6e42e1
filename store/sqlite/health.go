package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spantree/spantree/store"
	msqlite "modernc.org/sqlite"
)

// SQLite's primary result codes the store acts on.
const (
	codeBusy    = 5  // SQLITE_BUSY
	codeCorrupt = 11 // SQLITE_CORRUPT
	codeFull    = 13 // SQLITE_FULL
	codeNotADB  = 26 // SQLITE_NOTADB
)

// probeEvery is how often Ready tries a write while writes fail for want of
// space, so that readiness comes back by itself when space does.
const probeEvery = time.Second

// health is what the store knows of its file: the last write's failure for
// want of space (cleared by the next write that succeeds) and damage found
// (kept until the process ends: a damaged file does not heal).
type health struct {
	mu        sync.Mutex
	full      error
	corrupt   error
	lastProbe time.Time
}

// classify wraps a SQLite error that means a full disk or a damaged file
// with store.ErrFull or store.ErrCorrupt, naming the file.
func (s *Store) classify(err error) error {
	var se *msqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case codeFull:
		return fmt.Errorf("%s: %w: %w", s.path, store.ErrFull, err)
	case codeCorrupt, codeNotADB:
		return fmt.Errorf("%s: %w: %w", s.path, store.ErrCorrupt, err)
	}
	return err
}

// noteWrite records the outcome of a write of spans and returns its error,
// classified.
func (s *Store) noteWrite(err error) error {
	err = s.classify(err)
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	switch {
	case err == nil:
		s.health.full = nil
	case errors.Is(err, store.ErrFull):
		s.health.full = err
		s.health.lastProbe = time.Now()
	case errors.Is(err, store.ErrCorrupt):
		s.health.corrupt = err
	}
	return err
}

// noteRead records damage that a read found and returns its error,
// classified.
func (s *Store) noteRead(err error) error {
	err = s.classify(err)
	if errors.Is(err, store.ErrCorrupt) {
		s.health.mu.Lock()
		s.health.corrupt = err
		s.health.mu.Unlock()
	}
	return err
}

// Ready reports whether the store takes writes: an error wrapping
// store.ErrCorrupt once damage was found, or store.ErrFull while writes
// fail for want of space. While full, it tries a one-row write at most once
// a second, and is ready again as soon as one succeeds (as it is after any
// write of spans that succeeds).
func (s *Store) Ready(ctx context.Context) error {
	s.health.mu.Lock()
	corrupt, full := s.health.corrupt, s.health.full
	probe := full != nil && time.Since(s.health.lastProbe) >= probeEvery
	if probe {
		s.health.lastProbe = time.Now()
	}
	s.health.mu.Unlock()
	if corrupt != nil {
		return corrupt
	}
	if !probe {
		return full
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	// Rewriting a row dirties a page: it takes room in the WAL, as a
	// write of spans does.
	_, err := s.w.ExecContext(ctx, `UPDATE schema_version SET version = version`)
	if err == nil {
		s.noteWrite(nil)
		return nil
	}
	if err = s.classify(err); errors.Is(err, store.ErrFull) {
		return s.noteWrite(err)
	}
	return full
}

// QuickCheck runs SQLite's quick_check over the database file and returns
// an error naming the file, wrapping store.ErrCorrupt, if the file is
// damaged. Its time grows with the file; bound it with ctx (an interrupted
// check returns ctx's error).
func (s *Store) QuickCheck(ctx context.Context) error {
	msg, err := s.quickCheck(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		if err = s.noteRead(err); errors.Is(err, store.ErrCorrupt) {
			return err
		}
		return fmt.Errorf("%s: quick_check: %w", s.path, err)
	}
	if msg != "ok" {
		return s.noteRead(fmt.Errorf("%s: %w: quick_check: %s", s.path, store.ErrCorrupt, msg))
	}
	return nil
}

// quickCheck returns what quick_check says: "ok", or its first findings.
func (s *Store) quickCheck(ctx context.Context) (string, error) {
	rows, err := s.r.QueryContext(ctx, `PRAGMA quick_check(3)`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		for l := range strings.Lines(line) {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "***") {
				found = append(found, l)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(found) == 0 {
		return "", errors.New("quick_check returned nothing")
	}
	return strings.Join(found, "; "), nil
}
