"""Patrons' questions (``requests``) and the drafts made for them, version by version.

A draft's items are kept per version (``draft_items``): an edit adds a version, and a
decision names the version it was made on, so two librarians acting at once cannot both win.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from refbot import codec
from refbot.models import Candidate, Confidence, Draft, DraftStatus, InformationNeed, Ranked, Score
from refbot.store.database import Database, Row, Tx


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


class DraftStore(Database):
    """Reads and writes of ``requests``, ``drafts`` and ``draft_items``."""

    async def create_request(self, inbox_id: int, patron: str, need: InformationNeed) -> Request:
        """The request for an inbound message, created once however often this is called."""
        async with self.tx() as db:
            await db.execute(
                "INSERT INTO requests (inbox_id, patron, text, language, need, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (inbox_id) DO NOTHING",
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
        self, db: Tx, request_id: int, items: tuple[Ranked, ...], notes: tuple[str, ...],
        confidence: Confidence | None = None,
    ) -> int | None:
        """Insert a request's draft inside the caller's transaction; None if it exists.

        ``confidence`` is kept as it was judged now: later edits change the items, not how sure
        refbot was of what it found.
        """
        now = self.clock()
        judged = codec.dumps(confidence) if confidence is not None else ""
        row = await db.fetchone(
            "INSERT INTO drafts (request_id, source_notes, confidence, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING RETURNING id",
            (request_id, json.dumps(list(notes), ensure_ascii=False), judged, now, now),
        )
        if row is None:
            return None
        draft_id = int(row["id"])
        await self.insert_items(db, draft_id, 1, items)
        return draft_id

    async def insert_items(
        self, db: Tx, draft_id: int, version: int, items: tuple[Ranked, ...]
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
            confidence=codec.loads(Confidence, row["confidence"]) if row["confidence"] else None,
        )

    async def draft_ids(self, status: DraftStatus | None = None) -> list[int]:
        """Ids of drafts, oldest first, optionally only those in one status."""
        if status is None:
            rows = await self.fetchall("SELECT id FROM drafts ORDER BY id")
        else:
            rows = await self.fetchall("SELECT id FROM drafts WHERE status = ? ORDER BY id", (status.value,))
        return [r["id"] for r in rows]

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

    async def has_request_for_inbox(self, inbox_id: int) -> bool:
        """Whether an inbound message already made a request."""
        return await self.fetchone("SELECT 1 FROM requests WHERE inbox_id = ?", (inbox_id,)) is not None

    async def request_text_for_reply(self, wamid: str, patron: str) -> str:
        """The question behind the list refbot sent as ``wamid`` to ``patron`` ('' if none)."""
        row = await self.fetchone(
            "SELECT r.text FROM outbox o JOIN drafts d ON d.id = o.draft_id JOIN requests r ON r.id = d.request_id"
            " WHERE o.wamid = ? AND r.patron = ?",
            (wamid, patron),
        )
        return str(row["text"] or "") if row else ""

    async def latest_approved_draft(self, patron: str) -> Draft | None:
        """The newest draft of a patron's that a librarian approved (sent or not)."""
        row = await self.fetchone(
            "SELECT d.id FROM drafts d JOIN requests r ON r.id = d.request_id"
            " WHERE r.patron = ? AND d.status IN ('approved', 'sent') ORDER BY d.id DESC LIMIT 1",
            (patron,),
        )
        return await self.get_draft(row["id"]) if row else None

    async def edit_draft_version(self, db: Tx, draft: Draft, version: int, note: str) -> bool:
        """Move a pending draft from its version to ``version`` with ``note``; False if it moved on first."""
        cur = await db.execute(
            "UPDATE drafts SET version = ?, note = ?, updated_at = ? WHERE id = ? AND version = ? AND status = 'pending'",
            (version, note, self.clock(), draft.id, draft.version),
        )
        return cur.rowcount > 0

    async def decide_draft(self, db: Tx, draft: Draft, status: DraftStatus, actor: str) -> bool:
        """Set a pending draft's status at its version; False when someone decided or edited it first."""
        # The version and status in the WHERE clause make two librarians' clicks race safely:
        # the second one changes nothing and is told so.
        cur = await db.execute(
            "UPDATE drafts SET status = ?, decided_by = ?, updated_at = ?"
            " WHERE id = ? AND version = ? AND status = 'pending'",
            (status.value, actor, self.clock(), draft.id, draft.version),
        )
        return cur.rowcount > 0

    async def draft_decided_by(self, draft_id: int) -> str:
        """Who decided a draft ('' when nobody has, or there is no such draft)."""
        row = await self.fetchone("SELECT decided_by FROM drafts WHERE id = ?", (draft_id,))
        return str(row["decided_by"] or "") if row else ""

    async def edit_already_made(self, draft_id: int, idem: str) -> bool:
        """Whether an edit of the draft was already made under the name ``idem``."""
        row = await self.fetchone(
            f"SELECT 1 FROM events WHERE kind = 'edit' AND subject = ? AND {self.dialect.json_text('detail', 'idem')} = ?",
            (f"draft:{draft_id}", idem),
        )
        return row is not None


def _request(row: Row) -> Request:
    return Request(
        id=row["id"],
        inbox_id=row["inbox_id"],
        patron=row["patron"],
        text=row["text"],
        language=row["language"],
        need=codec.loads(InformationNeed, row["need"]),
        created_at=row["created_at"],
    )
