-- 0003: the alert engine's state (issue 18): the rules set through the API
-- and, per alert, what each target acknowledged, so that a restarted
-- receiver sends no notification twice. A save inserts one row per record
-- changed, a deletion a row with deleted = 1; the newest row of a record
-- wins (updated), by merges and, until they happen, by the reader
-- (argMax).
CREATE TABLE IF NOT EXISTS {{t "alert_records"}} (
	ns      String,
	kind    String,
	key     String,
	body    String,
	deleted UInt8,
	updated Int64
) ENGINE = {{engine "alert_records" "ReplacingMergeTree" "updated"}} ORDER BY (ns, kind, key);
{{dist "alert_records" "cityHash64(ns, kind, key)"}}
