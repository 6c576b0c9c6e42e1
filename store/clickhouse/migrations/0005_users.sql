-- 0005: the people who sign in to the web view (issue 19). ClickHouse has
-- no updates, so each is a ReplacingMergeTree of versions, read by its
-- newest row (argMax over ver) until merges keep only that one: a user's
-- row is written again at each sign-in and change of namespace, a session
-- again when it ends (ended = 1). Members are only ever added: a row per
-- (user, namespace), kept once. Sessions are SHA-256 hashes of their
-- tokens, as API keys are. Receivers in front of one database share all of
-- it, so a user signed in through one is signed in through all.
CREATE TABLE IF NOT EXISTS {{t "users"}} (
	email       String,
	last_ns     String,
	last_access Int64,
	created     Int64,
	ver         Int64
) ENGINE = {{engine "users" "ReplacingMergeTree" "ver"}} ORDER BY email;
{{dist "users" "cityHash64(email)"}}

CREATE TABLE IF NOT EXISTS {{t "members"}} (
	email   String,
	ns      String,
	created Int64
) ENGINE = {{engine "members" "ReplacingMergeTree"}} ORDER BY (email, ns);
{{dist "members" "cityHash64(email)"}}

CREATE TABLE IF NOT EXISTS {{t "sessions"}} (
	hash    FixedString(32),
	email   String,
	expires Int64,
	ended   UInt8,
	ver     Int64
) ENGINE = {{engine "sessions" "ReplacingMergeTree" "ver"}} ORDER BY hash;
{{dist "sessions" "cityHash64(hash)"}}
