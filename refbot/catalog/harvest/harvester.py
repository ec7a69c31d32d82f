"""Harvesting one OAI-PMH source into the catalog: full the first time, incremental after.

A harvest asks the repository who it is (Identify: its datestamp granularity, and its clock),
then lists its records page by page — from the last successful harvest's datestamp when there
is one and the records went into the generation still served (or one it carries on), else
everything. An incremental harvest writes them to the served generation in batches
(:mod:`refbot.catalog.harvest.apply`); a full one writes a new generation, as ``index build``
does, and switches it in at the end (:mod:`refbot.catalog.harvest.staged`):

- a record replaces the one with the same id (``<source>:<OAI identifier>``);
- a record the repository marks deleted is removed;
- ``noRecordsMatch`` is an empty list: nothing new;
- a refused resumption token starts the list again from its first page (what was written
  stays: writing a record twice changes nothing), at most :data:`MAX_RESTARTS` times;
- a page that fails after its retries (or hangs past the timeout) ends the harvest as failed,
  but the batches already read are written (and served) first, so nothing harvested is lost; the datestamp
  stays where it was, and the next harvest asks again from there;
- a full harvest into an index that already holds the source's records removes those the
  repository no longer lists (a repository that forgets deletions instead of marking them).

The next ``from`` is the repository's own time at the start of a successful harvest (its
Identify ``responseDate``, cut to its granularity), so a record changed while it ran is asked
for again next time rather than missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from refbot.catalog import generations as gens
from refbot.catalog.harvest.apply import Applied, InPlace, Target, open_target
from refbot.catalog.harvest.client import BadToken, HarvestError, OaiClient
from refbot.catalog.harvest.mapping import Origin, to_record
from refbot.catalog.harvest.protocol import Page
from refbot.catalog.harvest.staged import StagedGeneration, lineage
from refbot.catalog.record import CatalogRecord, RejectedRecord
from refbot.catalog.serving import LIBRARY, record_served
from refbot.config import HarvestSource, Settings
from refbot.errors import CatalogError
from refbot.store import Store
from refbot.store.harvests import HarvestRun, last_harvest, record_harvest

MAX_RESTARTS = 2
PAGE_TIMEOUT = 60.0


@dataclass(frozen=True)
class HarvestProgress:
    """How far a harvest has got, for a progress line."""

    source: str
    pages: int
    read: int
    rejected: int
    elapsed: float
    complete_size: int | None = None

    @property
    def rate(self) -> float:
        """Records read per second so far."""
        return self.read / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class HarvestReport:
    """What one harvest of one source read and changed.

    Attributes:
        full: everything was asked for (no ``from``).
        since: the ``from`` asked with ('' for a full harvest).
        datestamp: the ``from`` of the next harvest (unchanged when this one failed).
        records: the source's records in the index afterwards.
        restarts: how often a refused resumption token started the list again.
        waits: the seconds waited between tries (503 Retry-After, backoff).
        error: why the harvest stopped part way; '' when it ended well.
    """

    source: str
    generation: str
    full: bool
    since: str = ""
    datestamp: str = ""
    pages: int = 0
    read: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    rejected: tuple[RejectedRecord, ...] = ()
    records: int = 0
    restarts: int = 0
    waits: tuple[float, ...] = ()
    duration: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        """Whether the harvest ended well."""
        return not self.error

    @property
    def rate(self) -> float:
        """Records read per second."""
        return self.read / self.duration if self.duration > 0 else 0.0

    def by_reason(self) -> dict[str, list[RejectedRecord]]:
        """Rejected records grouped by reason, the most common first."""
        groups: dict[str, list[RejectedRecord]] = {}
        for reject in self.rejected:
            groups.setdefault(reject.category, []).append(reject)
        return dict(sorted(groups.items(), key=lambda item: -len(item[1])))


ProgressCallback = Callable[[HarvestProgress], None]


class Writes(Protocol):
    """Where a harvest's batches go: the served generation in place, or a new one (full harvests)."""

    @property
    def batch(self) -> int: ...

    def expect(self, size: int | None) -> None: ...

    def apply(self, records: list[CatalogRecord], deleted: list[str]) -> Applied: ...

    def finish(self) -> str: ...

    def abandon(self) -> None: ...


@dataclass
class _Run:
    """One harvest under way: the records waiting to be written, and the counts so far."""

    source: HarvestSource
    target: Target
    writes: Writes
    client: OaiClient
    progress: ProgressCallback | None
    started: float = field(default_factory=time.monotonic)
    pending: dict[str, CatalogRecord] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    rejected: list[RejectedRecord] = field(default_factory=list)
    pages: int = 0
    read: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    writing: asyncio.Future[Applied] | None = None

    def take(self, page: Page) -> None:
        origin = Origin(self.source.name, self.source.label)
        for oai in page.records:
            self.read += 1
            record_id = f"{self.source.name}:{oai.identifier}"
            self.seen.add(record_id)
            if oai.deleted:
                self.pending.pop(record_id, None)
                self.gone.add(record_id)
                continue
            item = to_record(oai, origin, self.source.metadata_prefix)
            if isinstance(item, RejectedRecord):
                self.rejected.append(item)
                continue
            self.gone.discard(record_id)
            self.pending[record_id] = item
        self.pages += 1
        self.writes.expect(page.complete_size)
        if self.progress is not None:
            self.progress(HarvestProgress(self.source.name, self.pages, self.read, len(self.rejected),
                                          time.monotonic() - self.started, page.complete_size))

    async def flush(self, wait: bool = True) -> None:
        """Write what is pending: in the background while the next pages are read, or to the end."""
        if self.writing is not None:
            self.count(await self.writing)  # one batch written at a time, in order
            self.writing = None
        if self.pending or self.gone:
            records, gone = list(self.pending.values()), list(self.gone)
            self.pending, self.gone = {}, set()
            self.writing = asyncio.ensure_future(asyncio.to_thread(self.writes.apply, records, gone))
        if wait and self.writing is not None:
            self.count(await self.writing)
            self.writing = None

    async def finish(self) -> str:
        """Write what is pending and make it served; the generation served afterwards."""
        await self.flush()
        return await asyncio.to_thread(self.writes.finish)

    async def abandon(self) -> None:
        """Stop writing: a batch under way ends first, then a staged generation is dropped."""
        if self.writing is not None:
            with contextlib.suppress(BaseException):
                await self.writing
        await asyncio.to_thread(self.writes.abandon)

    def count(self, applied: Applied) -> None:
        self.added += applied.added
        self.updated += applied.updated
        self.deleted += applied.deleted


async def harvest(source: HarvestSource, index_dir: Path, since: str = "", *, page_timeout: float = PAGE_TIMEOUT,
                  progress: ProgressCallback | None = None, client: OaiClient | None = None,
                  previous_generation: str = "", procs: int | None = 1, keep: int = 3) -> HarvestReport:
    """Harvest ``source`` into the generation served in ``index_dir``.

    Args:
        since: the ``from`` of an incremental harvest; '' asks for everything.
        previous_generation: where the last harvest wrote; when the generation served now does
            not carry its records (a rebuild from exports), the harvest is full whatever ``since`` says.
        procs: Whoosh writer processes for a full harvest; None lets a large one use 2, as
            ``index build`` does — it forks, so only from a command, never inside the service.
        keep: how many complete generations to keep on disk after a full harvest.

    Raises:
        CatalogError: the index cannot be written (locked by a build, an older layout); a
            repository that fails is not raised but reported (``error``).
    """
    client = client or OaiClient(source.name, source.url, timeout=page_timeout)
    try:
        with gens.exclusive(index_dir):
            target = await asyncio.to_thread(open_target, index_dir, source.name)
            if previous_generation and previous_generation not in lineage(target.path):
                since = ""
            writes = InPlace(target) if since else StagedGeneration(target, procs, keep)
            run = _Run(source, target, writes, client, progress)
            try:
                report = await _harvest(run, since)
            except BaseException:
                await run.abandon()
                raise
    finally:
        client.close()
    return report


async def _harvest(run: _Run, since: str) -> HarvestReport:
    restarts, error, datestamp = 0, "", ""
    try:
        identify = await run.client.identify()
        datestamp = identify.response_date if identify.seconds else identify.response_date[:10]
        while True:
            try:
                await _list(run, since)
                break
            except BadToken as refused:
                restarts += 1
                if restarts > MAX_RESTARTS:
                    raise HarvestError(run.source.name, f"{refused.problem}, {restarts} times") from None
        if not since:
            run.gone |= run.target.existing - run.seen  # the repository no longer lists them
    except HarvestError as failed:
        error = failed.problem  # what was read before the failure is kept
    generation = await run.finish()
    return HarvestReport(
        source=run.source.name, generation=generation, full=not since, since=since,
        datestamp="" if error else datestamp, pages=run.pages, read=run.read, added=run.added,
        updated=run.updated, deleted=run.deleted, rejected=tuple(run.rejected), records=len(run.target.existing),
        restarts=restarts, waits=tuple(run.client.waits), duration=time.monotonic() - run.started, error=error,
    )


async def _list(run: _Run, since: str) -> None:
    """Every page of the list; the next page is asked for while this one is mapped and written."""

    def ask(token: str) -> asyncio.Task[Page]:
        return asyncio.create_task(run.client.list_records(
            run.source.metadata_prefix, set_spec=run.source.set, from_=since, token=token))

    coming = ask("")
    try:
        while True:
            page = await coming
            if page.token:
                coming = ask(page.token)
            await asyncio.to_thread(run.take, page)
            if len(run.pending) + len(run.gone) >= run.writes.batch:
                await run.flush(wait=False)
            if not page.token:
                return
    finally:
        if not coming.done():
            coming.cancel()
            with contextlib.suppress(BaseException):
                await coming


async def harvest_and_record(store: Store, settings: Settings, source: HarvestSource, *, full: bool = False,
                             progress: ProgressCallback | None = None, set_by: str = "refbot harvest",
                             procs: int | None = 1) -> HarvestReport:
    """Harvest ``source`` from where its last successful harvest left off, and keep how it went.

    ``procs`` is :func:`harvest`'s: the worker's scheduled harvests keep to one process.

    The generation written to is recorded as the one every node serves (as ``refbot index
    update`` does), so nodes following the store reopen it.
    """
    library = settings.library_id or LIBRARY
    last = await last_harvest(store, library, source.name)
    since = "" if full or last is None else last.datestamp
    started = store.clock()
    report = await harvest(source, settings.path(settings.catalog.index_dir), since, progress=progress,
                           previous_generation=last.generation if last else "", procs=procs,
                           keep=settings.catalog.keep_generations)
    await record_harvest(store, _run_row(library, report, last, started, store.clock()))
    if report.added or report.updated or report.deleted:
        await record_served(store, report.generation, f"{set_by} on {socket.gethostname()}")
    return report


def _run_row(library: str, report: HarvestReport, last: HarvestRun | None, started: float, now: float) -> HarvestRun:
    previous = last.datestamp if last else ""
    return HarvestRun(
        library=library, source=report.source, started_at=started, finished_at=now,
        datestamp=report.datestamp or previous, generation=report.generation,
        status="ok" if report.ok else "failed", full_harvest=report.full, read=report.read, added=report.added,
        updated=report.updated, deleted=report.deleted, rejected=len(report.rejected), records=report.records,
        error=report.error[:500], succeeded_at=now if report.ok else (last.succeeded_at if last else None),
    )


def sources_named(settings: Settings, names: list[str]) -> list[HarvestSource]:
    """The configured sources with these names (all when none is named).

    Raises:
        CatalogError: a name is not configured, or no source is.
    """
    configured = {source.name: source for source in settings.catalog.harvest}
    if not configured:
        raise CatalogError("no OAI-PMH source is configured: add one under catalog.harvest in config.yaml")
    unknown = [name for name in names if name not in configured]
    if unknown:
        raise CatalogError(f"no source named {', '.join(unknown)} under catalog.harvest "
                           f"(configured: {', '.join(configured)})")
    return [configured[name] for name in names] if names else list(configured.values())
