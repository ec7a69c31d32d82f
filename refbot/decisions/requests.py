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

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from refbot.decisions.deciders import ERASED, PATRON
from refbot.errors import RequestConflict
from refbot.models import OutgoingMessage
from refbot.store import Store, Tx
from refbot.store.service_requests import ServiceRequest  # kept by the store; importable from here too
from refbot.texts import TEXT_LIMIT


async def create(
    store: Store, db: Tx, *, inbox_id: int, kind: str, patron: str, language: str,
    detail: dict[str, Any], suggestion: str = "",
) -> int | None:
    """Store a new pending request for an inbound message; None when that message has one."""
    return await store.create_service_request(db, inbox_id=inbox_id, kind=kind, patron=patron, language=language,
                                              detail=detail, suggestion=suggestion)


async def load(store: Store, db: Tx, request_id: int) -> ServiceRequest | None:
    """One request, read inside a transaction."""
    return await store.load_service_request(db, request_id)


async def get(store: Store, request_id: int) -> ServiceRequest | None:
    """One request, outside any transaction."""
    return await store.service_request(request_id)


async def for_inbox(store: Store, inbox_id: int) -> ServiceRequest | None:
    """The request an inbound message made, if it made one."""
    return await store.service_request_for_inbox(inbox_id)


def pending(request: ServiceRequest | None, request_id: int, kind: str | None) -> ServiceRequest:
    """The request when it is pending and of ``kind``.

    Raises:
        RequestConflict: it is gone, of another kind, or already decided.
    """
    if request is None or (kind is not None and request.kind != kind):
        raise RequestConflict(f"no {kind or 'service'} request #{request_id}")
    if request.status != "pending":
        raise RequestConflict(f"request #{request_id} is already {request.status}",
                              decided_by=_decider(request), status=request.status)
    return request


def _decider(request: ServiceRequest) -> str:
    # A patron who confirmed their own card link with the desk's code decided it themselves:
    # colleagues are told so, not shown the patron's (masked) number as if it were a librarian's.
    by_patron = request.decided_by == request.patron or request.decided_by.startswith(ERASED)
    return PATRON if by_patron else request.decided_by


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


async def reply_after_rejection(store: Store, request: ServiceRequest, actor: str, text: str) -> ServiceRequest:
    """Send the patron of a rejected request the personal reply rejecting promised them, once.

    Rejecting told the patron "a librarian will reply to you personally"; this is that reply.
    The request stays ``rejected`` (only pending requests are decided); the outbox key makes the
    reply exactly-once, so of two librarians' replies the second is a conflict naming the first.
    Runs in a transaction of its own.

    Raises:
        RequestConflict: someone already replied.
    """
    subject = f"{request.kind}:{request.id}"
    message = OutgoingMessage(to=request.patron, text=text.strip()[:TEXT_LIMIT])
    if not await _queue_reply(store, request, actor, message, subject):
        answered = [e["actor"] for e in await store.events(subject) if e["kind"] == "answered"]
        raise RequestConflict(f"request #{request.id} was already answered",
                              decided_by=answered[0] if answered else request.decided_by, status="answered")
    return replace(request, answer=text.strip())


async def _queue_reply(
    store: Store, request: ServiceRequest, actor: str, message: OutgoingMessage, subject: str,
) -> bool:
    async with store.tx() as db:
        if not await store.enqueue(db, f"svc:{request.id}:answered:patron:0", message):
            return False
        await store.add_event(db, actor, "answered", subject, {"after": "rejected"})
    return True


async def _decide(
    store: Store, db: Tx, request_id: int, actor: str, kind: str | None, status: str, answer: str,
) -> ServiceRequest:
    request = pending(await store.load_service_request(db, request_id), request_id, kind)
    if not await store.decide_service_request(db, request_id, status, actor, answer):
        raise RequestConflict(f"request #{request_id} was decided by someone else a moment ago")
    await store.add_event(db, actor, status, f"{request.kind}:{request_id}", {})
    return replace(request, status=status, decided_by=actor, answer=answer)


async def _to_patron(
    store: Store, db: Tx, request: ServiceRequest, what: str, messages: Sequence[OutgoingMessage],
) -> None:
    for n, message in enumerate(messages):
        await store.enqueue(db, f"svc:{request.id}:{what}:patron:{n}", message)

