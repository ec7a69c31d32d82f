"""Periodic chores: what the desk does because time passed, not because someone wrote."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from refbot.config import Settings
from refbot.decisions import fanout
from refbot.delivery.sender import WINDOW, Sender
from refbot.errors import SourceError
from refbot.models import OutgoingMessage
from refbot.ports import CuratedCollections
from refbot.store import Store
from refbot.store.media import media_store
from refbot.store.privacy import forget_farewells, purge_older_than
from refbot.texts import t

log = logging.getLogger(__name__)


@dataclass
class Chores:
    """Templates for shut windows, warnings before a window shuts, failure notices, and the retention purge."""

    store: Store
    sender: Sender
    settings: Settings
    zotero: CuratedCollections | None = None
    started: float = field(default_factory=time.time)
    _next_sync: float = 0.0

    async def run_once(self) -> None:
        """Do each chore once."""
        if self.zotero is not None:
            await self.zotero_chores(self.zotero)
        templates = await self.sender.queue_templates()
        warnings = await self.warn_closing_windows()
        # Failures WhatsApp reported in a status webhook, and any the sender could not report.
        failures = await self.sender.report_failures()
        cutoff = self.store.clock() - self.settings.privacy.retention_days * 86400
        purged = await purge_older_than(self.store, cutoff, media_store(self.settings, self.store))
        purged += await forget_farewells(self.store)
        if templates or warnings or failures or purged:
            log.info("chores: %d templates queued, %d window warnings, %d failure notices, %d rows purged",
                     templates, warnings, failures, purged)

    async def zotero_chores(self, zotero: CuratedCollections) -> None:
        """Copy the library's Zotero collections when due; save approved lists not yet saved."""
        if self.store.clock() >= self._next_sync:
            self._next_sync = self.store.clock() + self.settings.zotero.sync_interval
            try:
                await zotero.sync.run_once()
            except SourceError as e:  # the previous copy stays searchable
                log.warning("zotero sync failed: %s", e.reason)
        if self.settings.zotero.save_approved:
            await zotero.saver.save_pending(since=self.started)

    async def warn_closing_windows(self) -> int:
        """Tell librarians, once per draft, that a waiting patron's window is about to shut."""
        margin = self.settings.whatsapp.window_warning_minutes * 60
        now = self.store.clock()
        queued = 0
        language = self.settings.language.default
        for draft_id, last in await self.store.drafts_closing(now, margin):
            minutes = max(1, int((last + WINDOW - now) // 60))
            warning = OutgoingMessage(to="", text=t(language, "window_warning", id=draft_id, minutes=minutes))
            async with self.store.tx() as db:
                queued += await fanout.to_librarians(self.store, db, self.settings.librarians,
                                                     f"window-warning:{draft_id}", [warning], draft_id=draft_id)
        return queued
