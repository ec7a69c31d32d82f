-- Many processes on many machines: who claimed a row, chores run once for the whole cluster,
-- sign-in failures counted for every web node, the catalog generation each library serves,
-- and patrons' files, letters and exports where every node can read them.

-- The worker that claimed a row; a row of a worker that is gone is put back (refbot.worker.recovery).
ALTER TABLE inbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';

-- When each periodic chore last ran, whichever worker ran it.
CREATE TABLE chores (
    name    TEXT PRIMARY KEY,
    ran_at  REAL NOT NULL,
    ran_by  TEXT NOT NULL DEFAULT ''
);

-- Sign-in attempts counted against a username or an address (console throttling).
CREATE TABLE login_attempts (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL,
    at   REAL NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (key, at);

-- The catalog index generation each library serves, and what each node has switched to.
CREATE TABLE served_indexes (
    library    TEXT PRIMARY KEY,
    generation TEXT NOT NULL,
    set_at     REAL NOT NULL,
    set_by     TEXT NOT NULL DEFAULT ''
);
CREATE TABLE node_indexes (
    node       TEXT NOT NULL,
    library    TEXT NOT NULL,
    generation TEXT NOT NULL,
    seen_at    REAL NOT NULL,
    PRIMARY KEY (node, library)
);

-- Files kept in the database (patrons' media, letters, exports) when refbot runs on more than one node.
CREATE TABLE files (
    key        TEXT PRIMARY KEY,
    mime_type  TEXT NOT NULL DEFAULT '',
    size       INTEGER NOT NULL,
    data       BLOB NOT NULL,
    stored_at  REAL NOT NULL
);
