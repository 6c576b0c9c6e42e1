-- 0004: when the receiver last stored a copy of a span of each trace (unix
-- ns), to tell a trace whose process stopped publishing (killed, crashed)
-- from one that still runs: see store.AbandonAfter. Traces stored before
-- count as updated when their root ended (or started, while running).
ALTER TABLE traces ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;
UPDATE traces SET updated = start + duration;
