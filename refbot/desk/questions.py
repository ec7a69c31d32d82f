"""A patron's question, from words to a draft in front of the librarians.

parse → (rate limit) → request + acknowledgement → the pipeline → draft + review messages.
Each step is a row before the next begins, so a question handled again after a crash makes
exactly the rows still missing: one request, one acknowledgement, one draft.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from refbot.config import Settings
from refbot.delivery.render import mask_phone
from refbot.desk.hours import OfficeHours
from refbot.desk.replies import reply_once
from refbot.metrics import NO_METRICS, LibraryMetrics
from refbot.models import Draft, InboundMessage, InboxRow, InformationNeed, OutgoingMessage, Ranked
from refbot.pipeline.answer import answer
from refbot.pipeline.parse import parse_need, reply_language
from refbot.pipeline.refine import reads_as_refinement, refine
from refbot.ports import Source
from refbot.store import Store, Tx
from refbot.store.refinements import last_list, replied_request
from refbot.texts import t

log = logging.getLogger(__name__)

Review = Callable[[Tx, Draft, InformationNeed], Awaitable[None]]
"""Queues a new draft's review messages to the librarians inside the given transaction."""


@dataclass
class Questions:
    """Answers patrons' questions with drafts; ``review`` puts each draft in front of the librarians."""

    store: Store
    sources: Sequence[Source]
    settings: Settings
    hours: OfficeHours
    review: Review
    detect: Callable[[str], str | None] | None = None
    clock: Callable[[], float] = time.time
    metrics: LibraryMetrics = field(default_factory=lambda: NO_METRICS.library(""))
    """Where drafts and the sources' answer times are counted (the worker's)."""

    async def ask(self, row: InboxRow) -> None:
        """Handle one question to completion (idempotent: safe to repeat)."""
        message, default = row.message, self.settings.language.default
        need, refined = await self._understand(message)
        if await self._too_many(row, need):
            return
        request = await self.store.create_request(row.id, message.sender, need)
        need = request.need  # as first stored: a retry after a crash answers the same need
        async with self.store.tx() as tx:
            ack = OutgoingMessage(to=message.sender, text=self._ack(reply_language(need, default)))
            await self.store.enqueue(tx, f"ack:{request.id}", ack)
        if await self.store.draft_for_request(request.id) is not None:
            await self.store.finish_inbox(row.id)  # drafted before a crash; nothing to redo
            return
        year = dt.datetime.fromtimestamp(self.clock(), dt.UTC).year
        found = await answer(need, self.sources, self.settings.search, self.settings.match,
                             observe=self.metrics.source_answered, current_year=year)
        notes = tuple(t(default, "source_failed", source=name.capitalize(), reason=reason)
                      for name, reason in found.failures.items()) + self._refinement_notes(need, refined, found.items)
        # The draft, its review messages and the finished row are one transaction: a crash
        # leaves either all of them or none, and the retry makes exactly the missing ones.
        async with self.store.tx() as tx:
            draft_id = await self.store.insert_draft(tx, request.id, found.items, notes, found.confidence)
            if draft_id is not None:
                draft = Draft(draft_id, request.id, found.items, source_notes=notes, language=need.language,
                              patron=message.sender, question=need.raw, confidence=found.confidence)
                await self.review(tx, draft, need)
            await self.store.finish_inbox(row.id, tx)
        if draft_id is not None:
            await self._draft_ready(row, draft_id, len(found.items), found.failures)

    async def _draft_ready(self, row: InboxRow, draft_id: int, items: int, failures: dict[str, str]) -> None:
        """Log and count a new draft: how long after its webhook it was ready is what the patron waited."""
        received = await self.store.received_at(row.id) if self.metrics.enabled else None
        self.metrics.draft_made(self.clock() - received if received is not None else None)
        log.info("draft %d ready for inbox row %d: %d items%s", draft_id, row.id, items,
                 f"; failed: {', '.join(sorted(failures))}" if failures else "")

    async def _understand(self, message: InboundMessage) -> tuple[InformationNeed, int | None]:
        """The message's need, narrowed from the request it refines (and that request's id), if any."""
        year = dt.datetime.fromtimestamp(self.clock(), dt.UTC).year
        own = parse_need(message.text, self.settings.language.default, current_year=year, detect=self.detect)
        refined = await self._refines(message, own)
        previous = await self.store.get_request(refined) if refined is not None else None
        if previous is None:
            return own, None
        return refine(previous.need, own), previous.id

    async def _refines(self, message: InboundMessage, own: InformationNeed) -> int | None:
        # Quoting the list refines it, whatever the words; a short narrowing message right after
        # a list ("yang bahasa Indonesia saja") does too, within desk.refine_within_minutes.
        if message.context_id:
            quoted = await replied_request(self.store, message.context_id, message.sender)
            if quoted is not None:
                return quoted
        window = self.settings.desk.refine_within_minutes * 60
        if window <= 0 or not reads_as_refinement(own):
            return None
        return await last_list(self.store, message.sender, self.clock() - window)

    def _refinement_notes(self, need: InformationNeed, refined: int | None,
                          items: Sequence[Ranked]) -> tuple[str, ...]:
        """What the librarian reads on a refined draft: which request it narrows, and a wish it could not meet."""
        default = self.settings.language.default
        notes: tuple[str, ...] = (t(default, "refined_note", id=refined),) if refined is not None else ()
        if need.languages and items and not any(r.candidate.language in need.languages for r in items):
            # Records often carry no language: a filter would empty the draft, so it is said instead.
            names = ", ".join(t(default, f"language_name_{code}") for code in sorted(need.languages))
            notes += (t(default, "language_unmet", languages=names),)
        return notes

    async def _too_many(self, row: InboxRow, need: InformationNeed) -> bool:
        limit = self.settings.desk.max_questions_per_hour
        asked = await self.store.questions_since(row.message.sender, self.clock() - 3600)
        already = await self.store.has_request_for_inbox(row.id)
        if asked < limit or already:
            return False
        log.info("patron %s paused: %d questions in the last hour", mask_phone(row.message.sender), asked)
        await reply_once(self.store, self.settings, row, "rate_limited",
                         reply_language(need, self.settings.language.default))
        return True

    def _ack(self, language: str) -> str:
        # One date format everywhere: "Jumat, 4 Desember 2026 pukul 08:00", as snap and letters say it.
        when = self.hours.when_open(dt.datetime.fromtimestamp(self.clock(), dt.UTC), language)
        return t(language, "ack_closed", when=when) if when else t(language, "ack")
