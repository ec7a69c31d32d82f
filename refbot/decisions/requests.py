"""The only way a service request changes state: approve, answer, reject, close.

A service request is anything besides a reference draft that a librarian decides on: a
snap-and-send answer, a clearance letter, a library-card link, a circulation code that waited
because the library system was down. Like :mod:`refbot.decisions.drafts`, each function makes its
change and queues the messages it causes together; here they run inside the *caller's*
transaction, so the service also finishes the librarian's inbox row in it — a button press
and all its effects are stored together or not at all.

The status update names the status it expects (``pending``), so when two librarians press a
button at once the second changes nothing and gets :class:`RequestConflict`. A request whose
patron erased their data while it waited is ``withdrawn`` (:mod:`refbot.store.privacy`), and
a librarian's button on it is a conflict too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from refbot.config import Settings
from refbot.errors import RefbotError
from refbot.models import OutgoingMessage
from refbot.store import Row, Store, Tx
from refbot.texts import TEXT_LIMIT


class RequestConflict(RefbotError):
    """A service request is gone, of another kind, or already decided."""

    def __init__(self, message: str, *, decided_by: str = "", status: str = "") -> None:
        super().__init__(message)
        self.decided_by = decided_by
        self.status = status


@dataclass(frozen=True)
class ServiceRequest:
    """A request as stored."""

    id: int
    inbox_id: int
    kind: str
    patron: str
    language: str
    status: str
    detail: dict[str, Any]
    suggestion: str
    answer: str
    decided_by: str


async def create(
    store: Store, db: Tx, *, inbox_id: int, kind: str, patron: str, language: str,
    detail: dict[str, Any], suggestion: str = "",
) -> int | None:
    """Store a new pending request for an inbound message; None when that message has one."""
    now = store.clock()
    cur = await db.execute(
        "INSERT OR IGNORE INTO service_requests (inbox_id, kind, patron, language, detail, suggestion,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (inbox_id, kind, patron, language, json.dumps(detail, ensure_ascii=False), suggestion, now, now),
    )
    return cur.lastrowid if cur.rowcount else None


async def load(db: Tx, request_id: int) -> ServiceRequest | None:
    """One request, read inside a transaction."""
    row = await db.fetchone("SELECT * FROM service_requests WHERE id = ?", (request_id,))
    return _request(row) if row else None


async def get(store: Store, request_id: int) -> ServiceRequest | None:
    """One request, outside any transaction."""
    row = await store.fetchone("SELECT * FROM service_requests WHERE id = ?", (request_id,))
    return _request(row) if row else None


async def for_inbox(store: Store, inbox_id: int) -> ServiceRequest | None:
    """The request an inbound message made, if it made one."""
    row = await store.fetchone("SELECT * FROM service_requests WHERE inbox_id = ?", (inbox_id,))
    return _request(row) if row else None


def pending(request: ServiceRequest | None, request_id: int, kind: str | None) -> ServiceRequest:
    """The request when it is pending and of ``kind``.

    Raises:
        RequestConflict: it is gone, of another kind, or already decided.
    """
    if request is None or (kind is not None and request.kind != kind):
        raise RequestConflict(f"no {kind or 'service'} request #{request_id}")
    if request.status != "pending":
        raise RequestConflict(f"request #{request_id} is already {request.status}",
                              decided_by=request.decided_by, status=request.status)
    return request


async def approve(
    store: Store, db: Tx, request_id: int, actor: str, *, kind: str,
    messages: Sequence[OutgoingMessage], answer: str = "",
) -> ServiceRequest:
    """Approve a pending request and queue what the patron receives.

    Raises:
        RequestConflict: the request is gone, not of ``kind``, or already decided.
    """
    request = await _decide(store, db, request_id, actor, kind, "approved", answer)
    await _to_patron(store, db, request, "approved", messages)
    return request


async def answer(store: Store, db: Tx, request_id: int, actor: str, text: str) -> ServiceRequest:
    """Send the patron a librarian's own words instead of refbot's suggestion (any kind)."""
    request = await _decide(store, db, request_id, actor, None, "answered", text.strip())
    message = OutgoingMessage(to=request.patron, text=text.strip()[:TEXT_LIMIT])
    await _to_patron(store, db, request, "answered", [message])
    return request


async def reject(
    store: Store, db: Tx, request_id: int, actor: str, *, kind: str, text: str,
) -> ServiceRequest:
    """Refuse a request; the patron is told ``text`` (that a librarian will reply in person)."""
    request = await _decide(store, db, request_id, actor, kind, "rejected", "")
    await _to_patron(store, db, request, "rejected", [OutgoingMessage(to=request.patron, text=text)])
    return request


async def close(
    store: Store, db: Tx, request_id: int, actor: str, *, kind: str,
    messages: Sequence[OutgoingMessage] = (),
) -> ServiceRequest:
    """Mark a request handled (a circulation code done by hand or answered on a retry)."""
    request = await _decide(store, db, request_id, actor, kind, "done", "")
    await _to_patron(store, db, request, "done", messages)
    return request


async def enqueue_to_librarians(
    store: Store, db: Tx, settings: Settings, key: str, messages: Sequence[OutgoingMessage],
) -> None:
    """Queue the same messages to every librarian (``to`` is filled in per librarian)."""
    for librarian in settings.librarians:
        for n, message in enumerate(messages):
            await store.enqueue(db, f"{key}:librarian:{librarian.phone}:{n}", replace(message, to=librarian.phone))


async def _decide(
    store: Store, db: Tx, request_id: int, actor: str, kind: str | None, status: str, answer: str,
) -> ServiceRequest:
    request = pending(await load(db, request_id), request_id, kind)
    cur = await db.execute(
        "UPDATE service_requests SET status = ?, decided_by = ?, answer = ?, updated_at = ?"
        " WHERE id = ? AND status = 'pending'",
        (status, actor, answer, store.clock(), request_id),
    )
    if cur.rowcount == 0:
        raise RequestConflict(f"request #{request_id} was decided by someone else a moment ago")
    await store.add_event(db, actor, status, f"{request.kind}:{request_id}", {})
    return replace(request, status=status, decided_by=actor, answer=answer)


async def _to_patron(
    store: Store, db: Tx, request: ServiceRequest, what: str, messages: Sequence[OutgoingMessage],
) -> None:
    for n, message in enumerate(messages):
        await store.enqueue(db, f"svc:{request.id}:{what}:patron:{n}", message)


def _request(row: Row) -> ServiceRequest:
    return ServiceRequest(
        id=row["id"], inbox_id=row["inbox_id"], kind=row["kind"], patron=row["patron"], language=row["language"],
        status=row["status"], detail=json.loads(row["detail"]), suggestion=row["suggestion"], answer=row["answer"],
        decided_by=row["decided_by"],
    )
