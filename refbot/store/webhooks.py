"""The webhook journal as a table, for a store on PostgreSQL: every web node appends, one worker applies.

On SQLite the journal is a file of its own beside the store (:mod:`refbot.store.journal`); on
PostgreSQL, web nodes on several machines must all append to it, so it is the ``webhooks``
table. Ids come from one sequence, but a web node's insert may commit after a later id's, so
the worker does not keep a high-water mark: it applies rows in id order and deletes the ones
it applied (a late-committed lower id is simply found on the next round). Batching many
appends into one insert is :class:`refbot.intake.journals.TableJournal`'s business.
"""

from __future__ import annotations

from refbot.models import JournalEntry
from refbot.store.database import Database


class WebhookStore(Database):
    """Reads and writes of ``webhooks`` (PostgreSQL only)."""

    async def append_webhooks(self, bodies: list[tuple[float, bytes]]) -> None:
        """Write several bodies (with when each arrived) in one transaction."""
        async with self.tx() as db:
            await db.executemany("INSERT INTO webhooks (received_at, body) VALUES (?, ?)", bodies)

    async def webhooks_pending(self, limit: int) -> list[JournalEntry]:
        """The oldest ``limit`` bodies not yet applied."""
        rows = await self.fetchall("SELECT id, received_at, body FROM webhooks ORDER BY id LIMIT ?", (limit,))
        return [JournalEntry(int(r["id"]), float(r["received_at"]), bytes(r["body"])) for r in rows]

    async def webhooks_applied(self, ids: list[int]) -> None:
        """Delete bodies that are in the store now."""
        async with self.tx() as db:
            await db.executemany("DELETE FROM webhooks WHERE id = ?", [(i,) for i in ids])

    async def webhooks_waiting(self) -> tuple[int, float | None]:
        """How many bodies wait, and when the oldest arrived."""
        row = await self.fetchone("SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM webhooks")
        if row is None or not row["n"]:
            return 0, None
        return int(row["n"]), float(row["oldest"])
