"""What the desk actually gave each patron, read back: lists sent, letters issued, similarity results,
and a period's records.

The patron's history (``RIWAYAT``) and the librarians' downloads and exports read only here.
Everything is found by the patron's WhatsApp number, so it follows them to a new phone with
the same number and never reaches another number. Erasure (``HAPUS DATA``) and the retention
purge replace the number with a pseudonym (:mod:`refbot.store.privacy`), after which nothing
here finds those rows again; ``since`` (the retention cut-off) also leaves out what the purge
has not reached yet, so a read never shows what the desk has promised to forget.

A list counts only once it went out: its draft ``sent`` (every part of it reached WhatsApp),
never a draft that waits, was rejected or expired. A letter counts once its document did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from refbot import codec
from refbot.models import Candidate
from refbot.store import Store
from refbot.store.database import Row

ERASED = "erased:%"
"""How a number replaced by erasure or retention starts; such rows are nobody's history."""
_DELIVERED = "('sent', 'delivered', 'read')"


@dataclass(frozen=True)
class SentList:
    """One list a patron received: the question (request) and the draft that answered it."""

    request_id: int
    draft_id: int
    question: str
    language: str
    asked_at: float
    sent_at: float


@dataclass(frozen=True)
class SentLetter:
    """One clearance letter whose document reached the patron."""

    request_id: int
    number: str
    code: str
    issued_at: float


async def sent_lists(store: Store, patron: str, since: float, *, limit: int = 10,
                     request_id: int | None = None) -> list[SentList]:
    """The patron's lists that went out, newest first (only request ``request_id`` when given)."""
    only = " AND r.id = ?" if request_id is not None else ""
    params: tuple[Any, ...] = (patron, since) + ((request_id,) if request_id is not None else ()) + (limit,)
    rows = await store.fetchall(
        "SELECT r.id AS request_id, d.id AS draft_id, r.text, r.language, r.created_at, d.updated_at"
        " FROM requests r JOIN drafts d ON d.request_id = r.id"
        f" WHERE r.patron = ? AND d.status = 'sent' AND r.created_at >= ?{only}"
        " ORDER BY r.id DESC LIMIT ?", params,
    )
    return [SentList(r["request_id"], r["draft_id"], r["text"], r["language"], float(r["created_at"]),
                     float(r["updated_at"])) for r in rows]


async def sent_letters(store: Store, patron: str, since: float) -> list[SentLetter]:
    """The patron's clearance letters whose document went out, newest first."""
    rows = await store.fetchall(
        "SELECT l.request_id, l.number, l.code, l.issued_at FROM letters l"
        " WHERE l.patron = ? AND l.status = 'issued' AND l.issued_at >= ?"
        " AND EXISTS (SELECT 1 FROM outbox o WHERE o.idem_key = 'svc:' || l.request_id || ':letter:patron'"
        f" AND o.state IN {_DELIVERED})"
        " ORDER BY l.request_id DESC", (patron, since),
    )
    return [SentLetter(r["request_id"], r["number"], r["code"], float(r["issued_at"])) for r in rows]


@dataclass(frozen=True)
class SimilarityResult:
    """A similarity check whose result a librarian (or the automated check) gave the patron."""

    request_id: int
    percent: float | None
    given_at: float
    report_delivered: bool
    """Whether the message carrying the report reached WhatsApp."""


async def similarity_results(store: Store, patron: str, since: float, *, limit: int = 10) -> list[SimilarityResult]:
    """The patron's similarity checks with a result, newest first (``similarity_checks``, migration 0011)."""
    rows = await store.fetchall(
        "SELECT s.id, c.percent, c.sent_at, EXISTS (SELECT 1 FROM outbox o WHERE o.idem_key LIKE"
        " 'svc:' || s.id || ':%:patron:%' AND o.state IN " + _DELIVERED + ") AS delivered"
        " FROM service_requests s JOIN similarity_checks c ON c.request_id = s.id"
        " WHERE s.patron = ? AND s.kind = 'similarity' AND c.sent_at IS NOT NULL AND s.created_at >= ?"
        " ORDER BY s.id DESC LIMIT ?", (patron, since, limit),
    )
    return [SimilarityResult(r["id"], float(r["percent"]) if r["percent"] is not None else None, float(r["sent_at"]),
                             bool(r["delivered"])) for r in rows]


async def draft_patron(store: Store, draft_id: int) -> str:
    """The number of the patron a draft answers ('' when none, or when it was erased)."""
    row = await store.fetchone(
        "SELECT r.patron FROM drafts d JOIN requests r ON r.id = d.request_id WHERE d.id = ?", (draft_id,))
    patron = str(row["patron"]) if row else ""
    return "" if patron.startswith(ERASED.rstrip("%")) else patron


# -- a period's records, for `refbot export conversations` -------------------------------------


async def questions_between(store: Store, start: float, end: float) -> list[Row]:
    """Every question asked in ``[start, end)`` by a patron not forgotten, with its draft, oldest first."""
    return await store.fetchall(
        "SELECT r.id, r.patron, r.text, r.language, r.need, r.created_at, d.id AS draft_id, d.status,"
        " d.decided_by, d.updated_at AS decided_at, d.note FROM requests r LEFT JOIN drafts d ON d.request_id = r.id"
        " WHERE r.created_at >= ? AND r.created_at < ? AND r.patron NOT LIKE ? ORDER BY r.id",
        (start, end, ERASED),
    )


async def items_sent_between(store: Store, start: float, end: float) -> dict[int, list[Candidate]]:
    """The items of every list approved for a question of ``[start, end)``, by draft id, in order."""
    rows = await store.fetchall(
        "SELECT i.draft_id, i.candidate FROM draft_items i JOIN drafts d ON d.id = i.draft_id AND i.version = d.version"
        " JOIN requests r ON r.id = d.request_id WHERE r.created_at >= ? AND r.created_at < ?"
        " AND d.status IN ('approved', 'sent') AND r.patron NOT LIKE ? ORDER BY i.draft_id, i.position",
        (start, end, ERASED),
    )
    found: dict[int, list[Candidate]] = {}
    for row in rows:
        found.setdefault(int(row["draft_id"]), []).append(codec.loads(Candidate, row["candidate"]))
    return found


async def service_requests_between(store: Store, start: float, end: float) -> list[Row]:
    """Every service request made in ``[start, end)`` by a patron not forgotten, with a letter's number."""
    return await store.fetchall(
        "SELECT s.id, s.kind, s.patron, s.language, s.status, s.decided_by, s.created_at, s.updated_at,"
        " COALESCE(l.number, '') AS letter_number FROM service_requests s"
        " LEFT JOIN letters l ON l.request_id = s.id AND l.status = 'issued'"
        " WHERE s.created_at >= ? AND s.created_at < ? AND s.patron NOT LIKE ? ORDER BY s.id",
        (start, end, ERASED),
    )


async def record_download(store: Store, actor: str, kind: str, subject: str, detail: dict[str, Any]) -> None:
    """Write down in the audit trail that ``actor`` took a copy of patrons' records."""
    async with store.tx() as db:
        await store.add_event(db, actor, kind, subject, detail)


def forgotten(patron: str) -> bool:
    """Whether a stored number is the pseudonym erasure or retention left."""
    return patron.startswith(ERASED.rstrip("%"))

