"""HAPUS DATA / DELETE MY DATA: a patron erases what the desk keeps about them, after confirming.

The prompt and the goodbye are in the language the patron chose (``BAHASA#EN``), else in the
language of the words they just typed: ``DELETE MY DATA`` is answered in English, ``HAPUS DATA``
in Indonesian, whatever the library's default.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from refbot.config import Settings
from refbot.desk.replies import reply_once
from refbot.models import InboxRow, OutgoingMessage
from refbot.store import Store
from refbot.store.media import media_store
from refbot.store.privacy import erase_patron
from refbot.texts import LANGUAGES, t

_ERASE = re.compile(r"^\s*(hapus\s+data(\s+saya)?|delete\s+my\s+data)\s*[.!]*\s*$", re.IGNORECASE)
_ERASE_YES = re.compile(r"^\s*(ya\s+hapus|yes\s+delete)\s*[.!]*\s*$", re.IGNORECASE)
_ENGLISH = re.compile(r"^\s*(delete|yes)\b", re.IGNORECASE)


def is_erasure(text: str) -> bool:
    """Whether a message asks for erasure or confirms it."""
    return bool(_ERASE.match(text) or _ERASE_YES.match(text))


@dataclass
class Erasure:
    """Asks for confirmation, then erases; a "yes" with no request before it is just a message."""

    store: Store
    settings: Settings
    otherwise: Callable[[InboxRow], Awaitable[None]]
    """What to do with a stray confirmation (treat it as a question)."""
    clock: Callable[[], float] = time.time

    async def handle(self, row: InboxRow) -> None:
        """Ask to confirm, or erase after a confirmation in time (idempotent: safe to repeat)."""
        message, minutes = row.message, self.settings.privacy.erase_confirm_minutes
        language = await self._language(message.sender, message.text)
        if _ERASE.match(message.text):
            async with self.store.tx() as tx:
                await self.store.add_event(tx, message.sender, "erase_requested", f"inbox:{row.id}", {})
            await reply_once(self.store, self.settings, row, "erase_confirm", language, minutes=minutes)
            return
        asked_at = await self.store.erase_requested_at(message.sender)
        if asked_at is None or self.clock() - asked_at > minutes * 60:
            if message.type == "text":
                await self.otherwise(row)
            else:
                await reply_once(self.store, self.settings, row, "unsupported")
            return
        await erase_patron(self.store, message.sender, media_store(self.settings, self.store))
        async with self.store.tx() as tx:
            goodbye = OutgoingMessage(to=message.sender, text=t(language, "erase_done"))
            await self.store.enqueue(tx, f"reply:{row.id}:erased", goodbye)
            await self.store.finish_inbox(row.id, tx)

    async def _language(self, phone: str, text: str) -> str:
        """The language the patron chose, else the one their words are in (read before the erasure forgets it)."""
        chosen = await self.store.patron_language(phone)
        if chosen in LANGUAGES:
            return str(chosen)
        return "en" if _ENGLISH.match(text) else "id"
