-- Similarity checks: a patron's manuscript, what refbot found in it, and the report sent back.
-- One per service request of kind 'similarity'; the request's status is the decision
-- (pending until the report is sent), this row is the work on it.

CREATE TABLE similarity_checks (
    request_id     INTEGER PRIMARY KEY REFERENCES service_requests (id),
    manuscript     TEXT NOT NULL DEFAULT '',     -- MediaStore key of the patron's file; '' once deleted
    mime_type      TEXT NOT NULL DEFAULT '',
    size           INTEGER NOT NULL DEFAULT 0,
    pages          INTEGER NOT NULL DEFAULT 0,
    words          INTEGER NOT NULL DEFAULT 0,
    has_text       INTEGER NOT NULL DEFAULT 1,   -- 0: a scanned PDF with no text layer
    claimed_by     TEXT NOT NULL DEFAULT '',     -- the librarian working on it (first one wins)
    claimed_at     REAL,
    percent        REAL,                         -- the similarity index, once known
    report         TEXT NOT NULL DEFAULT '',     -- MediaStore key of the report PDF; '' once deleted
    waiting_report TEXT NOT NULL DEFAULT '',     -- a librarian who sent HASIL# in words; their next document is the report
    turnitin_id    TEXT NOT NULL DEFAULT '',     -- the Turnitin submission, when checked automatically
    turnitin_pdf   TEXT NOT NULL DEFAULT '',     -- the report PDF Turnitin is rendering
    turnitin_state TEXT NOT NULL DEFAULT '',     -- '' (manual) | submit | processing | report | ready | failed
    next_poll_at   REAL,
    note           TEXT NOT NULL DEFAULT '',     -- why an automated check fell back to the librarians
    sent_at        REAL,                         -- when the patron was sent the report
    files_gone_at  REAL,                         -- when the manuscript and report were deleted
    created_at     REAL NOT NULL
);
CREATE INDEX similarity_checks_poll ON similarity_checks (turnitin_state, next_poll_at);
CREATE INDEX similarity_checks_sent ON similarity_checks (sent_at);
