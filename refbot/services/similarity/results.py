"""Taking a similarity check and sending its result: the same rules on WhatsApp and in the console.

A librarian *takes* a check (``AMBIL#12``, or the console's button) so colleagues see it is
being worked on; the first to take it keeps it. The result — the percentage and the report's
PDF — is sent by whoever holds the check (or by anyone, when nobody took it), through
:func:`refbot.decisions.requests.approve`: the request's status moves from ``pending`` only
once, so when two librarians send at once the second is told who sent first, and nothing
reaches the patron twice. The report is kept in the :class:`refbot.ports.MediaStore` before
the transaction that queues it commits: a patron is never sent a document that is not there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from refbot.config import Settings
from refbot.decisions import requests
from refbot.errors import RequestConflict
from refbot.models import Attachment, OutgoingMessage
from refbot.ports import MediaStore
from refbot.services.similarity.documents import PDF, sniff
from refbot.store import Store, Tx
from refbot.store.similarity import KIND, SimilarityCheck, SimilarityStore
from refbot.texts import t


class ResultRefused(ValueError):
    """The result cannot be sent as given (not a PDF, a percentage out of range); the message says why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Sent:
    """A result that went to the patron."""

    request_id: int
    percent: float
    report: str


def percent_text(percent: float) -> str:
    """12 → ``12%``, 12.5 → ``12,5%`` (as Indonesians write it)."""
    shown = f"{percent:.1f}".rstrip("0").rstrip(".")
    return shown.replace(".", ",") + "%"


def check_percent(percent: float | None) -> float:
    """A similarity index between 0 and 100.

    Raises:
        ResultRefused: missing or out of range.
    """
    if percent is None or not 0 <= percent <= 100:
        raise ResultRefused("similarity_bad_percent")
    return percent


def check_report(data: bytes) -> bytes:
    """The report's bytes when they are a PDF.

    Raises:
        ResultRefused: anything else.
    """
    if sniff(data) != PDF:
        raise ResultRefused("similarity_report_not_pdf")
    return data


def report_key(request_id: int, data: bytes) -> str:
    """Where a report is kept: named by the request and its content, so a retry writes the same file."""
    return f"similarity/report-{request_id}-{hashlib.sha256(data).hexdigest()[:16]}.pdf"


async def pending_check(checks: SimilarityStore, db: Tx, request_id: int) -> SimilarityCheck:
    """The check when it is still waiting for its result.

    Raises:
        RequestConflict: no such check, or it was decided already.
    """
    check = await checks.get(request_id, db)
    if check is None:
        raise RequestConflict(f"no similarity request #{request_id}")
    if check.status != "pending":
        raise RequestConflict(f"request #{request_id} is already {check.status}", decided_by=check.decided_by,
                              status=check.status)
    return check


async def take(store: Store, request_id: int, actor: str) -> str:
    """Take a check for ``actor``; returns who holds it (``actor``, or the colleague who was first).

    Raises:
        RequestConflict: no such check, or it was decided already.
    """
    checks = SimilarityStore(store)
    async with store.tx() as db:
        await pending_check(checks, db, request_id)
        holder = await checks.claim(db, request_id, actor)
        if holder == actor:
            await store.add_event(db, actor, "similarity_take", f"{KIND}:{request_id}", {})
    return holder


async def send_result(
    store: Store, settings: Settings, media: MediaStore, request_id: int, actor: str, percent: float | None,
    report: bytes | None, *, extra: list[OutgoingMessage] | None = None,
) -> Sent:
    """Send the patron the percentage and the report (``report`` None: the one kept already, e.g. Turnitin's).

    ``extra`` are messages queued in the same transaction (the acknowledgement to the librarian).

    Raises:
        ResultRefused: the percentage or the report is not acceptable.
        RequestConflict: gone, decided already, or held by a colleague.
    """
    checks = SimilarityStore(store)
    before = await checks.get(request_id)
    if before is None:
        raise RequestConflict(f"no similarity request #{request_id}")
    value = check_percent(percent if percent is not None else before.percent)
    key = before.report
    if report is not None:
        key = report_key(request_id, check_report(report))
        await media.put(key, report, PDF)
    if not key:
        raise ResultRefused("similarity_report_missing", id=request_id)
    try:
        async with store.tx() as db:
            check = await pending_check(checks, db, request_id)
            if check.claimed_by and check.claimed_by != actor:
                raise RequestConflict(f"request #{request_id} is taken by {check.claimed_by}",
                                      decided_by=check.claimed_by, status="claimed")
            message = _to_patron(check, value, key)
            await requests.approve(store, db, request_id, actor, kind=KIND, messages=[message],
                                   answer=percent_text(value))
            await checks.record_result(db, request_id, value, key, sent=True)
            for n, reply in enumerate(extra or []):
                await store.enqueue(db, f"svc:{request_id}:result-ack:{n}", reply)
    except RequestConflict:
        now = await checks.get(request_id)
        if now is None or now.report != key:  # a report nobody will send: no copy of it stays behind
            await media.delete([key])
        raise
    return Sent(request_id, value, key)


def _to_patron(check: SimilarityCheck, percent: float, key: str) -> OutgoingMessage:
    caption = t(check.language, "similarity_result", id=check.id, percent=percent_text(percent))
    attachment = Attachment(key, f"laporan-similarity-{check.id}.pdf", PDF)
    return OutgoingMessage(to=check.patron, text=caption, document=attachment)


def holder_text(settings: Settings, holder: str) -> str:
    """A librarian's name for colleagues (their configured name, else the account or number)."""
    names = {lib.phone: lib.name for lib in settings.librarians}
    return names.get(holder, holder)
