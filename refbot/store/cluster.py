"""Work done once for the whole cluster: periodic chores, whichever worker gets there first.

The same table keeps work done once ever, such as a day's morning digest: a name claimed
with :meth:`ClusterStore.claim_once` is never claimed again.
"""

from __future__ import annotations

from refbot.store.database import Database, Tx


class ClusterStore(Database):
    """Reads and writes of ``chores``."""

    async def claim_chore(self, name: str, every: float, worker: str) -> bool:
        """Whether ``worker`` should run the chore ``name`` now: True once per ``every`` seconds cluster-wide."""
        now = self.clock()
        async with self.tx() as db:
            await db.serialize(f"chore:{name}")
            row = await db.fetchone("SELECT ran_at FROM chores WHERE name = ?", (name,))
            if row is not None and now - float(row["ran_at"]) < every:
                return False
            await db.execute(
                "INSERT INTO chores (name, ran_at, ran_by) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET ran_at = excluded.ran_at, ran_by = excluded.ran_by",
                (name, now, worker),
            )
        return True

    async def claim_once(self, db: Tx, name: str, worker: str) -> bool:
        """Within the caller's transaction: whether ``worker`` does the work ``name`` (True once, ever, cluster-wide).

        Claimed in the same transaction as the work's effects, so a crash before it commits
        leaves the work unclaimed, and a second worker waits for the first one's commit, then
        finds the name taken.
        """
        cur = await db.execute(
            "INSERT INTO chores (name, ran_at, ran_by) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            (name, self.clock(), worker),
        )
        return cur.rowcount > 0

    async def claimed(self, name: str) -> bool:
        """Whether the work ``name`` was claimed (and so done)."""
        return await self.fetchone("SELECT 1 FROM chores WHERE name = ?", (name,)) is not None
