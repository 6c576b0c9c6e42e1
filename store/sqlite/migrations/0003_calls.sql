-- 0003: a folded span (one with "fold") stands for fold.count calls of its
-- function; the error groups and the rollups count calls, not rows. The
-- column is filled in from the spans' JSON, and the rollups are computed
-- again from the spans by Go code (backfillRollups) in the same transaction.
ALTER TABLE spans ADD COLUMN calls INTEGER NOT NULL DEFAULT 1;
UPDATE spans SET calls = max(1, json_extract(data, '$.fold.count'))
	WHERE json_extract(data, '$.fold.count') > 1;
DELETE FROM span_minutes;
DELETE FROM span_minute_errors;
-- The error groups sum the calls of their spans from the index alone.
DROP INDEX spans_fingerprint;
CREATE INDEX spans_fingerprint ON spans (ns, fingerprint, calls) WHERE fingerprint IS NOT NULL;
