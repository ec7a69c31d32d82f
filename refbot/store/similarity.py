"""Similarity checks as stored: the work on a ``similarity`` service request.

The request itself (who asked, in which language, pending or decided, who decided) is a row
of ``service_requests`` like every other desk service's, so the one rule of
:mod:`refbot.decisions.requests` — the first librarian wins — holds here too. This module keeps
what only a similarity check has (``similarity_checks``): the manuscript's key and facts, who
took the check, the percentage and the report's key, the automated check's progress at
Turnitin, and when the files were sent and deleted.

It wraps the :class:`refbot.store.Store` rather than joining its mixins, so nothing outside
this module needs to know it exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from refbot.store.database import Database, Row, Tx

KIND = "similarity"
"""The ``service_requests.kind`` of a similarity check."""


@dataclass(frozen=True)
class SimilarityCheck:
    """One check: its request's facts, the manuscript's, and how far the work has got."""

    id: int
    patron: str
    language: str
    status: str
    """The service request's status: pending, done (the report was sent), answered, rejected, withdrawn."""
    decided_by: str
    detail_filename: str
    manuscript: str
    mime_type: str
    size: int
    pages: int
    words: int
    has_text: bool
    claimed_by: str
    percent: float | None
    report: str
    waiting_report: str
    turnitin_id: str
    turnitin_pdf: str
    turnitin_state: str
    next_poll_at: float | None
    note: str
    sent_at: float | None
    created_at: float

    @property
    def stage(self) -> str:
        """What the console's list calls it: open, claimed, ready (awaiting approval), or done."""
        if self.status != "pending":
            return "done"
        if self.turnitin_state == "ready":
            return "ready"
        if self.turnitin_state in ("submit", "processing", "report"):
            return "checking"
        return "claimed" if self.claimed_by else "open"


@dataclass(frozen=True)
class NewCheck:
    """What refbot found in a manuscript before a librarian sees it."""

    manuscript: str
    mime_type: str
    size: int
    pages: int
    words: int
    has_text: bool
    automated: bool


_SELECT = (
    "SELECT s.id, s.patron, s.language, s.status, s.decided_by, s.detail, c.* FROM service_requests s"
    " JOIN similarity_checks c ON c.request_id = s.id"
)


class SimilarityStore:
    """Reads and writes of ``similarity_checks`` (and the similarity rows of ``service_requests``)."""

    def __init__(self, store: Database) -> None:
        self.store = store

    async def add(self, db: Tx, request_id: int, check: NewCheck) -> None:
        """Keep the work row of a new request (inside the transaction that created the request)."""
        state, poll = ("submit", self.store.clock()) if check.automated else ("", None)
        await db.execute(
            "INSERT INTO similarity_checks (request_id, manuscript, mime_type, size, pages, words, has_text,"
            " turnitin_state, next_poll_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (request_id) DO NOTHING",
            (request_id, check.manuscript, check.mime_type, check.size, check.pages, check.words,
             1 if check.has_text else 0, state, poll, self.store.clock()),
        )

    async def get(self, request_id: int, db: Tx | None = None) -> SimilarityCheck | None:
        """One check, inside ``db`` when given."""
        sql = f"{_SELECT} WHERE s.id = ?"
        row = await (db.fetchone(sql, (request_id,)) if db else self.store.fetchone(sql, (request_id,)))
        return _check(row) if row else None

    async def listed(self, limit: int = 200) -> list[SimilarityCheck]:
        """The newest checks, pending ones first, for the console."""
        rows = await self.store.fetchall(
            f"{_SELECT} ORDER BY CASE WHEN s.status = 'pending' THEN 0 ELSE 1 END, s.id DESC LIMIT ?", (limit,))
        return [_check(r) for r in rows]

    async def asked_since(self, patron: str, since: float) -> int:
        """How many checks a patron asked for since ``since`` (their quota counts these)."""
        row = await self.store.fetchone(
            "SELECT COUNT(*) AS n FROM service_requests WHERE kind = ? AND patron = ? AND created_at >= ?"
            " AND status != 'withdrawn'", (KIND, patron, since))
        return int(row["n"]) if row else 0

    async def claim(self, db: Tx, request_id: int, actor: str) -> str:
        """Take a check for ``actor`` unless a colleague has it; returns who holds it now."""
        await db.execute(
            "UPDATE similarity_checks SET claimed_by = ?, claimed_at = ? WHERE request_id = ? AND claimed_by = ''",
            (actor, self.store.clock(), request_id))
        row = await db.fetchone("SELECT claimed_by FROM similarity_checks WHERE request_id = ?", (request_id,))
        return str(row["claimed_by"]) if row else ""

    async def wait_for_report(self, db: Tx, request_id: int, actor: str, percent: float) -> None:
        """A librarian gave the percentage in words; their next document is the report."""
        await db.execute(
            "UPDATE similarity_checks SET waiting_report = ?, percent = ? WHERE request_id = ?",
            (actor, percent, request_id))

    async def waiting_for(self, actor: str) -> SimilarityCheck | None:
        """The pending check whose report this librarian said they would send next."""
        row = await self.store.fetchone(
            f"{_SELECT} WHERE c.waiting_report = ? AND s.status = 'pending' ORDER BY s.id DESC LIMIT 1", (actor,))
        return _check(row) if row else None

    async def record_result(self, db: Tx, request_id: int, percent: float, report: str, *, sent: bool) -> None:
        """Keep the percentage and the report's key; ``sent``: the patron was sent them now."""
        await db.execute(
            "UPDATE similarity_checks SET percent = ?, report = ?, waiting_report = '', sent_at = ?,"
            " turnitin_state = CASE WHEN turnitin_state = '' THEN '' ELSE ? END WHERE request_id = ?",
            (percent, report, self.store.clock() if sent else None, "done" if sent else "ready", request_id))

    # -- automated checks (Turnitin) ----------------------------------------------------------

    async def due(self, now: float, limit: int = 20) -> list[SimilarityCheck]:
        """Automated checks whose next step is due, oldest first."""
        rows = await self.store.fetchall(
            f"{_SELECT} WHERE c.turnitin_state IN ('submit', 'processing', 'report') AND s.status = 'pending'"
            " AND c.next_poll_at <= ? ORDER BY c.next_poll_at LIMIT ?", (now, limit))
        return [_check(r) for r in rows]

    async def advance(
        self, request_id: int, *, state: str, next_poll_at: float | None, turnitin_id: str | None = None,
        turnitin_pdf: str | None = None, note: str | None = None,
    ) -> None:
        """Move an automated check to its next step."""
        async with self.store.tx() as db:
            await self.advance_in(db, request_id, state=state, next_poll_at=next_poll_at, turnitin_id=turnitin_id,
                                  turnitin_pdf=turnitin_pdf, note=note)

    async def advance_in(
        self, db: Tx, request_id: int, *, state: str, next_poll_at: float | None, turnitin_id: str | None = None,
        turnitin_pdf: str | None = None, note: str | None = None,
    ) -> None:
        """:meth:`advance` inside the caller's transaction."""
        await db.execute(
            "UPDATE similarity_checks SET turnitin_state = ?, next_poll_at = ?,"
            " turnitin_id = COALESCE(?, turnitin_id), turnitin_pdf = COALESCE(?, turnitin_pdf),"
            " note = COALESCE(?, note) WHERE request_id = ?",
            (state, next_poll_at, turnitin_id, turnitin_pdf, note, request_id))

    # -- files: retention and erasure ---------------------------------------------------------

    async def files_to_delete(self, db: Tx, sent_before: float, closed_before: float) -> list[Row]:
        """Checks whose files are due to go: sent before ``sent_before``, or decided otherwise
        (answered in words, rejected, withdrawn) before ``closed_before``."""
        return await db.fetchall(
            "SELECT c.request_id, c.manuscript, c.report FROM similarity_checks c"
            " JOIN service_requests s ON s.id = c.request_id"
            " WHERE c.files_gone_at IS NULL AND ((c.sent_at IS NOT NULL AND c.sent_at < ?)"
            " OR (c.sent_at IS NULL AND s.status != 'pending' AND s.updated_at < ?))",
            (sent_before, closed_before))

    async def forget_files(self, db: Tx, request_ids: list[int]) -> None:
        """The files of these checks are deleted: their keys go, the time they went stays."""
        for request_id in request_ids:
            await db.execute(
                "UPDATE similarity_checks SET manuscript = '', report = '', files_gone_at = ? WHERE request_id = ?",
                (self.store.clock(), request_id))


def _check(row: Row) -> SimilarityCheck:
    detail = json.loads(row["detail"] or "{}")
    percent = row["percent"]
    return SimilarityCheck(
        id=int(row["id"]), patron=row["patron"], language=row["language"], status=row["status"],
        decided_by=row["decided_by"], detail_filename=str(detail.get("filename", "")), manuscript=row["manuscript"],
        mime_type=row["mime_type"], size=int(row["size"]), pages=int(row["pages"]), words=int(row["words"]),
        has_text=bool(row["has_text"]), claimed_by=row["claimed_by"],
        percent=float(percent) if percent is not None else None, report=row["report"],
        waiting_report=row["waiting_report"], turnitin_id=row["turnitin_id"], turnitin_pdf=row["turnitin_pdf"],
        turnitin_state=row["turnitin_state"],
        next_poll_at=float(row["next_poll_at"]) if row["next_poll_at"] is not None else None, note=row["note"],
        sent_at=float(row["sent_at"]) if row["sent_at"] is not None else None, created_at=float(row["created_at"]),
    )
