"""The local copy of Zotero libraries, and which approved lists were saved to which collection.

:class:`connectors.zotero.sync.ZoteroSync` writes the copy (collections, items, the library
version it reached, or why the last sync failed); :class:`connectors.zotero.source.ZoteroSource`
reads it to answer questions without the network; :class:`connectors.zotero.save.ZoteroSaver`
records where each approved list went. A library is named as Zotero's API names it
("groups/2501", "users/77").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from refbot.store.database import Database, Tx


@dataclass(frozen=True)
class ZoteroCollection:
    """One collection of a library, as copied."""

    key: str
    name: str
    parent: str
    version: int


@dataclass(frozen=True)
class ZoteroItem:
    """One item of a library, as copied: ``data`` is Zotero's JSON "data" object."""

    key: str
    version: int
    item_type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ZoteroLibraryState:
    """How far a library's copy has got: the version of the last complete copy (0: none), when
    that copy was made (None: never), and why the last sync failed ("" when it did not)."""

    version: int
    synced_at: float | None
    error: str


@dataclass(frozen=True)
class ZoteroSaved:
    """Where one approved list was saved: its draft, the collection's key, how many items it holds."""

    draft_id: int
    collection: str
    items: int


class ZoteroStore(Database):
    """The ``zotero_*`` tables."""

    async def zotero_state(self, library: str) -> ZoteroLibraryState | None:
        """Where the library's copy stands; None when no sync has ever been tried."""
        row = await self.fetchone(
            "SELECT version, synced_at, error FROM zotero_libraries WHERE library = ?", (library,)
        )
        if row is None:
            return None
        return ZoteroLibraryState(int(row["version"]), row["synced_at"], str(row["error"]))

    async def zotero_version(self, library: str) -> int:
        """The library version of the last complete copy (0: none yet)."""
        row = await self.fetchone("SELECT version FROM zotero_libraries WHERE library = ?", (library,))
        return int(row["version"]) if row else 0

    async def apply_zotero_changes(
        self,
        library: str,
        version: int,
        collections: Sequence[ZoteroCollection],
        items: Sequence[ZoteroItem],
        deleted_collections: Sequence[str],
        deleted_items: Sequence[str],
    ) -> None:
        """Bring the copy to ``version`` in one transaction: upsert what changed, drop what went,
        and clear any recorded error."""
        async with self.tx() as db:
            await _upsert_collections(db, library, collections)
            await _upsert_items(db, library, items)
            await db.executemany("DELETE FROM zotero_items WHERE library = ? AND key = ?",
                                 [(library, k) for k in deleted_items])
            await db.executemany("DELETE FROM zotero_collections WHERE library = ? AND key = ?",
                                 [(library, k) for k in deleted_collections])
            await db.execute(
                "INSERT INTO zotero_libraries (library, version, synced_at, error) VALUES (?, ?, ?, '')"
                " ON CONFLICT (library) DO UPDATE SET version = excluded.version, synced_at = excluded.synced_at,"
                " error = ''",
                (library, version, self.clock()),
            )

    async def record_zotero_error(self, library: str, reason: str) -> None:
        """Remember why the last sync failed; the copy itself stays as it was."""
        async with self.tx() as db:
            await db.execute(
                "INSERT INTO zotero_libraries (library, error) VALUES (?, ?)"
                " ON CONFLICT (library) DO UPDATE SET error = excluded.error",
                (library, reason),
            )

    async def zotero_collection_names(self, library: str) -> dict[str, str]:
        """Every copied collection's name, by key."""
        rows = await self.fetchall("SELECT key, name FROM zotero_collections WHERE library = ?", (library,))
        return {r["key"]: r["name"] for r in rows}

    async def zotero_item_data(self, library: str) -> list[dict[str, Any]]:
        """Every copied item's Zotero JSON "data" object."""
        rows = await self.fetchall("SELECT data FROM zotero_items WHERE library = ?", (library,))
        return [json.loads(r["data"]) for r in rows]

    # -- saved lists -----------------------------------------------------------------------

    async def drafts_unsaved_to_zotero(self, library: str, since: float, limit: int) -> list[int]:
        """Approved or sent drafts, decided at or after ``since``, with no save recorded for the
        library; oldest first, at most ``limit``."""
        rows = await self.fetchall(
            "SELECT d.id FROM drafts d LEFT JOIN zotero_saved z ON z.draft_id = d.id AND z.library = ?"
            " WHERE d.status IN ('approved', 'sent') AND CAST(d.updated_at AS REAL) >= ? AND z.draft_id IS NULL"
            " ORDER BY d.id LIMIT ?",
            (library, since, limit),
        )
        return [int(r["id"]) for r in rows]

    async def zotero_saved_collection(self, draft_id: int, library: str) -> str:
        """The key of the collection a draft was saved to ("" when none is recorded)."""
        row = await self.fetchone(
            "SELECT collection FROM zotero_saved WHERE draft_id = ? AND library = ?", (draft_id, library)
        )
        return str(row["collection"]) if row else ""

    async def record_zotero_saved(self, draft_id: int, library: str, collection: str, items: int) -> None:
        """Remember that a draft's list is (being) saved to ``collection``, holding ``items`` items."""
        async with self.tx() as db:
            await db.execute(
                "INSERT INTO zotero_saved (draft_id, library, collection, items, saved_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (draft_id, library) DO UPDATE SET collection = excluded.collection,"
                " items = excluded.items, saved_at = excluded.saved_at",
                (draft_id, library, collection, items, self.clock()),
            )

    async def zotero_saved_of_erased(self, library: str, limit: int) -> list[ZoteroSaved]:
        """Saved lists whose patron erased their data after the collection was last named."""
        rows = await self.fetchall(
            "SELECT z.draft_id, z.collection, z.items FROM zotero_saved z"
            " JOIN drafts d ON d.id = z.draft_id JOIN requests r ON r.id = d.request_id"
            " WHERE z.library = ? AND r.patron LIKE 'erased:%' AND EXISTS (SELECT 1 FROM events e"
            " WHERE e.actor = r.patron AND e.kind = 'erase' AND e.at >= z.saved_at)"
            " ORDER BY z.draft_id LIMIT ?",
            (library, limit),
        )
        return [ZoteroSaved(int(r["draft_id"]), str(r["collection"]), int(r["items"])) for r in rows]

    async def record_zotero_renamed(self, draft_id: int, library: str, collection: str, name: str) -> None:
        """Remember that a saved list's collection was renamed, in the record and in the local copy."""
        async with self.tx() as db:
            await db.execute("UPDATE zotero_saved SET saved_at = ? WHERE draft_id = ? AND library = ?",
                             (self.clock(), draft_id, library))
            await db.execute("UPDATE zotero_collections SET name = ? WHERE library = ? AND key = ?",
                             (name, library, collection))


async def _upsert_collections(db: Tx, library: str, collections: Sequence[ZoteroCollection]) -> None:
    await db.executemany(
        "INSERT INTO zotero_collections (library, key, name, parent, version) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (library, key) DO UPDATE SET name = excluded.name, parent = excluded.parent,"
        " version = excluded.version",
        [(library, c.key, c.name, c.parent, c.version) for c in collections],
    )


async def _upsert_items(db: Tx, library: str, items: Sequence[ZoteroItem]) -> None:
    await db.executemany(
        "INSERT INTO zotero_items (library, key, version, item_type, data) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (library, key) DO UPDATE SET version = excluded.version, item_type = excluded.item_type,"
        " data = excluded.data",
        [(library, i.key, i.version, i.item_type, json.dumps(i.data, ensure_ascii=False)) for i in items],
    )
