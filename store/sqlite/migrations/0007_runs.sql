-- 0007: run numbers (issue 19): each trace is numbered when its first span
-- without a parent arrives, with the next number of its run key: the tags
-- (JSON, keys sorted, service included) of the batch that carried that
-- span, in its namespace. run_seqs holds the last number given per key.
-- The writer's upsert of the trace takes the next one (traceUpsert), and
-- the triggers below record it, all in the writer's transaction: numbers
-- are unique and leave no gaps (a rolled-back transaction gives its
-- numbers back), also with several processes writing the file. A trace
-- keeps its number when its spans are sent again; 0 is no number yet.
-- Traces stored before are numbered here, in the order they started. (In
-- the upsert and triggers rather than in statements of the writer: three
-- statements more per trace cost 20% of the ingest of one-span traces,
-- BenchmarkIngest/roots.)
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
CREATE TRIGGER traces_run_insert AFTER INSERT ON traces WHEN NEW.run > 0
BEGIN
	INSERT INTO run_seqs (ns, tags, last) VALUES (NEW.ns, NEW.tags, NEW.run)
		ON CONFLICT (ns, tags) DO UPDATE SET last = excluded.last;
END;
CREATE TRIGGER traces_run_update AFTER UPDATE OF run ON traces WHEN OLD.run = 0 AND NEW.run > 0
BEGIN
	INSERT INTO run_seqs (ns, tags, last) VALUES (NEW.ns, NEW.tags, NEW.run)
		ON CONFLICT (ns, tags) DO UPDATE SET last = excluded.last;
END;
