-- 0007: run numbers (issue 19): each trace is numbered when its first span
-- without a parent arrives, the next number of its run key, the tags (JSON,
-- keys sorted, service included) of the batch that carried that span, in
-- its namespace. run_seqs holds the last number given per key; the writer
-- takes the next one in the transaction that stores the root, so that
-- numbers are unique and leave no gaps (a rolled-back transaction takes
-- its numbers back), also with several processes writing the file. A trace
-- keeps its number when its spans are sent again; 0 is no number yet.
-- Traces stored before are numbered here, in the order they started.
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
