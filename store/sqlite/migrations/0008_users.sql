-- 0008: the people who sign in to the web view (issue 19): users, known by
-- the email address their OpenID provider vouched for, the namespaces they
-- are members of, and their sessions, kept as SHA-256 hashes of the session
-- tokens (the token itself lives only in the browser's cookie).
CREATE TABLE users (
	email       TEXT PRIMARY KEY,
	last_ns     INTEGER REFERENCES namespaces(id), -- NULL: none yet
	last_access INTEGER NOT NULL,                  -- unix ns
	created     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE members (
	email   TEXT NOT NULL REFERENCES users(email),
	ns      INTEGER NOT NULL REFERENCES namespaces(id),
	created INTEGER NOT NULL,
	PRIMARY KEY (email, ns)
) WITHOUT ROWID;

CREATE TABLE sessions (
	hash    BLOB PRIMARY KEY,
	email   TEXT NOT NULL REFERENCES users(email),
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL                       -- unix ns
) WITHOUT ROWID;
CREATE INDEX sessions_email ON sessions (email);
