-- 0002: each span keeps the tags of the process that sent it (issue 13).
-- A namespace has few distinct tag sets (one per service and version
-- deployed): each is stored once in processes, keyed by a hash of its JSON
-- (the same on every receiver, so they need not agree on numbers), and a
-- span row holds only that key. Spans stored before hold 0: their service
-- is their app column. alter changes the table a shard stores and, in
-- cluster mode, the Distributed table in front of it; 18.16 has no ADD
-- COLUMN IF NOT EXISTS, so the runner takes a column that exists already
-- for one added.
{{alter "spans" "ADD COLUMN process UInt64 DEFAULT 0"}}

CREATE TABLE IF NOT EXISTS {{t "processes"}} (
	ns      String,
	id      UInt64,
	service String,
	tags    String
) ENGINE = {{engine "processes" "ReplacingMergeTree"}} ORDER BY (ns, id);
{{dist "processes" "cityHash64(ns, id)"}}
