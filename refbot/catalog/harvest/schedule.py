"""Scheduled harvests: each source with an ``every`` is harvested by the worker, once per cluster.

The worker's chores call :meth:`ScheduledHarvests.start_due` each round. A source is due when
the store's ``chores`` table says its turn (``harvest:<name>``) has not been taken for
``every`` — the same claim that keeps every periodic chore to one worker in the cluster — and
no harvest of it is still running in this process. The harvest then runs as a task of its
own, so a long first harvest never holds up the window warnings and sends of the chores.
A failure is logged and kept in the store (``harvests``); the next turn tries again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from refbot.catalog.harvest.harvester import harvest_and_record
from refbot.catalog.serving import node_name
from refbot.config import HarvestSource, Settings, duration_seconds
from refbot.store import Store

log = logging.getLogger(__name__)


@dataclass
class ScheduledHarvests:
    """The harvests this worker has started, by source name."""

    running: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def start_due(self, store: Store, settings: Settings) -> list[str]:
        """Start the harvests that are due; the names of those started."""
        started = []
        for source in settings.catalog.harvest:
            every = duration_seconds(source.every) if source.every else None
            if every is None or self._busy(source.name):
                continue
            if await store.claim_chore(f"harvest:{source.name}", every, node_name()):
                task = asyncio.create_task(_harvest(store, settings, source), name=f"harvest {source.name}")
                self.running[source.name] = task
                started.append(source.name)
        return started

    def _busy(self, name: str) -> bool:
        task = self.running.get(name)
        return task is not None and not task.done()

    async def stop(self) -> None:
        """Cancel the harvests still running (what they wrote stays; the next turn asks again)."""
        for task in self.running.values():
            task.cancel()
        await asyncio.gather(*self.running.values(), return_exceptions=True)
        self.running.clear()


async def _harvest(store: Store, settings: Settings, source: HarvestSource) -> None:
    try:
        report = await harvest_and_record(store, settings, source, set_by="refbot worker (scheduled harvest)")
    except Exception:  # a locked index, a store hiccup: the next turn tries again
        log.warning("scheduled harvest of %s failed", source.name, exc_info=True)
        return
    if report.ok:
        log.info("harvested %s: %d read, %d added, %d updated, %d deleted, %d rejected; %d of its records in %s",
                 source.name, report.read, report.added, report.updated, report.deleted, len(report.rejected),
                 report.records, report.generation)
    else:
        log.warning("harvest of %s failed part way (%s); %d records read were kept", source.name, report.error,
                    report.read)
