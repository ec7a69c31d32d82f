"""The reference desk: what happens to each message a person sends the library's number.

A patron's text is a question (:mod:`refbot.desk.questions`): parse → search → rank → draft,
with the draft sent to the librarians for review. A librarian's button or command acts on a
draft through :mod:`refbot.decisions.drafts`. HAPUS DATA erases (:mod:`refbot.desk.erasure`).
The desk's other services (circulation codes, snap and send, clearance letters) take the
messages they recognise. Everything else gets a polite reply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from refbot.config import Settings
from refbot.decisions import fanout
from refbot.decisions.librarian import LibrarianActions, is_librarian_action
from refbot.delivery import render
from refbot.desk.erasure import Erasure, is_erasure
from refbot.desk.hours import OfficeHours
from refbot.desk.questions import Questions
from refbot.desk.replies import reply_once
from refbot.models import Draft, InboxRow, InformationNeed
from refbot.ports import DeskService, Source
from refbot.store import Store, Tx

log = logging.getLogger(__name__)

# Messages that need no answer: a reaction, a deleted or edited message, a system notice.
SILENT = frozenset({"reaction", "revoke", "edit", "edited", "deleted", "system", "ephemeral", "request_welcome"})


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
    questions: Questions = field(init=False)
    erasure: Erasure = field(init=False)

    def __post_init__(self) -> None:
        self.librarian_phones = frozenset(lib.phone for lib in self.settings.librarians)
        self.hours = OfficeHours.from_settings(self.settings.desk)
        self.librarian = LibrarianActions(self.store, self.settings, self.notify_librarians)
        self.questions = Questions(self.store, self.sources, self.settings, self.hours, self._queue_review,
                                   self.detect, self.clock)
        self.erasure = Erasure(self.store, self.settings, self.questions.ask, self.clock)

    async def handle(self, row: InboxRow) -> None:
        """Handle one claimed inbound message to completion (idempotent: safe to repeat)."""
        message = row.message
        from_librarian = message.sender in self.librarian_phones
        if message.type in SILENT:
            log.info("%s message %s needs no answer", message.type, row.id)
            await self.store.finish_inbox(row.id)
        elif from_librarian and is_librarian_action(message):
            await self.librarian.handle(row)
        elif is_erasure(message.text):
            await self.erasure.handle(row)
        elif service := next((s for s in self.services if s.wants(message, from_librarian=from_librarian)), None):
            await service.handle(row)
        elif message.type in ("text", "image", "document", "button", "interactive") and message.text.strip():
            await self.questions.ask(row)
        else:
            await reply_once(self.store, self.settings, row, "unsupported")

    async def notify_librarians(self, draft_id: int) -> None:
        """Queue the current version of a draft, with its buttons, to every librarian."""
        draft = await self.store.get_draft(draft_id)
        request = await self.store.get_request(draft.request_id) if draft else None
        if draft is None or request is None:
            return
        async with self.store.tx() as tx:
            await self._queue_review(tx, draft, request.need)

    async def _queue_review(self, tx: Tx, draft: Draft, need: InformationNeed) -> None:
        review = render.librarian_draft(draft, need, self.settings.language.default, to="")
        await fanout.to_librarians(self.store, tx, self.settings.librarians, f"draft:{draft.id}:v{draft.version}",
                                   review, draft_id=draft.id)
