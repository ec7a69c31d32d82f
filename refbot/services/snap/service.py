"""Snap and send: a patron photographs a portal problem; a librarian answers it.

An image or PDF from a patron is downloaded through the channel
(:meth:`refbot.ports.Channel.download_media`, which checks its type, size and bytes), kept by
:class:`refbot.store.media.MediaFiles` in the desk's :class:`refbot.ports.MediaStore` (so the
worker that forwards it may run on another machine), read with Tesseract
(:mod:`refbot.services.snap.ocr`) and matched against the FAQ of known problems
(:mod:`refbot.services.snap.faq`). Every librarian then receives, as one ``snap`` service request:

1. the patron's file itself: a JPEG or PNG as an image message (what WhatsApp shows in the
   chat), a PDF or other file as a document,
2. the text refbot read from it, and
3. the matched FAQ entry with its answer and *Kirim usulan* / *Tolak* buttons
   (``snap-approve:<id>`` / ``snap-reject:<id>``) — or, with no match, only *Tolak*.

The librarian sends the suggestion, rejects (the patron is told a librarian will reply in
person), or writes their own answer with ``JAWAB#<id> …``. A blurred, empty or unreadable
image, or one that could not be downloaded, still reaches the librarians, with a note why; so
does an image WhatsApp cannot carry to them (not JPEG or PNG, or over 5 MB), without the image.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Awaitable, Callable

from refbot.config import Settings
from refbot.decisions import fanout, requests
from refbot.delivery.render import mask_phone
from refbot.desk.hours import OfficeHours
from refbot.errors import MediaError, RequestConflict
from refbot.models import Attachment, Button, InboundMessage, OutgoingMessage
from refbot.ports import Channel, MediaStore
from refbot.services.patrons import patron_language
from refbot.services.replies import clip, conflict_text
from refbot.services.snap import ocr
from refbot.services.snap.faq import Faq, FaqMatch
from refbot.services.snap.media import SNAP_TYPES, media_of
from refbot.store import InboxRow, Store
from refbot.store.media import MediaFiles, SavedMedia
from refbot.texts import t

_BUTTON = re.compile(r"^snap-(approve|reject):(\d+)$")
MEDIA_TYPES = ("image", "document")
READ_LIMIT = 3000
INTERACTIVE_LIMIT = 1024
# What the Cloud API sends as an image message; other images cannot be forwarded at all.
FORWARDED_IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
MAX_FORWARDED_IMAGE = 5 * 1024 * 1024

Reader = Callable[..., Awaitable[str]]


class SnapService:
    """The desk service for screenshots of portal problems (a :class:`refbot.ports.DeskService`)."""

    name = "snap"

    def __init__(
        self, store: Store, settings: Settings, channel: Channel, faq: Faq, *, media: MediaStore,
        read: Reader = ocr.read_data, clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.channel = channel
        self.files = MediaFiles(media)
        self.faq = faq
        self.read = read
        self.clock = clock
        self.hours = OfficeHours.from_settings(settings.desk)

    def wants(self, message: InboundMessage, *, from_librarian: bool) -> bool:
        """Images and documents from patrons; the snap buttons from librarians."""
        if from_librarian:
            return bool(_BUTTON.match(message.button_id))
        return message.type in MEDIA_TYPES

    async def handle(self, row: InboxRow) -> None:
        """Read and route a patron's image, or act on a librarian's button (idempotent)."""
        button = _BUTTON.match(row.message.button_id)
        if button:
            await self._decide(row, button[1] == "approve", int(button[2]))
        else:
            await self._snap(row)

    async def _snap(self, row: InboxRow) -> None:
        if await requests.for_inbox(self.store, row.id) is not None:
            await self.store.finish_inbox(row.id)  # routed before a crash
            return
        message = row.message
        language = await patron_language(self.store, message.sender, self.settings.language.default)
        notes: list[str] = []
        saved = await self._fetch(row, notes)
        text = await self._read(saved, notes) if saved else ""
        forwarded = self._forwardable(saved, notes)
        found = self.faq.match(f"{message.text}\n{text}", self.settings.snap.match_threshold)
        detail = {
            "media": saved.key if saved else "", "mime_type": saved.mime_type if saved else "",
            "caption": message.text, "text": text, "notes": notes,
            "faq": found.entry.id if found else "", "score": found.score if found else 0,
        }
        suggestion = found.entry.answer_in(language) if found else ""
        async with self.store.tx() as db:
            request_id = await requests.create(self.store, db, inbox_id=row.id, kind="snap", patron=message.sender,
                                                language=language, detail=detail, suggestion=suggestion)
            if request_id is not None:
                now = datetime.datetime.fromtimestamp(self.clock(), datetime.UTC)
                received = t(language, "snap_received") + self.hours.closed_note(now, language)
                told = OutgoingMessage(to=message.sender, text=received)
                await self.store.enqueue(db, f"svc:{request_id}:received:patron", told)
                librarian = self._for_librarians(request_id, message, forwarded, text, notes, found, suggestion)
                await fanout.to_librarians(self.store, db, self.settings.librarians, f"svc:{request_id}:new", librarian)
            await self.store.finish_inbox(row.id, db)

    async def _fetch(self, row: InboxRow, notes: list[str]) -> SavedMedia | None:
        ref = media_of(row.message)
        if ref is None:
            notes.append(t(self.settings.language.default, "snap_note_no_media"))
            return None
        kept = await self.files.find(row.id, ref.media_id)
        if kept is not None:
            return kept  # downloaded before a crash or a retry
        try:
            data, mime_type = await self.channel.download_media(
                ref.media_id, max_bytes=self.settings.snap.max_media_bytes, allowed_types=SNAP_TYPES)
        except MediaError as e:
            notes.append(t(self.settings.language.default, "snap_note_download", reason=str(e)))
            return None
        return await self.files.save(row.id, ref.media_id, data, mime_type)

    async def _read(self, saved: SavedMedia, notes: list[str]) -> str:
        snap = self.settings.snap
        try:
            return str(await self.read(saved.data, saved.mime_type, languages=snap.ocr_languages,
                                       seconds=snap.ocr_timeout))
        except ocr.OcrError as e:
            notes.append(t(self.settings.language.default, "snap_note_ocr", reason=str(e)))
            return ""

    def _forwardable(self, saved: SavedMedia | None, notes: list[str]) -> SavedMedia | None:
        """The patron's file when WhatsApp can carry it to librarians; otherwise a note says why not."""
        if saved is None:
            return None
        kind = _base_type(saved.mime_type)
        if kind.startswith("image/") and (kind not in FORWARDED_IMAGE_TYPES or saved.size > MAX_FORWARDED_IMAGE):
            size = round(saved.size / 1024)
            notes.append(t(self.settings.language.default, "snap_note_not_forwarded", type=kind, size=size))
            return None
        return saved

    def _for_librarians(
        self, request_id: int, message: InboundMessage, saved: SavedMedia | None, text: str,
        notes: list[str], found: FaqMatch | None, suggestion: str,
    ) -> list[OutgoingMessage]:
        language = self.settings.language.default
        patron = mask_phone(message.sender)
        out: list[OutgoingMessage] = []
        if saved is not None:
            caption = t(language, "snap_image_caption", id=request_id, patron=patron)
            out.append(_forwarded(request_id, saved, caption))
        read = clip(text, READ_LIMIT) if text.strip() else t(language, "snap_nothing_read")
        lines = [t(language, "snap_header", id=request_id, patron=patron)]
        if message.text.strip():
            lines.append(t(language, "snap_caption", caption=clip(message.text.strip(), 300)))
        lines.append(t(language, "snap_read", text=read))
        lines += [f"⚠️ {note}" for note in notes]
        out.append(OutgoingMessage(to="", text=clip("\n".join(lines))))
        reject = Button(f"snap-reject:{request_id}", t(language, "button_reject"))
        if found is None:
            out.append(OutgoingMessage(to="", text=t(language, "snap_no_match", id=request_id), buttons=(reject,)))
            return out
        intro = t(language, "snap_match", id=request_id, title=found.entry.title_in(language), score=round(found.score))
        outro = t(language, "snap_match_actions", id=request_id)
        room = INTERACTIVE_LIMIT - len(intro) - len(outro) - 4
        body = f"{intro}\n\n{clip(suggestion, max(room, 80))}\n\n{outro}"
        send = Button(f"snap-approve:{request_id}", t(language, "button_send_suggestion"))
        out.append(OutgoingMessage(to="", text=clip(body, INTERACTIVE_LIMIT), buttons=(send, reject)))
        return out

    async def _decide(self, row: InboxRow, approve: bool, request_id: int) -> None:
        actor, language = row.message.sender, self.settings.language.default
        async with self.store.tx() as db:
            try:
                request = requests.pending(await requests.load(self.store, db, request_id), request_id, "snap")
                if approve and not request.suggestion:
                    ack = t(language, "snap_nothing_to_send", id=request_id)
                elif approve:
                    answer = OutgoingMessage(to=request.patron, text=clip(request.suggestion))
                    await requests.approve(self.store, db, request_id, actor, kind="snap", messages=[answer],
                                            answer=request.suggestion)
                    ack = t(language, "snap_sent_ack", id=request_id)
                else:
                    await requests.reject(self.store, db, request_id, actor, kind="snap",
                                           text=t(request.language, "snap_rejected"))
                    ack = t(language, "snap_rejected_ack", id=request_id)
            except RequestConflict as e:
                ack = conflict_text(self.settings, e, request_id)
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=actor, text=ack))
            await self.store.finish_inbox(row.id, db)


def _forwarded(request_id: int, saved: SavedMedia, caption: str) -> OutgoingMessage:
    """The patron's file for librarians: an image message for a JPEG or PNG, a document otherwise."""
    attachment = Attachment(saved.key, f"snap-{request_id}{saved.suffix}", saved.mime_type)
    if _base_type(saved.mime_type) in FORWARDED_IMAGE_TYPES:
        return OutgoingMessage(to="", text=caption, image=attachment)
    return OutgoingMessage(to="", text=caption, document=attachment)


def _base_type(mime_type: str) -> str:
    return mime_type.split(";", 1)[0].strip().lower()
