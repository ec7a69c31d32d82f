"""Work done once for the whole cluster: periodic chores, whichever worker gets there first."""

from __future__ import annotations

from refbot.store.database import Database


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
