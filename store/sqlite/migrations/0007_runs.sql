-- 0007: run numbers (issue 19): each trace is numbered when its root
-- becomes a span without a parent, the next number of its run key: its
-- tags then (JSON, keys sorted, service included), those of the batch that
-- carried that span, in its namespace. run_seqs holds the last number given
-- per key; the triggers below take the next one in the statement that
-- stores the root, inside the writer's transaction, so that numbers are
-- unique and leave no gaps (a rolled-back transaction takes its numbers
-- back), also with several processes writing the file. A trace keeps its
-- number when its spans are sent again; 0 is no number yet. Traces stored
-- before are numbered here, in the order they started. Triggers rather than
-- statements of the writer: three statements more per trace cost 20% of the
-- ingest of one-span traces (BenchmarkIngest/roots). They use no OR IGNORE:
-- the conflict policy of the upsert that fires them would override it.
CREATE TABLE run_seqs (
	ns   INTEGER NOT NULL,
	tags TEXT NOT NULL,                  -- the run key
	last INTEGER NOT NULL,               -- the last number given
	PRIMARY KEY (ns, tags)
) WITHOUT ROWID;
ALTER TABLE traces ADD COLUMN run INTEGER NOT NULL DEFAULT 0;
UPDATE traces SET run = n.run FROM
	(SELECT rowid AS r, ROW_NUMBER() OVER (PARTITION BY ns, tags ORDER BY start, rowid) AS run
		FROM traces WHERE root_parent = 0) AS n
	WHERE traces.rowid = n.r;
INSERT INTO run_seqs (ns, tags, last) SELECT ns, tags, MAX(run) FROM traces WHERE run > 0 GROUP BY ns, tags;
CREATE INDEX traces_run ON traces (ns, run) WHERE run > 0;
CREATE TRIGGER traces_run_insert AFTER INSERT ON traces WHEN NEW.root_parent = 0 AND NEW.run = 0
BEGIN
	INSERT INTO run_seqs (ns, tags, last) SELECT NEW.ns, NEW.tags, 0
		WHERE NOT EXISTS (SELECT 1 FROM run_seqs WHERE ns = NEW.ns AND tags = NEW.tags);
	UPDATE run_seqs SET last = last + 1 WHERE ns = NEW.ns AND tags = NEW.tags;
	UPDATE traces SET run = (SELECT last FROM run_seqs WHERE ns = NEW.ns AND tags = NEW.tags) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER traces_run_update AFTER UPDATE OF root_parent ON traces WHEN NEW.root_parent = 0 AND NEW.run = 0
BEGIN
	INSERT INTO run_seqs (ns, tags, last) SELECT NEW.ns, NEW.tags, 0
		WHERE NOT EXISTS (SELECT 1 FROM run_seqs WHERE ns = NEW.ns AND tags = NEW.tags);
	UPDATE run_seqs SET last = last + 1 WHERE ns = NEW.ns AND tags = NEW.tags;
	UPDATE traces SET run = (SELECT last FROM run_seqs WHERE ns = NEW.ns AND tags = NEW.tags) WHERE rowid = NEW.rowid;
END;
