"""The reference desk: what happens to each message a person sends the library's number.

A patron's text is a question (:mod:`refbot.desk.questions`): parse → search → rank → draft,
with the draft sent to the librarians for review. A librarian's button or command acts on a
draft through :mod:`refbot.decisions.drafts`. HAPUS DATA erases (:mod:`refbot.desk.erasure`).
The desk's other services (circulation codes, snap and send, clearance letters) take the
messages they recognise. Free text that is not an information need (:mod:`refbot.desk.smalltalk`)
gets no draft: a greeting or thanks a short reply (:mod:`refbot.desk.courtesy`), a service asked
about in words ("pinjaman saya apa saja?") that service's answer, or the code to send.
Everything else gets a polite reply.

:meth:`Desk.route` decides, without I/O, who handles a message; :meth:`Desk.handle` does it.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from refbot.config import Settings
from refbot.decisions import fanout
from refbot.decisions.librarian import LibrarianActions, is_librarian_action
from refbot.delivery import render
from refbot.desk.courtesy import Courtesy
from refbot.desk.erasure import Erasure, is_erasure
from refbot.desk.hours import OfficeHours
from refbot.desk.questions import Questions
from refbot.desk.replies import reply_once
from refbot.desk.smalltalk import Kind, Lexicon, Verdict, bundled, spelled_plainly
from refbot.models import Draft, InboundMessage, InboxRow, InformationNeed
from refbot.ports import DeskService, Source
from refbot.store import Store, Tx

log = logging.getLogger(__name__)

# Messages that need no answer: a reaction, a deleted or edited message, a system notice.
SILENT = frozenset({"reaction", "revoke", "edit", "edited", "deleted", "system", "ephemeral", "request_welcome"})
# Messages whose words may be a question.
WORDS = frozenset({"text", "image", "document", "button", "interactive"})


@dataclass(frozen=True)
class Route:
    """Who handles a message: ``to`` names the handler; a service's route carries the service."""

    to: str
    """``silent``, ``librarian``, ``erasure``, ``service``, ``courtesy``, ``question`` or ``unsupported``."""
    message: InboundMessage
    """The message as the handler reads it: a service asked about in words gets its code (``PINJAMAN``)."""
    service: DeskService | None = None
    verdict: Verdict | None = None
    """What the words are, for free text (why it is not a question, or is)."""

    def __str__(self) -> str:
        if self.service is not None:
            return f"{self.service.name}" + (f" {self.message.text}" if self.verdict else "")
        if self.to == "courtesy" and self.verdict is not None:
            hint = self.verdict.kind is Kind.HINT
            return self.verdict.kind.value + (f":{self.verdict.topic}" if hint else "")
        return self.to


@dataclass
class Desk:
    """Everything a message needs to be handled, passed in so tests can swap any part."""

    store: Store
    sources: Sequence[Source]
    settings: Settings
    detect: Callable[[str], str | None] | None = None
    clock: Callable[[], float] = time.time
    services: Sequence[DeskService] = ()
    smalltalk: Lexicon = field(default_factory=bundled)
    """What free text is when it is not an information need (``refbot/desk/smalltalk.yaml``)."""
    librarian_phones: frozenset[str] = field(init=False)
    hours: OfficeHours = field(init=False)
    librarian: LibrarianActions = field(init=False)
    questions: Questions = field(init=False)
    erasure: Erasure = field(init=False)
    courtesy: Courtesy = field(init=False)

    def __post_init__(self) -> None:
        self.librarian_phones = frozenset(lib.phone for lib in self.settings.librarians)
        self.hours = OfficeHours.from_settings(self.settings.desk)
        self.librarian = LibrarianActions(self.store, self.settings, self.notify_librarians)
        self.questions = Questions(self.store, self.sources, self.settings, self.hours, self._queue_review,
                                   self.detect, self.clock)
        # A stray "ya hapus" (no erasure asked for) is read like any other words.
        self.erasure = Erasure(self.store, self.settings, self._words, self.clock)
        self.courtesy = Courtesy(self.store, self.settings, self.hours, self.clock)

    async def handle(self, row: InboxRow) -> None:
        """Handle one claimed inbound message to completion (idempotent: safe to repeat)."""
        await self._follow(row, self.route(row.message))

    async def _follow(self, row: InboxRow, route: Route) -> None:
        if route.message is not row.message:
            row = dataclasses.replace(row, message=route.message)
        if route.to == "silent":
            log.info("%s message %s needs no answer", row.message.type, row.id)
            await self.store.finish_inbox(row.id)
        elif route.to == "librarian":
            await self.librarian.handle(row)
        elif route.to == "erasure":
            await self.erasure.handle(row)
        elif route.service is not None:
            if route.verdict is not None:
                log.info("inbox row %d asks %s in words (%s)", row.id, route.service.name, route.verdict.why)
            await route.service.handle(row)
        elif route.to == "courtesy" and route.verdict is not None:
            log.info("inbox row %d is no question: %s (%s)", row.id, route, route.verdict.why)
            await self.courtesy.answer(row, route.verdict)
        elif route.to == "question":
            await self.questions.ask(row)
        else:
            await reply_once(self.store, self.settings, row, "unsupported")

    def route(self, message: InboundMessage) -> Route:
        """Who handles ``message``, decided from the message alone (no I/O)."""
        from_librarian = message.sender in self.librarian_phones
        if message.type in SILENT:
            return Route("silent", message)
        if from_librarian and is_librarian_action(message):
            return Route("librarian", message)
        if is_erasure(message.text):
            return Route("erasure", message)
        if message.type == "text" and is_erasure(plain := spelled_plainly(message.text)):  # "Yes, delete!", "yaa hapus 🙏"
            return Route("erasure", dataclasses.replace(message, text=plain))
        if service := self._service_for(message, from_librarian):
            return Route("service", message, service)
        if message.type in WORDS and message.text.strip():
            return self._route_words(message, from_librarian)
        return Route("unsupported", message)

    def _route_words(self, message: InboundMessage, from_librarian: bool) -> Route:
        """Free text: a question, unless the lexicon reads it as small talk or a service's question."""
        if message.type != "text":
            return Route("question", message)
        verdict = self.smalltalk.classify(message.text)
        if verdict.kind is Kind.SERVICE:
            # Answered exactly as the code would be, by whichever service takes the code.
            coded = dataclasses.replace(message, text=verdict.code)
            service = self._service_for(coded, from_librarian)
            return Route("service", coded, service, verdict) if service else Route("question", message, verdict=verdict)
        if verdict.kind is Kind.NEED:
            return Route("question", message, verdict=verdict)
        return Route("courtesy", message, verdict=verdict)

    def _service_for(self, message: InboundMessage, from_librarian: bool) -> DeskService | None:
        return next((s for s in self.services if s.wants(message, from_librarian=from_librarian)), None)

    async def _words(self, row: InboxRow) -> None:
        """Free text, routed as :meth:`handle` routes it once the desk's codes have said no."""
        await self._follow(row, self._route_words(row.message, row.message.sender in self.librarian_phones))

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
