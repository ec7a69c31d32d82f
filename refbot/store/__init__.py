"""refbot's durable state: SQLite in WAL mode behind one writer connection.

Every step of a question's life is a row here before anything else happens, so a crash at
any point loses nothing: on restart the worker resumes pending rows, and unique keys (the
WhatsApp message id, one request per message, one draft per request, one outbox row per
idempotency key) keep every effect exactly-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from refbot import codec
from refbot.models import (
    Candidate,
    Draft,
    DraftStatus,
    InboundMessage,
    InformationNeed,
    OutgoingMessage,
    Ranked,
    Score,
    StatusUpdate,
)

# WhatsApp's error for a free-form message outside the 24-hour customer-service window.
WINDOW_SHUT = "131047"
_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(frozen=True)
class InboxRow:
    """An inbound message claimed for work."""

    id: int
    message: InboundMessage
    attempts: int


@dataclass(frozen=True)
class OutboxRow:
    """A message due to be sent."""

    id: int
    idem_key: str
    message: OutgoingMessage
    attempts: int
    draft_id: int | None


@dataclass(frozen=True)
class Request:
    """A patron's question as stored."""

    id: int
    inbox_id: int
    patron: str
    text: str
    language: str
    need: InformationNeed
    created_at: float


class Store:
    """All of refbot's reads and writes, through one connection and one lock.

    SQLite allows one writer at a time; one connection behind an asyncio lock makes that
    explicit and keeps each transaction whole when many coroutines share the store.
    """

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self.clock = clock

    @classmethod
    async def open(cls, path: str | Path, clock: Callable[[], float] = time.time) -> Store:
        """Open (creating if needed) the database at ``path`` and apply migrations."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = aiosqlite.Row
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"):
            await db.execute(f"PRAGMA {pragma}")
        store = cls(db, clock)
        try:
            await store._migrate()
        except BaseException:
            await db.close()  # an open aiosqlite thread would keep the process alive
            raise
        return store

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    @contextlib.asynccontextmanager
    async def tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; commits on success, rolls back on any error."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        """Rows of a read-only query."""
        async with self._lock, self._db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def _migrate(self) -> None:
        await self._db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        async with self._db.execute("SELECT version FROM schema_migrations") as cur:
            done = {row[0] for row in await cur.fetchall()}
        folder = resources.files("refbot.store") / "migrations"
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            version = int(entry.name.split("_", 1)[0])
            if version in done:
                continue
            # executescript commits on its own, so the migration carries its own transaction.
            sql = _strip_comments(entry.read_text(encoding="utf-8"))
            async with self._lock:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_migrations (version) VALUES ({version});\nCOMMIT;"
                )

    # -- inbound ---------------------------------------------------------------------------

    async def record_inbound(self, message: InboundMessage) -> bool:
        """Store one inbound message; False when its wamid was already stored."""
        now = self.clock()
        async with self.tx() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO inbox (wamid, sender, type, message, received_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (message.wamid, message.sender, message.type, codec.dumps(message), now),
            )
            if cur.rowcount == 0:
                return False
            # Their writing reopens the 24-hour window: what waited for it may go now.
            await db.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = 0 WHERE recipient = ? AND state = 'held'",
                (message.sender,),
            )
            await db.execute(
                "INSERT INTO patrons (phone, name, last_inbound_at) VALUES (?, ?, ?)"
                " ON CONFLICT (phone) DO UPDATE SET last_inbound_at = excluded.last_inbound_at,"
                " name = CASE WHEN excluded.name != '' THEN excluded.name ELSE patrons.name END",
                (message.sender, message.sender_name, now),
            )
        return True

    async def reset_in_flight(self) -> int:
        """After a restart, put back every row a dead process had claimed."""
        async with self.tx() as db:
            a = await db.execute("UPDATE inbox SET state = 'pending' WHERE state = 'processing'")
            b = await db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")
            return a.rowcount + b.rowcount

    async def claim_inbox(self, limit: int) -> list[InboxRow]:
        """Claim up to ``limit`` pending inbound messages, oldest first."""
        async with self.tx() as db:
            async with db.execute(
                "SELECT id, message, attempts FROM inbox WHERE state = 'pending' ORDER BY id LIMIT ?",
                (limit,),
            ) as cur:
                rows = list(await cur.fetchall())
            await db.executemany(
                "UPDATE inbox SET state = 'processing', attempts = attempts + 1 WHERE id = ?",
                [(r["id"],) for r in rows],
            )
        return [InboxRow(r["id"], codec.loads(InboundMessage, r["message"]), r["attempts"] + 1) for r in rows]

    async def finish_inbox(self, inbox_id: int, db: aiosqlite.Connection | None = None) -> None:
        """Mark an inbound message handled (inside the caller's transaction when given)."""
        if db is not None:
            await db.execute("UPDATE inbox SET state = 'done' WHERE id = ?", (inbox_id,))
            return
        async with self.tx() as conn:
            await conn.execute("UPDATE inbox SET state = 'done' WHERE id = ?", (inbox_id,))

    async def retry_inbox(self, inbox_id: int, error: str, give_up: bool) -> None:
        """Put a message back for another try, or set it aside as failed."""
        state = "failed" if give_up else "pending"
        async with self.tx() as db:
            await db.execute("UPDATE inbox SET state = ?, error = ? WHERE id = ?", (state, error, inbox_id))

    async def inbox_counts(self) -> dict[str, int]:
        """How many inbound messages are in each state."""
        rows = await self.fetchall("SELECT state, COUNT(*) AS n FROM inbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    # -- requests and drafts ---------------------------------------------------------------

    async def create_request(self, inbox_id: int, patron: str, need: InformationNeed) -> Request:
        """The request for an inbound message, created once however often this is called."""
        async with self.tx() as db:
            await db.execute(
                "INSERT OR IGNORE INTO requests (inbox_id, patron, text, language, need, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (inbox_id, patron, need.raw, need.language, codec.dumps(need), self.clock()),
            )
        row = await self.fetchone("SELECT * FROM requests WHERE inbox_id = ?", (inbox_id,))
        assert row is not None
        return _request(row)

    async def get_request(self, request_id: int) -> Request | None:
        """One request by id."""
        row = await self.fetchone("SELECT * FROM requests WHERE id = ?", (request_id,))
        return _request(row) if row else None

    async def draft_for_request(self, request_id: int) -> Draft | None:
        """The draft made for a request, if any."""
        row = await self.fetchone("SELECT id FROM drafts WHERE request_id = ?", (request_id,))
        return await self.get_draft(row["id"]) if row else None

    async def insert_draft(
        self, db: aiosqlite.Connection, request_id: int, items: tuple[Ranked, ...], notes: tuple[str, ...]
    ) -> int | None:
        """Insert a request's draft inside the caller's transaction; None if it exists."""
        now = self.clock()
        cur = await db.execute(
            "INSERT OR IGNORE INTO drafts (request_id, source_notes, created_at, updated_at)"
            " VALUES (?, ?, ?, ?)",
            (request_id, json.dumps(list(notes), ensure_ascii=False), now, now),
        )
        if cur.rowcount == 0:
            return None
        draft_id = cur.lastrowid
        assert draft_id is not None
        await self.insert_items(db, draft_id, 1, items)
        return draft_id

    async def insert_items(
        self, db: aiosqlite.Connection, draft_id: int, version: int, items: tuple[Ranked, ...]
    ) -> None:
        """Store one version of a draft's items."""
        await db.executemany(
            "INSERT INTO draft_items (draft_id, version, position, candidate, score) VALUES (?, ?, ?, ?, ?)",
            [
                (draft_id, version, i, codec.dumps(r.candidate), codec.dumps(r.score))
                for i, r in enumerate(items)
            ],
        )

    async def get_draft(self, draft_id: int) -> Draft | None:
        """A draft with the items of its current version."""
        row = await self.fetchone(
            "SELECT d.*, r.patron, r.text, r.language FROM drafts d JOIN requests r ON r.id = d.request_id"
            " WHERE d.id = ?",
            (draft_id,),
        )
        if row is None:
            return None
        items = await self.fetchall(
            "SELECT candidate, score FROM draft_items WHERE draft_id = ? AND version = ? ORDER BY position",
            (draft_id, row["version"]),
        )
        return Draft(
            id=row["id"],
            request_id=row["request_id"],
            items=tuple(
                Ranked(codec.loads(Candidate, i["candidate"]), codec.loads(Score, i["score"])) for i in items
            ),
            status=DraftStatus(row["status"]),
            version=row["version"],
            note=row["note"],
            source_notes=tuple(json.loads(row["source_notes"])),
            language=row["language"],
            patron=row["patron"],
            question=row["text"],
        )

    async def draft_ids(self, status: DraftStatus | None = None) -> list[int]:
        """Ids of drafts, oldest first, optionally only those in one status."""
        if status is None:
            rows = await self.fetchall("SELECT id FROM drafts ORDER BY id")
        else:
            rows = await self.fetchall("SELECT id FROM drafts WHERE status = ? ORDER BY id", (status.value,))
        return [r["id"] for r in rows]

    # -- outbox ----------------------------------------------------------------------------

    async def enqueue(
        self, db: aiosqlite.Connection, key: str, message: OutgoingMessage, draft_id: int | None = None
    ) -> bool:
        """Queue a message inside the caller's transaction; False if that key was queued before."""
        now = self.clock()
        cur = await db.execute(
            "INSERT OR IGNORE INTO outbox (idem_key, recipient, message, draft_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (key, message.to, codec.dumps(message), draft_id, now, now),
        )
        return cur.rowcount > 0

    async def claim_outbox(self, limit: int) -> list[OutboxRow]:
        """Claim messages that are due to be sent."""
        async with self.tx() as db:
            async with db.execute(
                "SELECT id, idem_key, message, attempts, draft_id FROM outbox"
                " WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                (self.clock(), limit),
            ) as cur:
                rows = list(await cur.fetchall())
            await db.executemany(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?",
                [(r["id"],) for r in rows],
            )
        return [
            OutboxRow(r["id"], r["idem_key"], codec.loads(OutgoingMessage, r["message"]), r["attempts"] + 1, r["draft_id"])
            for r in rows
        ]

    async def mark_sent(self, row: OutboxRow, wamid: str) -> None:
        """Record a successful send; a draft whose patron list went out becomes sent."""
        async with self.tx() as db:
            await db.execute(
                "UPDATE outbox SET state = CASE WHEN state = 'sending' THEN 'sent' ELSE state END,"
                " wamid = ?, error = '', updated_at = ? WHERE id = ?",
                (wamid, self.clock(), row.id),
            )
            async with db.execute(
                "SELECT status, errors FROM early_statuses WHERE wamid = ? ORDER BY at", (wamid,)
            ) as cur:
                early = list(await cur.fetchall())
            for status in early:
                await self._apply_status(db, wamid, status["status"], status["errors"])
            if early:
                await db.execute("DELETE FROM early_statuses WHERE wamid = ?", (wamid,))
            if row.draft_id is not None and ":patron:" in row.idem_key:
                # The draft is sent once every part of the patron's list has gone out.
                await db.execute(
                    "UPDATE drafts SET status = 'sent', updated_at = ? WHERE id = ? AND status = 'approved'"
                    " AND NOT EXISTS (SELECT 1 FROM outbox WHERE draft_id = ? AND idem_key LIKE '%:patron:%'"
                    " AND state IN ('pending', 'sending'))",
                    (self.clock(), row.draft_id, row.draft_id),
                )

    async def mark_unsent(self, row: OutboxRow, error: str, retry_at: float | None) -> None:
        """Record a failed send: due again at ``retry_at``, or failed for good when None."""
        state = "pending" if retry_at is not None else "failed"
        async with self.tx() as db:
            await db.execute(
                "UPDATE outbox SET state = ?, error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
                (state, error, retry_at or 0, self.clock(), row.id),
            )
            await _event(db, self.clock(), "sender", "send_failed" if retry_at is None else "send_retry",
                         row.idem_key, {"error": error, "attempt": row.attempts})

    async def hold(self, row: OutboxRow, reason: str) -> None:
        """Park a message until its recipient writes again (their 24-hour window is shut)."""
        async with self.tx() as db:
            await db.execute(
                "UPDATE outbox SET state = 'held', error = ?, updated_at = ? WHERE id = ?", (reason, self.clock(), row.id)
            )

    async def last_inbound(self, phone: str) -> float | None:
        """When this person last wrote to the library, if ever."""
        row = await self.fetchone("SELECT last_inbound_at FROM patrons WHERE phone = ?", (phone,))
        return row["last_inbound_at"] if row else None

    async def held_without_template(self) -> list[tuple[str, float]]:
        """Recipients with parked messages, and when they last wrote (0: never)."""
        rows = await self.fetchall(
            "SELECT o.recipient, COALESCE(p.last_inbound_at, 0) AS last FROM outbox o"
            " LEFT JOIN patrons p ON p.phone = o.recipient WHERE o.state = 'held' GROUP BY o.recipient"
        )
        return [(r["recipient"], r["last"]) for r in rows]

    async def drafts_closing(self, now: float, margin: float) -> list[tuple[int, float]]:
        """Pending drafts whose patron's 24-hour window shuts within ``margin`` seconds."""
        rows = await self.fetchall(
            "SELECT d.id, p.last_inbound_at FROM drafts d JOIN requests r ON r.id = d.request_id"
            " JOIN patrons p ON p.phone = r.patron WHERE d.status = 'pending'"
            " AND p.last_inbound_at + 86400 > ? AND p.last_inbound_at + 86400 - ? <= ?",
            (now, margin, now),
        )
        return [(r["id"], r["last_inbound_at"]) for r in rows]

    async def questions_since(self, patron: str, since: float) -> int:
        """How many questions a patron has asked since ``since``."""
        row = await self.fetchone(
            "SELECT COUNT(*) AS n FROM requests WHERE patron = ? AND created_at >= ?", (patron, since)
        )
        return int(row["n"]) if row else 0

    async def record_status(self, update: StatusUpdate) -> bool:
        """Apply a delivery status to the outbox row it is about.

        A status can overtake the answer to the send it is about; then no row carries its
        wamid yet, and it is kept until :meth:`mark_sent` records that wamid. Returns whether
        a row was updated now.
        """
        if _STATUS_RANK.get(update.status) is None:
            return False
        errors = "; ".join(update.errors)
        async with self.tx() as db:
            found = await db.execute("SELECT 1 FROM outbox WHERE wamid = ?", (update.wamid,))
            if await found.fetchone() is None:
                await db.execute(
                    "INSERT INTO early_statuses (wamid, status, errors, at) VALUES (?, ?, ?, ?)",
                    (update.wamid, update.status, errors, self.clock()),
                )
                return False
            return await self._apply_status(db, update.wamid, update.status, errors)

    async def _apply_status(self, db: aiosqlite.Connection, wamid: str, status: str, errors: str) -> bool:
        if status == "failed" and errors.startswith(WINDOW_SHUT):
            # Sent outside the person's 24-hour window: park it until they write again.
            cur = await db.execute(
                "UPDATE outbox SET state = 'held', error = ?, updated_at = ? WHERE wamid = ?",
                (errors, self.clock(), wamid),
            )
            return cur.rowcount > 0
        # Statuses arrive out of order: never move a row backwards (read, then delivered).
        cur = await db.execute(
            "UPDATE outbox SET state = ?, error = CASE WHEN ? != '' THEN ? ELSE error END, updated_at = ?"
            " WHERE wamid = ? AND (CASE state WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2"
            " WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 0 END) < ?",
            (status, errors, errors, self.clock(), wamid, _STATUS_RANK[status]),
        )
        return cur.rowcount > 0

    async def outbox_rows(self, recipient: str | None = None) -> list[aiosqlite.Row]:
        """Outbox rows, oldest first, optionally for one recipient."""
        if recipient is None:
            return await self.fetchall("SELECT * FROM outbox ORDER BY id")
        return await self.fetchall("SELECT * FROM outbox WHERE recipient = ? ORDER BY id", (recipient,))

    # -- audit -----------------------------------------------------------------------------

    async def add_event(self, db: aiosqlite.Connection, actor: str, kind: str, subject: str, detail: dict[str, Any]) -> None:
        """Record who did what inside the caller's transaction."""
        await _event(db, self.clock(), actor, kind, subject, detail)

    async def events(self, subject: str | None = None) -> list[aiosqlite.Row]:
        """Audit events, oldest first."""
        if subject is None:
            return await self.fetchall("SELECT * FROM events ORDER BY id")
        return await self.fetchall("SELECT * FROM events WHERE subject = ? ORDER BY id", (subject,))


async def _event(db: aiosqlite.Connection, at: float, actor: str, kind: str, subject: str, detail: dict[str, Any]) -> None:
    await db.execute(
        "INSERT INTO events (at, actor, kind, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (at, actor, kind, subject, json.dumps(detail, ensure_ascii=False)),
    )


def _request(row: aiosqlite.Row) -> Request:
    return Request(
        id=row["id"],
        inbox_id=row["inbox_id"],
        patron=row["patron"],
        text=row["text"],
        language=row["language"],
        need=codec.loads(InformationNeed, row["need"]),
        created_at=row["created_at"],
    )


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
