"""OAI-PMH harvests: how each source's last harvest went, and where the next one starts.

One row per library and source (``harvests``). A harvest that succeeds moves ``datestamp`` on
(the ``from`` of the next, incremental, harvest); one that fails keeps it, so the next harvest
asks again for everything since the last good one — re-harvested records simply replace
themselves in the index.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from refbot.store.database import Database, Row

_COLUMNS = ("library", "source", "datestamp", "generation", "status", "full_harvest", "started_at", "finished_at",
            "read", "added", "updated", "deleted", "rejected", "records", "error", "succeeded_at")


@dataclass(frozen=True)
class HarvestRun:
    """The last harvest of one source, as kept in the store.

    Attributes:
        datestamp: the ``from`` of the next incremental harvest; '' until one has succeeded.
        generation: the catalog generation the records were written to.
        status: ``ok`` or ``failed``.
        records: how many of the source's records the index held afterwards.
        succeeded_at: when the last successful harvest ended (None: never).
    """

    library: str
    source: str
    started_at: float
    finished_at: float
    datestamp: str = ""
    generation: str = ""
    status: str = ""
    full_harvest: bool = False
    read: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    rejected: int = 0
    records: int = 0
    error: str = ""
    succeeded_at: float | None = None


async def last_harvest(db: Database, library: str, source: str) -> HarvestRun | None:
    """The last harvest of ``source`` for ``library``, or None when it was never harvested."""
    row = await db.fetchone(f"SELECT {', '.join(_COLUMNS)} FROM harvests WHERE library = ? AND source = ?",
                            (library, source))
    return _run(row) if row is not None else None


async def harvests(db: Database, library: str) -> list[HarvestRun]:
    """Every source's last harvest for ``library``, by source name."""
    rows = await db.fetchall(f"SELECT {', '.join(_COLUMNS)} FROM harvests WHERE library = ? ORDER BY source",
                             (library,))
    return [_run(row) for row in rows]


async def record_harvest(db: Database, run: HarvestRun) -> None:
    """Keep ``run`` as the source's last harvest (replacing the one before)."""
    values = dataclasses.astuple(run)
    names = [f.name for f in dataclasses.fields(HarvestRun)]
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name not in ("library", "source"))
    async with db.tx() as tx:
        await tx.execute(
            f"INSERT INTO harvests ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
            f" ON CONFLICT (library, source) DO UPDATE SET {updates}",
            tuple(int(v) if isinstance(v, bool) else v for v in values),
        )


def _run(row: Row) -> HarvestRun:
    return HarvestRun(
        library=row["library"], source=row["source"], started_at=float(row["started_at"]),
        finished_at=float(row["finished_at"]), datestamp=row["datestamp"], generation=row["generation"],
        status=row["status"], full_harvest=bool(row["full_harvest"]), read=row["read"], added=row["added"],
        updated=row["updated"], deleted=row["deleted"], rejected=row["rejected"], records=row["records"],
        error=row["error"], succeeded_at=None if row["succeeded_at"] is None else float(row["succeeded_at"]),
    )
