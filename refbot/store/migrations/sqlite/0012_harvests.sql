-- OAI-PMH harvests: per library and source, how the last one went and where the next one starts.
-- `datestamp` is the `from` of the next incremental harvest (the repository's own time of the
-- last successful harvest, at its granularity); '' until one has succeeded. `generation` is the
-- catalog generation the records went into: when another generation is served (a rebuild from
-- exports), the next harvest is a full one.
CREATE TABLE harvests (
    library      TEXT NOT NULL,
    source       TEXT NOT NULL,
    datestamp    TEXT NOT NULL DEFAULT '',
    generation   TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',       -- ok | failed
    full_harvest INTEGER NOT NULL DEFAULT 0,
    started_at   REAL NOT NULL,
    finished_at  REAL NOT NULL,
    read         INTEGER NOT NULL DEFAULT 0,
    added        INTEGER NOT NULL DEFAULT 0,
    updated      INTEGER NOT NULL DEFAULT 0,
    deleted      INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0,
    records      INTEGER NOT NULL DEFAULT 0,     -- the source's records in the index afterwards
    error        TEXT NOT NULL DEFAULT '',
    succeeded_at REAL,                           -- the last harvest that ended well
    PRIMARY KEY (library, source)
);
