-- Outside sources kept close: Crossref answers cached by query, and a Zotero library's
-- collections and items copied in on a schedule so they are searched without a network call.

-- One remembered answer per source and normalised query (route, text and filters).
CREATE TABLE source_cache (
    source    TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,        -- the answer as JSON
    stored_at REAL NOT NULL,
    PRIMARY KEY (source, key)
);
CREATE INDEX source_cache_age ON source_cache (stored_at);

-- One row per Zotero library refbot copies ("groups/123"); version is the library version
-- of the last complete copy, so the next sync asks only for what changed since.
CREATE TABLE zotero_libraries (
    library    TEXT PRIMARY KEY,
    version    INTEGER NOT NULL DEFAULT 0,
    synced_at  REAL,
    error      TEXT NOT NULL DEFAULT ''
);

CREATE TABLE zotero_collections (
    library  TEXT NOT NULL,
    key      TEXT NOT NULL,
    name     TEXT NOT NULL,
    parent   TEXT NOT NULL DEFAULT '',
    version  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (library, key)
);

CREATE TABLE zotero_items (
    library    TEXT NOT NULL,
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0,
    item_type  TEXT NOT NULL,
    data       TEXT NOT NULL,       -- the item's Zotero JSON "data" object
    PRIMARY KEY (library, key)
);

-- Approved lists saved to Zotero, so a retried save finds the collection it made before.
CREATE TABLE zotero_saved (
    draft_id    INTEGER NOT NULL,
    library     TEXT NOT NULL,
    collection  TEXT NOT NULL,
    items       INTEGER NOT NULL DEFAULT 0,
    saved_at    REAL NOT NULL,
    PRIMARY KEY (draft_id, library)
);
