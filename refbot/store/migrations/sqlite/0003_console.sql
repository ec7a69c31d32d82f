-- The librarian console: accounts, who has taken which draft, and the effort of each answer.

-- People who sign in to the console. Passwords are kept only as scrypt hashes.
CREATE TABLE console_accounts (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL DEFAULT 'librarian' CHECK (role IN ('librarian', 'admin')),
    password_hash TEXT NOT NULL,
    created_at    REAL NOT NULL,
    session_epoch INTEGER NOT NULL DEFAULT 0   -- raised to end every session the account holds
);

-- Which librarian is working a draft, so colleagues pick another one.
CREATE TABLE console_claims (
    draft_id   INTEGER PRIMARY KEY REFERENCES drafts (id),
    account_id INTEGER NOT NULL REFERENCES console_accounts (id) ON DELETE CASCADE,
    taken_at   REAL NOT NULL
);

-- The READ scale (1 to 6) effort a librarian gave when answering, one per draft.
CREATE TABLE console_effort (
    draft_id   INTEGER PRIMARY KEY REFERENCES drafts (id),
    effort     INTEGER NOT NULL CHECK (effort BETWEEN 1 AND 6),
    account_id INTEGER REFERENCES console_accounts (id) ON DELETE SET NULL,
    set_at     REAL NOT NULL
);

-- Statistics read requests by time; the conversation page reads a patron's messages.
CREATE INDEX console_requests_created ON requests (created_at);
CREATE INDEX console_inbox_sender ON inbox (sender, id);
CREATE INDEX console_outbox_recipient ON outbox (recipient, id);
