-- 0006: the alert engine's state (issue 18): the rules set through the API
-- and, per alert, what each target acknowledged, so that a restarted
-- receiver sends no notification twice. Rows are keyed by the namespace's
-- name, as the engine knows it; body is the engine's JSON.
CREATE TABLE alert_records (
	ns      TEXT NOT NULL,
	kind    TEXT NOT NULL,               -- rule | alert
	key     TEXT NOT NULL,
	body    TEXT NOT NULL,
	updated INTEGER NOT NULL,            -- unix ns
	PRIMARY KEY (ns, kind, key)
) WITHOUT ROWID;
