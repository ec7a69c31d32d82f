"""Periodic chores: what the desk does because time passed, not because someone wrote.

The first of them is the librarians' morning digest (:mod:`refbot.delivery.digest`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from refbot.catalog.harvest.schedule import ScheduledHarvests
from refbot.config import Settings
from refbot.decisions import fanout
from refbot.delivery.digest import MorningDigest
from refbot.delivery.sender import WINDOW, Sender
from refbot.errors import SourceError
from refbot.models import OutgoingMessage
from refbot.ports import CuratedCollections, SimilarityPolling
from refbot.store import Store
from refbot.store.media import media_store
from refbot.store.privacy import forget_farewells, purge_older_than, purge_similarity_files
from refbot.texts import t

log = logging.getLogger(__name__)


@dataclass
class Chores:
    """The morning digest, templates for shut windows, warnings before a window shuts, failure notices, the retention purge."""

    store: Store
    sender: Sender
    settings: Settings
    zotero: CuratedCollections | None = None
    similarity: SimilarityPolling | None = None
    """Automated similarity checks (Turnitin) to advance each round; None: checks are done by hand."""
    started: float = field(default_factory=time.time)
    harvests: ScheduledHarvests = field(default_factory=ScheduledHarvests)
    """OAI-PMH sources whose `every` is due are harvested in tasks of their own (catalog.harvest)."""
    _next_sync: float = 0.0

    async def run_once(self) -> None:
        """Do each chore once."""
        digests = await self.morning_digest()
        await self.harvests.start_due(self.store, self.settings)
        if self.zotero is not None:
            await self.zotero_chores(self.zotero)
        templates = await self.sender.queue_templates()
        warnings = await self.warn_closing_windows()
        # Failures WhatsApp reported in a status webhook, and any the sender could not report.
        failures = await self.sender.report_failures()
        cutoff = self.store.clock() - self.settings.privacy.retention_days * 86400
        purged = await purge_older_than(self.store, cutoff, media_store(self.settings, self.store))
        purged += await forget_farewells(self.store)
        manuscripts = await purge_similarity_files(self.store, self.store.clock(), self.settings.similarity.keep_days,
                                                   media_store(self.settings, self.store))
        checks = await self.similarity_chores(self.similarity) if self.similarity is not None else 0
        if templates or warnings or failures or purged or manuscripts or checks or digests:
            log.info("chores: %d templates queued, %d window warnings, %d failure notices, %d rows purged,"
                     " %d similarity files deleted, %d similarity checks looked at, %d morning digests",
                     templates, warnings, failures, purged, manuscripts, checks, digests)

    async def morning_digest(self) -> int:
        """At the day's digest time, one digest per librarian of what waited overnight (once per cluster).

        Without quiet hours (``desk.hold_librarian_notices: false``), notices still kept quiet
        from before the setting changed go out as they are.
        """
        quiet = self.sender.quiet
        if quiet is None:
            await self.store.release_quiet()
            return 0
        return await MorningDigest(self.store, self.settings, quiet, self.sender.worker).run()

    async def similarity_chores(self, similarity: SimilarityPolling) -> int:
        """Advance the automated similarity checks that are due (each failure is the check's, not the round's)."""
        return await similarity.poll_due()

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
