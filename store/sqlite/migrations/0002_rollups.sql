-- 0002: per-minute rollups of finished spans, written at ingest in the
-- transaction that stores the spans, so that the dashboard, slow spans and
-- health read rows in proportion to span names and minutes, not to spans.
-- A span counts once, when its first finished copy arrives. The rows of
-- the spans already stored are filled in by Go code (backfillRollups) in
-- the same transaction as this script.
CREATE TABLE span_minutes (
	ns           INTEGER NOT NULL,
	minute       INTEGER NOT NULL,       -- unix ns of the minute's start
	name         TEXT NOT NULL,
	location     TEXT NOT NULL,
	app          TEXT NOT NULL,
	count        INTEGER NOT NULL,
	failed       INTEGER NOT NULL,
	roots        INTEGER NOT NULL,       -- spans without a parent
	roots_failed INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,       -- latest end, unix ns
	last_trace   BLOB NOT NULL,          -- its 20-byte KSUID
	max          INTEGER NOT NULL,       -- longest duration, ns
	max_trace    BLOB NOT NULL,
	hist         BLOB NOT NULL,          -- store.Histogram, binary form
	PRIMARY KEY (ns, minute, name, location, app)
) WITHOUT ROWID;

-- The error groups of each rollup's failures.
CREATE TABLE span_minute_errors (
	ns          INTEGER NOT NULL,
	minute      INTEGER NOT NULL,
	name        TEXT NOT NULL,
	location    TEXT NOT NULL,
	app         TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	PRIMARY KEY (ns, minute, name, location, app, fingerprint)
) WITHOUT ROWID;
