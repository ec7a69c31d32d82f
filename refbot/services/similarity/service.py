"""Similarity checks at the desk: a manuscript in, the similarity index and the report out.

1. A patron sends a PDF or Word document captioned ``TURNITIN`` (or ``CEK PLAGIASI``, or any
   caption naming the service). Before any librarian sees it refbot checks, in order: that the
   patron has quota left this period (``similarity.quota_per_period`` per
   ``similarity.period_days``), that the download is at most ``similarity.max_bytes``, that
   the bytes are a PDF or a DOCX (:mod:`~refbot.services.similarity.documents`), and how many
   pages and words it has. A refusal is a reply in the patron's language saying what to do.
   A scanned PDF (no text layer) is taken, flagged to the librarians, and the patron is told.
2. The manuscript is kept in the :class:`refbot.ports.MediaStore` under ``similarity/`` — never
   forwarded on WhatsApp, since it is unpublished work: librarians download it from the
   console, where each download is an audit event. Every librarian is told the request's
   number, the file's facts and how to answer; the patron is told when it will be handled
   (now, or when the desk next opens).
3. A librarian answers ``HASIL#12 12%`` with the report PDF attached (the caption), or the text
   first and the document next; or attaches the report in the console. The patron receives the
   percentage and the report as a document, in their language
   (:mod:`~refbot.services.similarity.results`).
4. With Turnitin configured (``similarity.turnitin``) refbot submits the manuscript itself
   (:mod:`~refbot.services.similarity.automation`) and librarians only approve the result
   (``SETUJU#12`` or the console); when Turnitin fails, the check comes to them by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from collections.abc import Callable

from refbot.config import Settings
from refbot.decisions import fanout, requests
from refbot.delivery.render import mask_phone
from refbot.desk.hours import OfficeHours
from refbot.errors import MediaError, RequestConflict
from refbot.models import InboundMessage, OutgoingMessage
from refbot.ports import Channel, MediaStore
from refbot.services.patrons import patron_language
from refbot.services.replies import clip, conflict_text, reply
from refbot.services.similarity import documents, results
from refbot.services.similarity.codes import LibrarianCode, Move, librarian_code, patron_request
from refbot.services.similarity.documents import Manuscript, NotAccepted
from refbot.services.similarity.links import console_link
from refbot.store import InboxRow, Store
from refbot.store.similarity import KIND, NewCheck, SimilarityStore
from refbot.texts import t

# What a phone may call a manuscript: the real type is decided by the bytes.
DECLARED_TYPES = frozenset({
    documents.PDF, documents.DOCX, "application/msword", "application/octet-stream", "application/zip",
    "application/x-zip-compressed", "text/plain", "application/rtf", "application/vnd.oasis.opendocument.text",
})
MEDIA_TYPES = ("document", "image")


class SimilarityChecks:
    """The desk service for similarity checks (a :class:`refbot.ports.DeskService`)."""

    name = "similarity"

    def __init__(
        self, store: Store, settings: Settings, channel: Channel, *, media: MediaStore, automated: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.channel = channel
        self.media = media
        self.automated = automated
        self.clock = clock
        self.checks = SimilarityStore(store)
        self.hours = OfficeHours.from_settings(settings.desk)

    def wants(self, message: InboundMessage, *, from_librarian: bool) -> bool:
        """Manuscripts (and the bare keyword) from patrons; ``HASIL#``/``AMBIL#``/``SETUJU#`` and documents from librarians."""
        if not self.settings.similarity.enabled:
            return False
        if from_librarian and (librarian_code(message.text) is not None or message.type == "document"):
            return True
        with_document = message.type in MEDIA_TYPES
        if message.type != "text" and not with_document:
            return False
        return patron_request(message.text, with_document=with_document)[0]

    async def handle(self, row: InboxRow) -> None:
        """Take a patron's manuscript, or act on a librarian's code or report (idempotent)."""
        message = row.message
        code = librarian_code(message.text)
        if message.sender in {lib.phone for lib in self.settings.librarians} and (
                code is not None or not patron_request(message.text, with_document=True)[0]):
            await self._librarian(row, code)
        elif message.type in MEDIA_TYPES:
            await self._manuscript(row)
        else:
            language = await self._language(message)
            await reply(self.store, row, t(language, "similarity_how", mb=_mb(self.settings.similarity.max_bytes)))

    # -- the patron's manuscript ---------------------------------------------------------------

    async def _language(self, message: InboundMessage) -> str:
        hint = patron_request(message.text, with_document=message.type in MEDIA_TYPES)[1]
        return await patron_language(self.store, message.sender, self.settings.language.default, hint)

    async def _manuscript(self, row: InboxRow) -> None:
        if await requests.for_inbox(self.store, row.id) is not None:
            await self.store.finish_inbox(row.id)  # taken before a crash
            return
        message, limits = row.message, self.settings.similarity
        language = await self._language(message)
        mb = _mb(limits.max_bytes)
        if message.type != "document" or not message.media_id:
            await reply(self.store, row, t(language, "similarity_wrong_type", mb=mb))
            return
        since = self.clock() - limits.period_days * 86400
        if await self.checks.asked_since(message.sender, since) >= limits.quota_per_period:
            await reply(self.store, row, t(language, "similarity_over_quota", quota=limits.quota_per_period,
                                           days=limits.period_days))
            return
        try:
            data, _declared = await self.channel.download_media(message.media_id, max_bytes=limits.max_bytes,
                                                                allowed_types=DECLARED_TYPES)
        except MediaError as e:
            key = "similarity_download_failed" if e.transient else "similarity_refused"
            await reply(self.store, row, t(language, key, mb=mb))
            return
        try:
            found = await asyncio.to_thread(documents.inspect, data)
        except NotAccepted as e:
            key = "similarity_wrong_type" if e.reason == "type" else "similarity_damaged"
            await reply(self.store, row, t(language, key, mb=mb))
            return
        if found.size > limits.max_bytes:
            await reply(self.store, row, t(language, "similarity_refused", mb=mb))
            return
        await self._queue(row, language, data, found)

    async def _queue(self, row: InboxRow, language: str, data: bytes, found: Manuscript) -> None:
        message = row.message
        key = f"similarity/in{row.id}-{hashlib.sha256(message.media_id.encode()).hexdigest()[:16]}{found.suffix}"
        # Kept before the request commits: a librarian is never shown a manuscript that is not there.
        await self.media.put(key, data, found.mime_type)
        automated = self.automated and found.has_text
        detail = {"filename": clip(message.filename or f"naskah{found.suffix}", 120), "mime_type": found.mime_type,
                  "pages": found.pages, "words": found.words, "has_text": found.has_text, "size": found.size}
        async with self.store.tx() as db:
            request_id = await requests.create(self.store, db, inbox_id=row.id, kind=KIND, patron=message.sender,
                                               language=language, detail=detail)
            if request_id is not None:
                check = NewCheck(key, found.mime_type, found.size, found.pages, found.words, found.has_text, automated)
                await self.checks.add(db, request_id, check)
                told = [self._received_text(request_id, language, found)]
                if not found.has_text:
                    told.append(t(language, "similarity_scanned_patron"))
                await self.store.enqueue(db, f"svc:{request_id}:received:patron",
                                         OutgoingMessage(to=message.sender, text="\n\n".join(told)))
                if not automated:
                    note = "" if found.has_text or not self.automated else t(self.settings.language.default,
                                                                            "similarity_note_scanned_manual")
                    notice = librarian_notice(self.settings, request_id, message.sender, detail, note)
                    await fanout.to_librarians(self.store, db, self.settings.librarians, f"svc:{request_id}:new",
                                               [notice])
            await self.store.finish_inbox(row.id, db)

    def _received_text(self, request_id: int, language: str, found: Manuscript) -> str:
        facts = t(language, "similarity_facts", kind=found.label, pages=found.pages, words=_count(found.words))
        when = self._when(language)
        key = "similarity_received_auto" if self.automated and found.has_text else "similarity_received"
        return t(language, key, id=request_id, facts=facts, when=when)

    def _when(self, language: str) -> str:
        """"now, during opening hours", or when the desk next opens, written as every reply writes it."""
        when = self.hours.when_open(dt.datetime.fromtimestamp(self.clock(), dt.UTC), language)
        return t(language, "similarity_when_closed", when=when) if when else t(language, "similarity_when_open")

    # -- the librarian's moves -----------------------------------------------------------------

    async def _librarian(self, row: InboxRow, code: LibrarianCode | None) -> None:
        language, actor = self.settings.language.default, row.message.sender
        try:
            text = await self._move(row, code, actor, language)
        except RequestConflict as e:
            text = conflict_text(self.settings, e, code.request_id if code else 0)
        except results.ResultRefused as e:
            text = t(language, e.key, **e.values)
        await reply(self.store, row, text)

    async def _move(self, row: InboxRow, code: LibrarianCode | None, actor: str, language: str) -> str:
        if code is None:  # a document with no code: the report promised by an earlier HASIL#
            waiting = await self.checks.waiting_for(actor)
            if waiting is None or row.message.type != "document":
                return t(language, "similarity_librarian_usage")
            return await self._send(row, waiting.id, waiting.percent, actor, language)
        if code.move is Move.TAKE:
            holder = await results.take(self.store, code.request_id, actor)
            if holder == actor:
                return t(language, "similarity_taken", id=code.request_id)
            return t(language, "similarity_taken_by", id=code.request_id, who=results.holder_text(self.settings, holder))
        if code.move is Move.APPROVE:
            return await self._send(row, code.request_id, None, actor, language, approve=True)
        percent = results.check_percent(code.percent)
        if row.message.type == "document":
            return await self._send(row, code.request_id, percent, actor, language)
        async with self.store.tx() as db:
            check = await results.pending_check(self.checks, db, code.request_id)
            if check.claimed_by and check.claimed_by != actor:
                raise RequestConflict("taken", decided_by=check.claimed_by, status="claimed")
            await self.checks.claim(db, code.request_id, actor)
            await self.checks.wait_for_report(db, code.request_id, actor, percent)
        return t(language, "similarity_send_report_next", id=code.request_id, percent=results.percent_text(percent))

    async def _send(
        self, row: InboxRow, request_id: int, percent: float | None, actor: str, language: str, *,
        approve: bool = False,
    ) -> str:
        report: bytes | None = None
        if not approve:
            try:
                report, _type = await self.channel.download_media(
                    row.message.media_id, max_bytes=self.settings.similarity.max_bytes,
                    allowed_types=DECLARED_TYPES)
            except MediaError as e:
                return t(language, "similarity_report_download_failed", id=request_id, reason=clip(str(e), 200))
        else:
            check = await self.checks.get(request_id)
            if check is None or (check.status == "pending" and check.turnitin_state != "ready"):
                return t(language, "similarity_nothing_to_approve", id=request_id)
        sent = await results.send_result(self.store, self.settings, self.media, request_id, actor, percent, report)
        return t(language, "similarity_sent_ack", id=request_id, percent=results.percent_text(sent.percent))


def librarian_notice(settings: Settings, request_id: int, patron: str, detail: dict[str, object], note: str) -> OutgoingMessage:
    """What every librarian is told of a new check (or one Turnitin could not do): the facts and how to answer."""
    language = settings.language.default
    lines = [
        t(language, "similarity_notice", id=request_id, patron=mask_phone(patron)),
        t(language, "similarity_notice_file", filename=detail.get("filename", ""),
          facts=t(language, "similarity_facts", kind="PDF" if detail.get("mime_type") == documents.PDF else "DOCX",
                  pages=detail.get("pages", 0), words=_count(int(str(detail.get("words", 0))))),
          mb=f"{int(str(detail.get('size', 0))) / 1_000_000:.1f}".replace(".", ",")),
    ]
    if not detail.get("has_text", True):
        lines.append("⚠️ " + t(language, "similarity_scanned_librarian"))
    if note:
        lines.append("⚠️ " + note)
    lines.append(t(language, "similarity_notice_how", id=request_id, url=console_link(settings, request_id)))
    return OutgoingMessage(to="", text=clip("\n".join(lines)))


def _mb(size: int) -> str:
    return f"{size / 1_000_000:g}".replace(".", ",")


def _count(n: int) -> str:
    """3214 → ``3.214``."""
    return f"{n:,}".replace(",", ".")
