"""``RIWAYAT`` / ``HISTORY``: the patron's history as one PDF, with a short text saying what is in it.

The PDF is kept as the file of the message that asked (``media/<inbox id>-<hash>.pdf``, see
:class:`refbot.store.media.MediaFiles`), so erasing that patron (``HAPUS DATA``) or the
retention period deletes it exactly as it deletes a screenshot they sent: no copy of their
history outlives their messages.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from refbot.config import Settings
from refbot.delivery.render import mask_phone
from refbot.models import Attachment, InboundMessage, OutgoingMessage
from refbot.ports import MediaStore
from refbot.services.dates import library_zone
from refbot.services.history.asking import HistoryAsk, parse_history
from refbot.services.history.collect import History, gather
from refbot.services.history.pdf import Cover, render_history
from refbot.services.patrons import patron_language
from refbot.services.replies import reply
from refbot.store import InboxRow, Store
from refbot.store.media import MediaFiles
from refbot.texts import t

PDF = "application/pdf"


@dataclass
class HistoryService:
    """A desk service: ``RIWAYAT`` sends the patron what the desk gave them (a :class:`refbot.ports.DeskService`)."""

    store: Store
    settings: Settings
    media: MediaStore
    clock: Callable[[], float] = field(default=time.time)
    name: str = "history"

    def wants(self, message: InboundMessage, *, from_librarian: bool) -> bool:
        """``RIWAYAT``, ``RIWAYAT 3``, ``HISTORY#3`` and their typos."""
        return message.type == "text" and parse_history(message.text) is not None

    async def handle(self, row: InboxRow) -> None:
        """Send the history (or a kind word when there is none); safe to repeat after a crash."""
        ask = parse_history(row.message.text)
        assert ask is not None
        patron = row.message.sender
        language = await patron_language(self.store, patron, self.settings.language.default, ask.language)
        now = self.clock()
        history = await gather(self.store, self.settings, patron, now=now, number=ask.number, language=language)
        if history.empty:
            key = "history_not_found" if ask.number is not None else "history_empty"
            await reply(self.store, row, t(language, key, number=ask.number))
            return
        document = await self._write(row, history, language, now)
        message = OutgoingMessage(to=patron, text=caption(history, ask, language), document=document)
        async with self.store.tx() as db:
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", message)
            await self.store.finish_inbox(row.id, db)

    async def _write(self, row: InboxRow, history: History, language: str, now: float) -> Attachment:
        cover = Cover(language=language, library_name=self.settings.letters.library_name,
                      patron=mask_phone(row.message.sender),
                      made_at=datetime.datetime.fromtimestamp(now, library_zone(self.settings)))
        pdf = await asyncio.to_thread(render_history, history, cover)
        # Kept as the asking message's file, before the message is queued: never sent without it.
        saved = await MediaFiles(self.media).save(row.id, "history", pdf, PDF)
        return Attachment(saved.key, filename(language, parse_history(row.message.text)), PDF)


def caption(history: History, ask: HistoryAsk, language: str) -> str:
    """The WhatsApp text with the document: what is in it, and how to ask for one list."""
    if ask.number is not None:
        return t(language, "history_caption_one", number=ask.number)
    parts = [t(language, key, n=len(entries)) for key, entries in (
        ("history_count_lists", history.lists), ("history_count_letters", history.letters),
        ("history_count_similarity", history.similarity)) if entries]
    numbers = [e.number for e in history.lists] or [e.number for e in history.letters] or [
        e.number for e in history.similarity]
    return t(language, "history_caption", summary=", ".join(parts), example=numbers[0])


def filename(language: str, ask: HistoryAsk | None) -> str:
    """``riwayat-layanan.pdf``, or ``riwayat-layanan-3.pdf`` for one list."""
    stem = t(language, "history_filename")
    return f"{stem}-{ask.number}.pdf" if ask is not None and ask.number is not None else f"{stem}.pdf"
