-- 0009: per-hour rollups beside the per-minute ones, written at ingest in
-- the same transaction, so that a window of hours or days reads a row per
-- hour and span name instead of sixty (store.ScanWindow). The rows of the
-- minutes already stored are summed into them by Go code
-- (backfillHours) in the same transaction as this script.
CREATE TABLE span_hours (
	ns           INTEGER NOT NULL,
	hour         INTEGER NOT NULL,       -- unix ns of the hour's start
	name         TEXT NOT NULL,
	location     TEXT NOT NULL,
	app          TEXT NOT NULL,
	count        INTEGER NOT NULL,
	failed       INTEGER NOT NULL,
	roots        INTEGER NOT NULL,
	roots_failed INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	last_trace   BLOB NOT NULL,
	max          INTEGER NOT NULL,
	max_trace    BLOB NOT NULL,
	hist         BLOB NOT NULL,
	PRIMARY KEY (ns, hour, name, location, app)
) WITHOUT ROWID;

CREATE TABLE span_hour_errors (
	ns          INTEGER NOT NULL,
	hour        INTEGER NOT NULL,
	name        TEXT NOT NULL,
	location    TEXT NOT NULL,
	app         TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	PRIMARY KEY (ns, hour, name, location, app, fingerprint)
) WITHOUT ROWID;
