"""Periodic chores: what the desk does because time passed, not because someone wrote."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from refbot.config import Settings
from refbot.models import OutgoingMessage
from refbot.sender import WINDOW, Sender
from refbot.store import Store
from refbot.store.privacy import purge_older_than
from refbot.texts import t

log = logging.getLogger(__name__)


@dataclass
class Chores:
    """Templates for shut windows, warnings before a window shuts, and the retention purge."""

    store: Store
    sender: Sender
    settings: Settings

    async def run_once(self) -> None:
        """Do each chore once."""
        templates = await self.sender.queue_templates()
        warnings = await self.warn_closing_windows()
        purged = await purge_older_than(self.store, self.store.clock() - self.settings.privacy.retention_days * 86400)
        if templates or warnings or purged:
            log.info("chores: %d templates queued, %d window warnings, %d rows purged", templates, warnings, purged)

    async def warn_closing_windows(self) -> int:
        """Tell librarians, once per draft, that a waiting patron's window is about to shut."""
        margin = self.settings.whatsapp.window_warning_minutes * 60
        now = self.store.clock()
        queued = 0
        language = self.settings.language.default
        for draft_id, last in await self.store.drafts_closing(now, margin):
            minutes = max(1, int((last + WINDOW - now) // 60))
            async with self.store.tx() as db:
                for lib in self.settings.librarians:
                    text = t(language, "window_warning", id=draft_id, minutes=minutes)
                    key = f"window-warning:{draft_id}:{lib.phone}"
                    queued += await self.store.enqueue(db, key, OutgoingMessage(to=lib.phone, text=text), draft_id)
        return queued
