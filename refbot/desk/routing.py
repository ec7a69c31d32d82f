"""The reference desk: what happens to each message a person sends the library's number.

A patron's text is a question: parse → search → rank → draft, with the draft sent to the
librarians for review. A librarian's button or command acts on a draft through
:mod:`refbot.decisions.drafts`. The desk's other services (circulation codes, snap and send,
clearance letters) take the messages they recognise. Everything else gets a polite reply.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from refbot.config import Settings
from refbot.decisions.librarian import LibrarianActions, is_librarian_action
from refbot.delivery import render
from refbot.desk.hours import OfficeHours
from refbot.models import Draft, InboundMessage, InformationNeed, OutgoingMessage
from refbot.pipeline.parse import parse_need, reply_language
from refbot.pipeline.rank import rank
from refbot.pipeline.search import search_all
from refbot.ports import DeskService, Source
from refbot.store import InboxRow, Store, Tx
from refbot.store.media import media_folder
from refbot.store.privacy import erase_patron
from refbot.texts import t

log = logging.getLogger(__name__)

# Messages that need no answer: a reaction, a deleted or edited message, a system notice.
SILENT = frozenset({"reaction", "revoke", "edit", "edited", "deleted", "system", "ephemeral", "request_welcome"})
_ERASE = re.compile(r"^\s*(hapus\s+data(\s+saya)?|delete\s+my\s+data)\s*[.!]*\s*$", re.IGNORECASE)
_ERASE_YES = re.compile(r"^\s*(ya\s+hapus|yes\s+delete)\s*[.!]*\s*$", re.IGNORECASE)


@dataclass
class Desk:
    """Everything a message needs to be handled, passed in so tests can swap any part."""

    store: Store
    sources: Sequence[Source]
    settings: Settings
    detect: Callable[[str], str | None] | None = None
    clock: Callable[[], float] = time.time
    services: Sequence[DeskService] = ()
    librarian_phones: frozenset[str] = field(init=False)
    hours: OfficeHours = field(init=False)
    librarian: LibrarianActions = field(init=False)

    def __post_init__(self) -> None:
        self.librarian_phones = frozenset(lib.phone for lib in self.settings.librarians)
        self.hours = OfficeHours.from_settings(self.settings.desk)
        self.librarian = LibrarianActions(self.store, self.settings, self.notify_librarians)

    async def handle(self, row: InboxRow) -> None:
        """Handle one claimed inbound message to completion (idempotent: safe to repeat)."""
        message = row.message
        from_librarian = message.sender in self.librarian_phones
        if message.type in SILENT:
            log.info("%s message %s needs no answer", message.type, row.id)
            await self.store.finish_inbox(row.id)
        elif from_librarian and is_librarian_action(message):
            await self.librarian.handle(row)
        elif _ERASE.match(message.text) or _ERASE_YES.match(message.text):
            await self._erase(row)
        elif service := next((s for s in self.services if s.wants(message, from_librarian=from_librarian)), None):
            await service.handle(row)
        elif message.type in ("text", "image", "document", "button", "interactive") and message.text.strip():
            await self.ask(row)
        else:
            await self._reply_once(row, "unsupported")

    # -- patrons ---------------------------------------------------------------------------

    async def ask(self, row: InboxRow) -> None:
        """A patron's question, from words to a draft in front of the librarians."""
        message, default = row.message, self.settings.language.default
        text = await self._with_context(message)
        year = dt.datetime.fromtimestamp(self.clock(), dt.UTC).year
        need = parse_need(text, default, current_year=year, detect=self.detect)
        if await self._too_many(row, need):
            return
        request = await self.store.create_request(row.id, message.sender, need)
        async with self.store.tx() as db:
            ack = OutgoingMessage(to=message.sender, text=self._ack(reply_language(need, default)))
            await self.store.enqueue(db, f"ack:{request.id}", ack)
        if await self.store.draft_for_request(request.id) is not None:
            await self.store.finish_inbox(row.id)  # drafted before a crash; nothing to redo
            return
        outcome = await search_all(need, self.sources, self.settings.search.per_source, self.settings.search.deadline)
        items = rank(need, outcome.results, self.settings.match, self.settings.search.draft_size)
        notes = tuple(
            t(default, "source_failed", source=name.capitalize(), reason=reason)
            for name, reason in outcome.failures.items()
        )
        # The draft, its review messages and the finished row are one transaction: a crash
        # leaves either all of them or none, and the retry makes exactly the missing ones.
        async with self.store.tx() as db:
            draft_id = await self.store.insert_draft(db, request.id, items, notes)
            if draft_id is not None:
                draft = Draft(draft_id, request.id, items, source_notes=notes, language=need.language,
                              patron=message.sender, question=need.raw)
                await self._queue_review(db, draft, need)
            await self.store.finish_inbox(row.id, db)

    async def _with_context(self, message: InboundMessage) -> str:
        # A reply quoting the list refbot sent refines that request ("yang bahasa Indonesia saja").
        if not message.context_id:
            return message.text
        asked = await self.store.request_text_for_reply(message.context_id, message.sender)
        return f"{asked}\n{message.text}" if asked else message.text

    async def _too_many(self, row: InboxRow, need: InformationNeed) -> bool:
        limit = self.settings.desk.max_questions_per_hour
        asked = await self.store.questions_since(row.message.sender, self.clock() - 3600)
        already = await self.store.has_request_for_inbox(row.id)
        if asked < limit or already:
            return False
        log.info("patron %s paused: %d questions in the last hour", render.mask_phone(row.message.sender), asked)
        await self._reply_once(row, "rate_limited", reply_language(need, self.settings.language.default))
        return True

    def _ack(self, language: str) -> str:
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        opening = self.hours.next_opening(now)
        if opening is None or self.hours.is_open(now):
            return t(language, "ack")
        weekday = t(language, f"weekday_{opening.weekday()}")
        when = t(language, "when", weekday=weekday, date=opening.strftime("%d-%m-%Y"), time=opening.strftime("%H:%M"))
        return t(language, "ack_closed", when=when)

    async def _erase(self, row: InboxRow) -> None:
        message, language = row.message, self.settings.language.default
        minutes = self.settings.privacy.erase_confirm_minutes
        if _ERASE.match(message.text):
            async with self.store.tx() as db:
                await self.store.add_event(db, message.sender, "erase_requested", f"inbox:{row.id}", {})
            await self._reply_once(row, "erase_confirm", language, minutes=minutes)
            return
        asked_at = await self.store.erase_requested_at(message.sender)
        if asked_at is None or self.clock() - asked_at > minutes * 60:
            await self.ask(row) if message.type == "text" else await self._reply_once(row, "unsupported")
            return
        await erase_patron(self.store, message.sender, media_folder(self.settings))
        async with self.store.tx() as db:
            goodbye = OutgoingMessage(to=message.sender, text=t(language, "erase_done"))
            await self.store.enqueue(db, f"reply:{row.id}:erased", goodbye)
            await self.store.finish_inbox(row.id, db)

    async def _reply_once(self, row: InboxRow, key: str, language: str = "", **values: object) -> None:
        language = language or self.settings.language.default
        async with self.store.tx() as db:
            message = OutgoingMessage(to=row.message.sender, text=t(language, key, **values))
            await self.store.enqueue(db, f"reply:{row.id}:{key}", message)
            await self.store.finish_inbox(row.id, db)

    # -- librarians ------------------------------------------------------------------------

    async def notify_librarians(self, draft_id: int) -> None:
        """Queue the current version of a draft, with its buttons, to every librarian."""
        draft = await self.store.get_draft(draft_id)
        request = await self.store.get_request(draft.request_id) if draft else None
        if draft is None or request is None:
            return
        async with self.store.tx() as db:
            await self._queue_review(db, draft, request.need)

    async def _queue_review(self, db: Tx, draft: Draft, need: InformationNeed) -> None:
        language = self.settings.language.default
        for lib in self.settings.librarians:
            for n, message in enumerate(render.librarian_draft(draft, need, language, lib.phone)):
                key = f"draft:{draft.id}:v{draft.version}:librarian:{lib.phone}:{n}"
                await self.store.enqueue(db, key, message, draft.id)


