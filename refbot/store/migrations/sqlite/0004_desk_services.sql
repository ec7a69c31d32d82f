-- The desk's other services: snap-and-send answers, clearance letters, circulation requests
-- that wait for a librarian, library-card links and acquisition suggestions.

-- Anything besides a reference draft that a librarian decides on. One per inbound message.
CREATE TABLE service_requests (
    id          INTEGER PRIMARY KEY,
    inbox_id    INTEGER NOT NULL UNIQUE REFERENCES inbox (id),
    kind        TEXT NOT NULL,                     -- snap | letter | circulation | link
    patron      TEXT NOT NULL,
    language    TEXT NOT NULL DEFAULT 'id',
    status      TEXT NOT NULL DEFAULT 'pending',   -- pending | approved | answered | rejected | done
    detail      TEXT NOT NULL DEFAULT '{}',        -- what the service found, as JSON
    suggestion  TEXT NOT NULL DEFAULT '',          -- the answer refbot proposes to the librarian
    answer      TEXT NOT NULL DEFAULT '',          -- what the patron was finally sent
    decided_by  TEXT NOT NULL DEFAULT '',
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);
CREATE INDEX service_requests_open ON service_requests (kind, status, id);

-- A WhatsApp number linked to a library card (DAFTAR#cardnumber).
CREATE TABLE card_links (
    phone        TEXT PRIMARY KEY,
    cardnumber   TEXT NOT NULL,
    patron_id    TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'pending',  -- pending | linked | rejected
    code         TEXT NOT NULL DEFAULT '',         -- the confirmation code a librarian hands over
    attempts     INTEGER NOT NULL DEFAULT 0,
    request_id   INTEGER REFERENCES service_requests (id),
    confirmed_by TEXT NOT NULL DEFAULT '',
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL
);

-- A renewal asked for, written before Koha is called, so a crash cannot renew twice.
CREATE TABLE renewal_attempts (
    origin          TEXT NOT NULL,                 -- inbox:<id> of the message that asked
    barcode         TEXT NOT NULL,
    checkout_id     TEXT NOT NULL,
    renewals_before INTEGER NOT NULL,
    outcome         TEXT NOT NULL DEFAULT '',      -- the Renewal as JSON once known
    created_at      REAL NOT NULL,
    PRIMARY KEY (origin, barcode)
);

-- Acquisition suggestions (USUL#title or ISBN), listed for librarians.
CREATE TABLE suggestions (
    id         INTEGER PRIMARY KEY,
    inbox_id   INTEGER NOT NULL UNIQUE REFERENCES inbox (id),
    patron     TEXT NOT NULL,
    text       TEXT NOT NULL,
    isbn       TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'new',        -- new | ordered | declined
    created_at REAL NOT NULL
);
CREATE INDEX suggestions_status ON suggestions (status, id);

-- Clearance letters; the number is given when a librarian approves, the code when drafted.
CREATE TABLE letters (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL UNIQUE REFERENCES service_requests (id),
    code        TEXT NOT NULL UNIQUE,              -- verification code printed on the letter
    patron      TEXT NOT NULL,
    patron_id   TEXT NOT NULL,
    cardnumber  TEXT NOT NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'draft',     -- draft | issued | rejected
    year        INTEGER,
    seq         INTEGER,
    number      TEXT NOT NULL DEFAULT '',
    issued_at   REAL,
    path        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX letters_number ON letters (year, seq);
