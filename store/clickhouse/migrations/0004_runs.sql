-- 0004: run numbers (issue 19). ClickHouse has no transaction and no
-- atomic counter, and several receivers may write one database, so a
-- trace's number is not stored: it is its rank among the traces of its run
-- key, computed when read (runs.go). Each batch that carries a span without
-- a parent adds one row per trace: the run key (processID of the batch's
-- tags) and when the receiver stored it (first, unix ns; ver makes the
-- earliest copy the one merges keep, and readers take min(first) anyway).
-- The rows are sharded by key, so that ranking one key reads one shard, and
-- not partitioned: retention keeps them, so that deleting old traces
-- renumbers none.
CREATE TABLE IF NOT EXISTS {{t "run_roots"}} (
	ns    String,
	key   UInt64,
	trace FixedString(16),
	first Int64,
	ver   UInt64
) ENGINE = {{engine "run_roots" "ReplacingMergeTree" "ver"}} ORDER BY (ns, key, trace);
{{dist "run_roots" "cityHash64(ns, key)"}}
