"""Copying a Zotero library's collections and items into the store, on a schedule.

Each sync asks only for what changed since the library version of the last complete copy
(``since=``, ``/deleted``), the way Zotero's sync documentation asks clients to. If the
library changes while it is being read (the answers' ``Last-Modified-Version`` differ), the
copy is started again. Nothing is written until every page is in, and then in one transaction,
so a sync that fails half-way leaves the previous copy whole and still searchable.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from pyzotero import zotero

from connectors.zotero.client import ZoteroClient, everything, library_version
from connectors.zotero.items import SKIPPED_TYPES
from refbot.errors import SourceError
from refbot.store import Store
from refbot.store.zotero import ZoteroCollection, ZoteroItem

log = logging.getLogger(__name__)


class LibraryChanged(SourceError):
    """The library changed while refbot was reading it; reading again will do."""

    transient = True


@dataclass(frozen=True)
class Changes:
    """What changed in a library since a version."""

    version: int
    collections: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    deleted_collections: list[str] = field(default_factory=list)
    deleted_items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SyncReport:
    """The outcome of one sync: the version now held and how much moved."""

    library: str
    version: int
    collections: int
    items: int
    deleted: int


class ZoteroSync:
    """Keeps the store's copy of one Zotero library up to date."""

    def __init__(self, client: ZoteroClient, store: Store, interval: float) -> None:
        """Copy ``client``'s library into ``store`` every ``interval`` seconds once :meth:`run` runs."""
        self._client = client
        self._store = store
        self.interval = interval
        self.library = client.library

    async def run_once(self) -> SyncReport:
        """Bring the copy up to date now.

        Raises:
            SourceError: Zotero could not be read; the previous copy stays, and the error is
                recorded for :class:`~connectors.zotero.source.ZoteroSource` to report.
        """
        since = await self.version()
        try:
            changes = await self._client.run(lambda zot: read_changes(zot, since), "sync")
        except SourceError as e:
            await self._record_error(e.reason)
            raise
        await self._apply(changes)
        deleted = len(changes.deleted_items) + len(changes.deleted_collections)
        report = SyncReport(self.library, changes.version, len(changes.collections), len(changes.items), deleted)
        log.info("zotero %s synced to version %d: %d collections, %d items changed, %d deleted",
                 self.library, report.version, report.collections, report.items, report.deleted)
        return report

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Sync now and then every ``interval`` seconds until ``stop`` is set; failures are logged."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.run_once()
            except SourceError as e:
                log.warning("zotero %s sync failed: %s", self.library, e.reason)
            except Exception:  # a bug here must not end the schedule
                log.exception("zotero %s sync crashed", self.library)
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                continue

    async def version(self) -> int:
        """The library version of the last complete copy (0: none yet)."""
        return await self._store.zotero_version(self.library)

    async def _apply(self, changes: Changes) -> None:
        await self._store.apply_zotero_changes(
            self.library,
            changes.version,
            _collections(changes.collections),
            _items(changes.items),
            changes.deleted_collections,
            changes.deleted_items,
        )

    async def _record_error(self, reason: str) -> None:
        await self._store.record_zotero_error(self.library, reason)


def read_changes(zot: zotero.Zotero, since: int) -> Changes:
    """Everything changed since ``since`` (runs in a worker thread).

    Raises:
        LibraryChanged: the library's version moved while it was being read.
    """
    collections = everything(zot, zot.collections(since=since, limit=100))
    versions = {library_version(zot)}
    # Trashed items are left out of /items unless asked for; a sync must see them go.
    items = everything(zot, zot.items(since=since, limit=100, includeTrashed=1))
    versions.add(library_version(zot))
    deleted: dict[str, Any] = {}
    if since:
        deleted = zot.deleted(since=since)
        versions.add(library_version(zot))
    if len(versions) > 1:
        raise LibraryChanged("zotero", f"the library changed while it was read (versions {sorted(versions)})")
    trashed = [d["key"] for d in (i.get("data", {}) for i in items) if d.get("deleted")]
    return Changes(
        version=versions.pop(),
        collections=[c["data"] for c in collections if isinstance(c, dict) and "data" in c],
        items=[i["data"] for i in items
               if isinstance(i, dict) and i.get("data", {}).get("itemType") not in SKIPPED_TYPES
               and not i["data"].get("deleted")],
        deleted_collections=list(deleted.get("collections", [])) if isinstance(deleted, dict) else [],
        deleted_items=[*(deleted.get("items", []) if isinstance(deleted, dict) else []), *trashed],
    )


def _collections(collections: list[dict[str, Any]]) -> list[ZoteroCollection]:
    return [ZoteroCollection(c["key"], str(c.get("name", "")), str(c.get("parentCollection") or ""),
                             int(c.get("version", 0)))
            for c in collections]


def _items(items: list[dict[str, Any]]) -> list[ZoteroItem]:
    return [ZoteroItem(i["key"], int(i.get("version", 0)), str(i.get("itemType", "")), i) for i in items]
