-- 0001: the data model of issue 6.
CREATE TABLE namespaces (
	id      INTEGER PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	tags    TEXT NOT NULL DEFAULT '{}',  -- JSON object
	created INTEGER NOT NULL             -- unix ns
);

-- API keys are kept as SHA-256 hashes; the key itself is shown once.
CREATE TABLE api_keys (
	hash    BLOB PRIMARY KEY,
	ns      INTEGER NOT NULL REFERENCES namespaces(id),
	created INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE apps (
	ns        INTEGER NOT NULL,
	name      TEXT NOT NULL,             -- the "service" tag
	versions  TEXT NOT NULL DEFAULT '[]',-- JSON array, in order seen
	spans     INTEGER NOT NULL DEFAULT 0,
	last_seen INTEGER NOT NULL,
	PRIMARY KEY (ns, name)
) WITHOUT ROWID;

-- A trace is keyed by the 16-byte payload of its id. The root is the span
-- with no parent or, failing that, the earliest span received. Rows are
-- stored in arrival order (rowid) and found through a unique index: random
-- ids as the clustering key would scatter every commit over the whole file.
CREATE TABLE traces (
	ns          INTEGER NOT NULL,
	id          BLOB NOT NULL,           -- 16 bytes
	ksuid       BLOB NOT NULL,           -- 20 bytes, as first seen
	tags        TEXT NOT NULL,           -- JSON object
	root_span   BLOB NOT NULL,
	root_parent INTEGER NOT NULL,        -- 1 when the root has a parent
	name        TEXT NOT NULL,
	app         TEXT NOT NULL,
	start       INTEGER NOT NULL,        -- unix ns
	duration    INTEGER NOT NULL,        -- ns, 0 while running
	status      TEXT NOT NULL
);
CREATE UNIQUE INDEX traces_id ON traces (ns, id);
CREATE INDEX traces_start ON traces (ns, start);

-- Spans are stored in arrival order, so the spans of a trace, which mostly
-- arrive together, share pages; the unique index finds them by trace. (A
-- WITHOUT ROWID table keyed by trace id made ingest slow down with size:
-- every commit rewrote pages all over the file.)
CREATE TABLE spans (
	ns          INTEGER NOT NULL,
	trace       BLOB NOT NULL,
	span        BLOB NOT NULL,
	root        INTEGER NOT NULL,        -- 1 when it has no parent
	name        TEXT NOT NULL,
	location    TEXT NOT NULL,
	app         TEXT NOT NULL,
	start       INTEGER NOT NULL,        -- unix ns
	duration    INTEGER,                 -- ns; NULL while running
	failed      INTEGER NOT NULL,
	fingerprint TEXT,                    -- its error group, if grouped
	data        BLOB NOT NULL            -- the span's wire JSON
);
CREATE UNIQUE INDEX spans_id ON spans (ns, trace, span);
CREATE INDEX spans_start ON spans (ns, start);
CREATE INDEX spans_fingerprint ON spans (ns, fingerprint) WHERE fingerprint IS NOT NULL;

CREATE TABLE error_groups (
	ns               INTEGER NOT NULL,
	fingerprint      TEXT NOT NULL,
	grouping_version INTEGER NOT NULL,
	type             TEXT NOT NULL,
	message          TEXT NOT NULL,
	name             TEXT NOT NULL,
	location         TEXT NOT NULL,
	app              TEXT NOT NULL,
	first_seen       INTEGER NOT NULL,
	last_seen        INTEGER NOT NULL,
	last_trace       BLOB NOT NULL,      -- 20-byte KSUID
	last_version     TEXT NOT NULL,
	kind             TEXT,               -- annotation, NULL until judged
	severity         TEXT,
	note             TEXT,
	annotated        INTEGER,
	annotated_version TEXT,
	regressed        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (ns, fingerprint)
) WITHOUT ROWID;
CREATE INDEX error_groups_last_seen ON error_groups (ns, last_seen);
