-- 0005: each span keeps the tags of the process that sent it (issue 13):
-- the spans of a distributed trace come from several processes, each with
-- its own service and version. A namespace has few distinct tag sets (one
-- per service and version deployed), so each is stored once, numbered from
-- 1 within the namespace, and a span row holds only its number (one or two
-- bytes), not the tags. Spans stored before hold 0: their service is their
-- app column, their other tags are their trace's.
CREATE TABLE processes (
	ns      INTEGER NOT NULL,
	id      INTEGER NOT NULL,
	service TEXT NOT NULL,               -- the "service" tag
	tags    TEXT NOT NULL,               -- JSON object, keys sorted
	PRIMARY KEY (ns, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX processes_tags ON processes (ns, tags);
ALTER TABLE spans ADD COLUMN process INTEGER NOT NULL DEFAULT 0;
