-- 0001: the data model of store.Store on ClickHouse 18.16 and newer.
-- The file is a text/template: t "x" names the table a shard stores (x, or
-- x_local in cluster mode, where dist adds the Distributed table x in front
-- of it, sharded by the expression given); engine makes an engine
-- Replicated when asked.
-- Times are unix nanoseconds in Int64 (18.16 has no DateTime64); tables
-- that retention empties are partitioned by the day of their rows (Date).
-- Every statement may run again (IF NOT EXISTS): receivers that start
-- together all apply the migration, and the schema ends up the same.

-- Spans: one row per copy received; the newest finished copy wins (ver:
-- 1<<62 for a finished copy, plus the time received), by merges in the
-- background and, until they happen, by the readers (argMax by ver).
CREATE TABLE IF NOT EXISTS {{t "spans"}} (
	ns          String,
	trace       FixedString(16),
	span        FixedString(8),
	ksuid       FixedString(20),
	root        UInt8,
	name        String,
	location    String,
	app         String,
	start       Int64,
	duration    Int64,
	failed      UInt8,
	fingerprint String,
	calls       Int64,
	data        String,
	ver         UInt64,
	day         Date
) ENGINE = {{engine "spans" "ReplacingMergeTree" "ver"}} PARTITION BY toYYYYMMDD(day) ORDER BY (ns, trace, span);
{{dist "spans" "cityHash64(trace)"}}

-- Traces: what each batch says of its traces goes to trace_events (which
-- stores nothing) and is folded, by the materialized view, into one row
-- per trace and day whose aggregates are the same however often a span is
-- sent: the root is the argMin by (has a parent, start, span id, running,
-- newest first), the spans are counted distinct.
CREATE TABLE IF NOT EXISTS {{t "trace_events"}} (
	ns        String,
	trace     FixedString(16),
	day       Date,
	ksuid     FixedString(20),
	tags      String,
	tag_pairs Array(String),
	root      Tuple(FixedString(8), String, String, Int64, Int64, String),
	root_key  Tuple(UInt8, Int64, FixedString(8), UInt8, Int64),
	span      FixedString(8),
	name      String,
	failed    UInt8,
	received  Int64
) ENGINE = Null;
{{dist "trace_events" "cityHash64(trace)"}}

CREATE TABLE IF NOT EXISTS {{t "traces"}} (
	ns        String,
	trace     FixedString(16),
	day       Date,
	ksuid     AggregateFunction(argMin, FixedString(20), Int64),
	tags      AggregateFunction(argMin, String, Int64),
	tag_pairs AggregateFunction(groupUniqArrayArray, Array(String)),
	root      AggregateFunction(argMin, Tuple(FixedString(8), String, String, Int64, Int64, String), Tuple(UInt8, Int64, FixedString(8), UInt8, Int64)),
	spans     AggregateFunction(uniqExact, FixedString(8)),
	errors    AggregateFunction(uniqExactIf, FixedString(8), UInt8),
	names     AggregateFunction(groupUniqArray, String),
	updated   AggregateFunction(max, Int64)
) ENGINE = {{engine "traces" "AggregatingMergeTree"}} PARTITION BY toYYYYMMDD(day) ORDER BY (ns, trace);
{{dist "traces" "cityHash64(trace)"}}

CREATE MATERIALIZED VIEW IF NOT EXISTS {{t "traces_mv"}} TO {{t "traces"}} AS
	SELECT ns, trace, day, argMinState(ksuid, received) AS ksuid, argMinState(tags, received) AS tags,
		groupUniqArrayArrayState(tag_pairs) AS tag_pairs, argMinState(root, root_key) AS root,
		uniqExactState(span) AS spans, uniqExactIfState(span, failed) AS errors,
		groupUniqArrayState(name) AS names, maxState(received) AS updated
	FROM {{t "trace_events"}} GROUP BY ns, trace, day;

-- Per-minute rollups: each Ingest adds, per minute, name, location and app,
-- one row for the finished spans it stores for the first time, keyed by a
-- hash of those spans' ids (contrib). The same spans sent again, after a
-- failure between this insert and the spans' one, give the same row, which
-- the engine keeps once (readers use FINAL); spans already stored finished
-- are not counted again.
CREATE TABLE IF NOT EXISTS {{t "span_minutes"}} (
	ns           String,
	minute       Int64,
	name         String,
	location     String,
	app          String,
	contrib      FixedString(16),
	count        Int64,
	failed       Int64,
	roots        Int64,
	roots_failed Int64,
	last_seen    Int64,
	last_trace   FixedString(20),
	max          Int64,
	max_trace    FixedString(20),
	hist         String,
	fingerprints Array(String),
	day          Date
) ENGINE = {{engine "span_minutes" "ReplacingMergeTree"}} PARTITION BY toYYYYMMDD(day) ORDER BY (ns, minute, name, location, app, contrib);
{{dist "span_minutes" "cityHash64(contrib)"}}

-- Error groups: one event per grouped failure, folded into one row per
-- group of aggregates that a span sent again leaves as they were; of
-- occurrences at the same time, the one received last gives the message,
-- app, trace and version. A group
-- regressed when an event says so (regressed_at, the time received) after
-- its latest verdict. Error groups are kept whatever -retain says.
CREATE TABLE IF NOT EXISTS {{t "error_events"}} (
	ns               String,
	fingerprint      String,
	grouping_version UInt32,
	type             String,
	message          String,
	name             String,
	location         String,
	app              String,
	seen             Int64,
	trace            FixedString(20),
	version          String,
	regressed_at     Int64,
	received         Int64
) ENGINE = Null;
{{dist "error_events" "cityHash64(ns, fingerprint)"}}

CREATE TABLE IF NOT EXISTS {{t "error_groups"}} (
	ns               String,
	fingerprint      String,
	grouping_version AggregateFunction(max, UInt32),
	type             AggregateFunction(argMin, String, Int64),
	name             AggregateFunction(argMin, String, Int64),
	location         AggregateFunction(argMin, String, Int64),
	message          AggregateFunction(argMax, String, Tuple(Int64, Int64)),
	app              AggregateFunction(argMax, String, Tuple(Int64, Int64)),
	last_trace       AggregateFunction(argMax, FixedString(20), Tuple(Int64, Int64)),
	last_version     AggregateFunction(argMax, String, Tuple(Int64, Int64)),
	first_seen       AggregateFunction(min, Int64),
	last_seen        AggregateFunction(max, Int64),
	regressed_at     AggregateFunction(max, Int64)
) ENGINE = {{engine "error_groups" "AggregatingMergeTree"}} ORDER BY (ns, fingerprint);
{{dist "error_groups" "cityHash64(ns, fingerprint)"}}

CREATE MATERIALIZED VIEW IF NOT EXISTS {{t "error_groups_mv"}} TO {{t "error_groups"}} AS
	SELECT ns, fingerprint, maxState(grouping_version) AS grouping_version,
		argMinState(type, seen) AS type, argMinState(name, seen) AS name, argMinState(location, seen) AS location,
		argMaxState(message, (seen, received)) AS message, argMaxState(app, (seen, received)) AS app,
		argMaxState(trace, (seen, received)) AS last_trace, argMaxState(version, (seen, received)) AS last_version,
		minState(seen) AS first_seen, maxState(seen) AS last_seen, maxState(regressed_at) AS regressed_at
	FROM {{t "error_events"}} GROUP BY ns, fingerprint;

-- Verdicts: the latest one of a group wins.
CREATE TABLE IF NOT EXISTS {{t "annotations"}} (
	ns          String,
	fingerprint String,
	kind        String,
	severity    String,
	note        String,
	updated     Int64,
	version     String
) ENGINE = {{engine "annotations" "ReplacingMergeTree" "updated"}} ORDER BY (ns, fingerprint);
{{dist "annotations" "cityHash64(ns, fingerprint)"}}

-- Apps: each Ingest adds one event per batch.
CREATE TABLE IF NOT EXISTS {{t "app_events"}} (
	ns        String,
	app       String,
	version   String,
	spans     Int64,
	last_seen Int64,
	received  Int64
) ENGINE = Null;
{{dist "app_events" "cityHash64(ns, app)"}}

CREATE TABLE IF NOT EXISTS {{t "apps"}} (
	ns        String,
	app       String,
	spans     AggregateFunction(sum, Int64),
	last_seen AggregateFunction(max, Int64)
) ENGINE = {{engine "apps" "AggregatingMergeTree"}} ORDER BY (ns, app);
{{dist "apps" "cityHash64(ns, app)"}}

CREATE MATERIALIZED VIEW IF NOT EXISTS {{t "apps_mv"}} TO {{t "apps"}} AS
	SELECT ns, app, sumState(spans) AS spans, maxState(last_seen) AS last_seen
	FROM {{t "app_events"}} GROUP BY ns, app;

-- The versions of each app, in the order first seen.
CREATE TABLE IF NOT EXISTS {{t "app_versions"}} (
	ns      String,
	app     String,
	version String,
	first   AggregateFunction(min, Int64)
) ENGINE = {{engine "app_versions" "AggregatingMergeTree"}} ORDER BY (ns, app, version);
{{dist "app_versions" "cityHash64(ns, app)"}}

CREATE MATERIALIZED VIEW IF NOT EXISTS {{t "app_versions_mv"}} TO {{t "app_versions"}} AS
	SELECT ns, app, version, minState(received) AS first
	FROM {{t "app_events"}} WHERE version != '' GROUP BY ns, app, version;

-- Namespaces and API keys (SHA-256 hashes); a revoked key is a newer row
-- with revoked = 1.
CREATE TABLE IF NOT EXISTS {{t "namespaces"}} (
	name    String,
	created Int64
) ENGINE = {{engine "namespaces" "ReplacingMergeTree"}} ORDER BY name;
{{dist "namespaces" "cityHash64(name)"}}

CREATE TABLE IF NOT EXISTS {{t "api_keys"}} (
	hash    FixedString(32),
	ns      String,
	created Int64,
	revoked UInt8,
	ver     UInt64
) ENGINE = {{engine "api_keys" "ReplacingMergeTree" "ver"}} ORDER BY hash;
{{dist "api_keys" "cityHash64(hash)"}}
