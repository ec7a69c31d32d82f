-- refbot's first schema: every arrow that crosses a process boundary is a row here first.

CREATE TABLE patrons (
    phone           TEXT PRIMARY KEY,
    name            TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT '',
    last_inbound_at REAL
);

-- One row per WhatsApp message received; the unique wamid makes redelivery harmless.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    wamid       TEXT NOT NULL UNIQUE,
    sender      TEXT NOT NULL,
    type        TEXT NOT NULL,
    message     TEXT NOT NULL,          -- the parsed InboundMessage as JSON
    received_at REAL NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',   -- pending | processing | done | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inbox_pending ON inbox (state, id);

-- A patron's question; at most one per inbound message.
CREATE TABLE requests (
    id          INTEGER PRIMARY KEY,
    inbox_id    INTEGER NOT NULL UNIQUE REFERENCES inbox (id),
    patron      TEXT NOT NULL,
    text        TEXT NOT NULL,
    language    TEXT NOT NULL,
    need        TEXT NOT NULL,          -- the InformationNeed as JSON
    created_at  REAL NOT NULL
);

-- At most one draft per request; an edit raises its version.
CREATE TABLE drafts (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL UNIQUE REFERENCES requests (id),
    status       TEXT NOT NULL DEFAULT 'pending',
    version      INTEGER NOT NULL DEFAULT 1,
    note         TEXT NOT NULL DEFAULT '',
    source_notes TEXT NOT NULL DEFAULT '[]',
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    decided_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX drafts_status ON drafts (status, id);

CREATE TABLE draft_items (
    draft_id   INTEGER NOT NULL REFERENCES drafts (id),
    version    INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    candidate  TEXT NOT NULL,           -- the Candidate as JSON
    score      TEXT NOT NULL,           -- the Score as JSON
    PRIMARY KEY (draft_id, version, position)
);

-- Messages to send; the idempotency key makes "send this once" a unique row.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idem_key        TEXT NOT NULL UNIQUE,
    recipient       TEXT NOT NULL,
    message         TEXT NOT NULL,      -- the OutgoingMessage as JSON
    draft_id        INTEGER,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending | sending | sent | delivered | read | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    wamid           TEXT,
    error           TEXT NOT NULL DEFAULT '',
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_wamid ON outbox (wamid);

-- Who did what, when: approvals, edits, rejections, failures.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    at      REAL NOT NULL,
    actor   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '{}'
);
