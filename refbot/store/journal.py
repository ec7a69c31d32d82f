"""The webhook journal: every verified webhook body, written down before Meta gets its 200.

The webhook's one promise is that a body it has acknowledged is never lost, and Meta wants
that acknowledgement within milliseconds. So the web process does the least that keeps the
promise: it appends the raw body to this journal — its own SQLite file beside the store,
written by nobody else — and answers. The worker reads the journal in order and applies each
body to the store (:mod:`refbot.intake.applier`): messages become inbox rows (their unique wamid
absorbs Meta's redeliveries), statuses update the outbox.

Why a file of its own: the store is written by the web process and the worker alike, and
SQLite lets one writer in at a time. A webhook waiting behind a drafting transaction, with
SQLite's busy handler sleeping in growing steps, is what made acknowledgements slow under
load. The journal has one writer, so an append never waits for a lock; an append is a single
small INSERT (WAL, ``synchronous=NORMAL``: durable against a crash of the process, as the
store is), cheap enough to run on the event loop without a thread hop.

The worker records how far it has applied the journal in the store, in the same place as
what it applied; the web process deletes the applied rows now and then (:meth:`trim`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from pathlib import Path

from refbot.models import JournalEntry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after a trim empties the table
    received_at REAL NOT NULL,
    body        BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS identity (name TEXT NOT NULL);
INSERT INTO identity (name) SELECT lower(hex(randomblob(8))) WHERE NOT EXISTS (SELECT 1 FROM identity);
"""
TRIM_CHUNK = 100
"""Rows deleted per statement when trimming: a webhook waits for at most one such statement."""


def journal_path(store_path: Path) -> Path:
    """Where the journal of the store at ``store_path`` lives: beside it (``refbot.sqlite3`` → ``refbot.webhooks.sqlite3``)."""
    return store_path.with_name(f"{store_path.stem}.webhooks{store_path.suffix or '.sqlite3'}")


class WebhookJournal:
    """One connection to the journal file; the web process appends and trims, the worker reads.

    Calls are blocking and short; a lock makes one connection safe to share between the
    event loop and the threads the worker reads from.
    """

    identity: str
    """Names this journal file; the store keeps its progress per journal, so a journal deleted and
    started afresh (ids from 1 again) is read from its beginning rather than skipped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10.0)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA secure_delete=ON")  # trimmed bodies are zeroed, not left in free pages
            # Checkpoints (copying the WAL into the file, with an fsync) would otherwise run
            # inside whichever append crosses 1,000 pages; :meth:`checkpoint` runs them apart.
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")  # the web process and worker may both create it
            self.identity = self._db.execute("SELECT name FROM identity ORDER BY rowid LIMIT 1").fetchone()[0]

    def append(self, body: bytes, received_at: float | None = None) -> int:
        """Write one webhook body down; returns its journal id (ids grow in arrival order)."""
        at = time.time() if received_at is None else received_at
        with self._lock:
            cur = self._db.execute("INSERT INTO webhooks (received_at, body) VALUES (?, ?)", (at, body))
        return int(cur.lastrowid or 0)

    def read_after(self, after: int, limit: int) -> list[JournalEntry]:
        """Up to ``limit`` entries with an id above ``after``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, received_at, body FROM webhooks WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
            ).fetchall()
        return [JournalEntry(int(i), float(at), bytes(body)) for i, at, body in rows]

    def oldest_after(self, after: int) -> float | None:
        """When the oldest entry above ``after`` (the first not yet applied) arrived; None when there is none."""
        with self._lock:
            row = self._db.execute(
                "SELECT received_at FROM webhooks WHERE id > ? ORDER BY id LIMIT 1", (after,)
            ).fetchone()
        return float(row[0]) if row else None

    def last_id(self) -> int:
        """The newest entry's id, trimmed or not; 0 when nothing was ever written."""
        with self._lock:
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'webhooks'").fetchone()
        return int(row[0]) if row else 0

    def trim(self, upto: int) -> int:
        """Delete the entries up to and including ``upto`` (already applied); returns how many."""
        deleted = 0
        while True:
            with self._lock:
                cur = self._db.execute(
                    "DELETE FROM webhooks WHERE id IN (SELECT id FROM webhooks WHERE id <= ? ORDER BY id LIMIT ?)",
                    (upto, TRIM_CHUNK),
                )
            deleted += cur.rowcount
            if cur.rowcount < TRIM_CHUNK:
                return deleted

    def checkpoint(self, *, empty: bool = False) -> None:
        """Copy the WAL into the journal file so the WAL does not grow without end.

        On a connection of its own, so appends go on meanwhile: a passive checkpoint never
        blocks the writer. With ``empty``, the WAL is also emptied (``TRUNCATE``), so bodies
        already trimmed — an erased patron's messages among them — are in no file any more;
        that waits a moment for appends in progress.
        """
        with contextlib.closing(sqlite3.connect(str(self.path), timeout=10.0)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)" if empty else "PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
