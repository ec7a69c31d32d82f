-- How far the worker has applied each webhook journal (refbot/store/journal.py): entries up
-- to applied_upto are in the store; the web process may delete them from the journal.
CREATE TABLE journal_progress (
    journal      TEXT PRIMARY KEY,
    applied_upto INTEGER NOT NULL
);
