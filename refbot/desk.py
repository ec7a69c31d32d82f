"""The reference desk: what happens to each message a person sends the library's number.

A patron's text is a question: parse → search → rank → draft, with the draft sent to the
librarians for review. A librarian's button or command acts on a draft through
:mod:`refbot.approvals`. Everything else gets a polite reply.
"""

from __future__ import annotations

import datetime
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from refbot import approvals, render
from refbot.config import Settings
from refbot.errors import DraftConflict
from refbot.models import InboundMessage, OutgoingMessage
from refbot.pipeline.parse import parse_need, reply_language
from refbot.pipeline.rank import rank
from refbot.pipeline.search import search_all
from refbot.ports import Source
from refbot.store import InboxRow, Store
from refbot.texts import t

log = logging.getLogger(__name__)

_BUTTON = re.compile(r"^(approve|edit|reject):(\d+)$")
_COMMAND = re.compile(r"^\s*#(\d+)\s+(\w+)\s*(.*)$", re.DOTALL)
_REMOVE = {"hapus", "buang", "remove", "delete", "drop"}
_ORDER = {"urut", "urutkan", "order", "reorder"}
_NOTE = {"catatan", "note", "pesan"}


class DeskService(Protocol):
    """One of the desk's other services (circulation codes, snap and send, clearance letters).

    The desk offers each inbound message to its services in order before treating it as a
    reference question; the first whose ``wants`` says yes handles it. ``handle`` must be
    idempotent (a message is handled again after a crash) and must finish the inbox row
    (``store.finish_inbox``) in the same transaction as its effects.
    """

    name: str

    def wants(self, message: InboundMessage, *, from_librarian: bool) -> bool: ...

    async def handle(self, row: InboxRow) -> None: ...


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

    def __post_init__(self) -> None:
        self.librarian_phones = frozenset(lib.phone for lib in self.settings.librarians)

    async def handle(self, row: InboxRow) -> None:
        """Handle one claimed inbound message to completion (idempotent: safe to repeat)."""
        message = row.message
        from_librarian = message.sender in self.librarian_phones
        service = next((s for s in self.services if s.wants(message, from_librarian=from_librarian)), None)
        if from_librarian and self._is_librarian_action(message):
            await self._librarian_action(row)
        elif service is not None:
            await service.handle(row)
        elif message.type in ("text", "image", "document") and message.text.strip():
            await self.ask(row)
        else:
            await self._reply_once(row, "unsupported")

    # -- patrons ---------------------------------------------------------------------------

    async def ask(self, row: InboxRow) -> None:
        """A patron's question, from words to a draft in front of the librarians."""
        message, lang_default = row.message, self.settings.language.default
        year = datetime.datetime.fromtimestamp(self.clock(), datetime.UTC).year
        need = parse_need(message.text, lang_default, current_year=year, detect=self.detect)
        request = await self.store.create_request(row.id, message.sender, need)
        language = reply_language(need, lang_default)
        async with self.store.tx() as db:
            ack = OutgoingMessage(to=message.sender, text=t(language, "ack"))
            await self.store.enqueue(db, f"ack:{request.id}", ack)
        if await self.store.draft_for_request(request.id) is not None:
            await self.store.finish_inbox(row.id)  # drafted before a crash; nothing to redo
            return
        outcome = await search_all(need, self.sources, self.settings.search.per_source, self.settings.search.deadline)
        items = rank(need, outcome.results, self.settings.match, self.settings.search.draft_size)
        notes = tuple(
            t(lang_default, "source_failed", source=name.capitalize(), reason=reason)
            for name, reason in outcome.failures.items()
        )
        async with self.store.tx() as db:
            draft_id = await self.store.insert_draft(db, request.id, items, notes)
            await self.store.finish_inbox(row.id, db)
        if draft_id is not None:
            await self.notify_librarians(draft_id)

    async def notify_librarians(self, draft_id: int) -> None:
        """Queue the current version of a draft, with its buttons, to every librarian."""
        draft = await self.store.get_draft(draft_id)
        request = await self.store.get_request(draft.request_id) if draft else None
        if draft is None or request is None:
            return
        language = self.settings.language.default
        async with self.store.tx() as db:
            for lib in self.settings.librarians:
                messages = render.librarian_draft(draft, request.need, language, lib.phone)
                for n, message in enumerate(messages):
                    key = f"draft:{draft.id}:v{draft.version}:librarian:{lib.phone}:{n}"
                    await self.store.enqueue(db, key, message, draft.id)

    async def _reply_once(self, row: InboxRow, key: str) -> None:
        language = self.settings.language.default
        async with self.store.tx() as db:
            message = OutgoingMessage(to=row.message.sender, text=t(language, key))
            await self.store.enqueue(db, f"reply:{row.id}:{key}", message)
            await self.store.finish_inbox(row.id, db)

    # -- librarians ------------------------------------------------------------------------

    @staticmethod
    def _is_librarian_action(message: InboundMessage) -> bool:
        return bool(_BUTTON.match(message.button_id) or _COMMAND.match(message.text))

    async def _librarian_action(self, row: InboxRow) -> None:
        message = row.message
        language = self.settings.language.default
        button = _BUTTON.match(message.button_id)
        command = _COMMAND.match(message.text)
        draft_id = int(button[2]) if button else int(command[1]) if command else 0
        try:
            if button:
                reply = await self._button(button[1], draft_id, message.sender)
            else:
                assert command is not None
                reply = await self._command(draft_id, command[2].lower(), command[3], message.sender)
        except DraftConflict as e:
            reply = await self._conflict_text(draft_id, str(e))
        except ValueError as e:
            reply = t(language, "edit_failed", id=draft_id, reason=str(e))
        async with self.store.tx() as db:
            if reply:
                await self.store.enqueue(db, f"reply:{row.id}", OutgoingMessage(to=message.sender, text=reply))
            await self.store.finish_inbox(row.id, db)

    async def _button(self, action: str, draft_id: int, actor: str) -> str:
        language = self.settings.language.default
        if action == "approve":
            await approvals.approve(self.store, draft_id, actor, language=language)
            return t(language, "approved_ack", id=draft_id)
        if action == "reject":
            await approvals.reject(self.store, draft_id, actor, language=language)
            return t(language, "rejected_ack", id=draft_id)
        return t(language, "edit_help", id=draft_id, console="")

    async def _command(self, draft_id: int, verb: str, rest: str, actor: str) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", rest)]
        if verb in _REMOVE:
            decision = await approvals.edit(self.store, draft_id, actor, remove=numbers)
        elif verb in _ORDER:
            decision = await approvals.edit(self.store, draft_id, actor, order=numbers)
        elif verb in _NOTE:
            decision = await approvals.edit(self.store, draft_id, actor, note=rest)
        else:
            raise ValueError(f"unknown command '{verb}'")
        if decision.changed:
            await self.notify_librarians(draft_id)
        return ""

    async def _conflict_text(self, draft_id: int, reason: str) -> str:
        language = self.settings.language.default
        draft = await self.store.get_draft(draft_id)
        if draft is None:
            return t(language, "not_found", id=draft_id)
        row = await self.store.fetchone("SELECT decided_by FROM drafts WHERE id = ?", (draft_id,))
        names = {lib.phone: lib.name for lib in self.settings.librarians}
        decided_by = row["decided_by"] if row else ""
        who = names.get(decided_by) or render.mask_phone(decided_by) or "?"
        log.info("librarian action on draft %s refused: %s", draft_id, reason)
        return t(language, "conflict", id=draft_id, status=t(language, f"status_{draft.status.value}"), who=who)
