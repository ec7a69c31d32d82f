"""A librarian's moves on WhatsApp: the draft buttons and the ``#12 hapus 2`` edit commands.

A thin adapter over :mod:`refbot.decisions.drafts`; what it adds is reading the librarian's words
and answering them in the desk's language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from refbot.config import Settings
from refbot.decisions import drafts
from refbot.delivery import render
from refbot.errors import DraftConflict, EditRefused
from refbot.models import InboundMessage, OutgoingMessage
from refbot.store import InboxRow, Store
from refbot.texts import t

log = logging.getLogger(__name__)

_BUTTON = re.compile(r"^(approve|edit|reject):(\d+)$")
_COMMAND = re.compile(r"^\s*#(\d+)\s+(\w+)\s*(.*)$", re.DOTALL)
_REMOVE = {"hapus", "buang", "remove", "delete", "drop"}
_ORDER = {"urut", "urutkan", "order", "reorder"}
_NOTE = {"catatan", "note", "pesan"}


def is_librarian_action(message: InboundMessage) -> bool:
    """Whether a librarian's message is a draft button or an edit command."""
    return bool(_BUTTON.match(message.button_id) or _COMMAND.match(message.text))


@dataclass
class LibrarianActions:
    """Carries out a librarian's button press or command and queues the answer."""

    store: Store
    settings: Settings
    notify: Callable[[int], Awaitable[None]]

    @property
    def language(self) -> str:
        return self.settings.language.default

    async def handle(self, row: InboxRow) -> None:
        """Act on the draft the message names, reply to the librarian, finish the row."""
        message = row.message
        button = _BUTTON.match(message.button_id)
        command = _COMMAND.match(message.text)
        draft_id = int(button[2]) if button else int(command[1]) if command else 0
        try:
            if button:
                reply = await self._button(button[1], draft_id, message.sender)
            else:
                assert command is not None
                reply = await self._command(draft_id, command[2].lower(), command[3], message.sender, row.id)
        except DraftConflict as e:
            reply = await self._conflict_text(draft_id, str(e))
        except EditRefused as e:
            reply = t(self.language, "edit_failed", id=draft_id, reason=str(e))
        async with self.store.tx() as db:
            if reply:
                await self.store.enqueue(db, f"reply:{row.id}", OutgoingMessage(to=message.sender, text=reply))
            await self.store.finish_inbox(row.id, db)

    async def _button(self, action: str, draft_id: int, actor: str) -> str:
        if action == "approve":
            await drafts.approve(self.store, draft_id, actor, language=self.language)
            return t(self.language, "approved_ack", id=draft_id)
        if action == "reject":
            await drafts.reject(self.store, draft_id, actor, language=self.language)
            return t(self.language, "rejected_ack", id=draft_id)
        console = ""
        if self.settings.secrets.console_secret or self.settings.sandbox.enabled:
            library = f"/{self.settings.library_id}" if self.settings.library_id else ""  # as web.console.draft_url
            console = t(self.language, "edit_console", url=f"{self.settings.public_url}/console{library}/drafts/{draft_id}")
        return t(self.language, "edit_help", id=draft_id, console=console)

    async def _command(self, draft_id: int, verb: str, rest: str, actor: str, inbox_id: int) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", rest)]
        idem = f"inbox:{inbox_id}"
        if verb in _REMOVE:
            decision = await drafts.edit(self.store, draft_id, actor, remove=numbers, idem=idem)
        elif verb in _ORDER:
            decision = await drafts.edit(self.store, draft_id, actor, order=numbers, idem=idem)
        elif verb in _NOTE:
            decision = await drafts.edit(self.store, draft_id, actor, note=rest, idem=idem)
        else:
            raise EditRefused(f"unknown command '{verb}'")
        if decision.changed:
            await self.notify(draft_id)
        return ""

    async def _conflict_text(self, draft_id: int, reason: str) -> str:
        draft = await self.store.get_draft(draft_id)
        if draft is None:
            return t(self.language, "not_found", id=draft_id)
        names = {lib.phone: lib.name for lib in self.settings.librarians}
        decided_by = await self.store.draft_decided_by(draft_id)
        # A console librarian decides as "console:<username>"; a WhatsApp one by phone number.
        who = names.get(decided_by) or decided_by.removeprefix("console:") if decided_by.startswith("console:") \
            else names.get(decided_by) or render.mask_phone(decided_by) or "?"
        log.info("librarian action on draft %s refused: %s", draft_id, reason)
        status = t(self.language, f"status_{draft.status.value}")
        return t(self.language, "conflict", id=draft_id, status=status, who=who)
