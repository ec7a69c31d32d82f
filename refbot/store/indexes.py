"""Which catalog index generation each library serves, and what each node reports serving.

A build records its generation in ``served_indexes`` (one row per library); every process
that searches the catalog follows that row and reports what it has open in ``node_indexes``
(one row per node and library), so ``refbot index status`` can show who is behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from refbot.store.database import Database


@dataclass(frozen=True)
class ServedIndex:
    """The generation a library serves, when it was recorded, and by what."""

    library: str
    generation: str
    set_at: float
    set_by: str = ""


@dataclass(frozen=True)
class NodeIndex:
    """What one node (a searching process) last reported serving."""

    node: str
    library: str
    generation: str
    """Empty when the node has nothing to serve."""
    seen_at: float


class IndexStore(Database):
    """The served catalog generation and the nodes' reports."""

    async def record_served_index(self, library: str, generation: str, set_by: str = "") -> ServedIndex:
        """Make ``generation`` the one ``library`` serves (recording it again renews ``set_at``)."""
        served = ServedIndex(library, generation, self.clock(), set_by[:200])
        async with self.tx() as tx:
            await tx.execute(
                "INSERT INTO served_indexes (library, generation, set_at, set_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (library) DO UPDATE SET generation = excluded.generation,"
                " set_at = excluded.set_at, set_by = excluded.set_by",
                (served.library, served.generation, served.set_at, served.set_by),
            )
        return served

    async def served_index(self, library: str) -> ServedIndex | None:
        """The generation ``library`` serves, or None when no build has recorded one."""
        row = await self.fetchone(
            "SELECT library, generation, set_at, set_by FROM served_indexes WHERE library = ?", (library,)
        )
        if row is None:
            return None
        return ServedIndex(row["library"], row["generation"], float(row["set_at"]), row["set_by"])

    async def report_node_index(self, node: str, library: str, generation: str) -> None:
        """Note what ``node`` serves for ``library`` now."""
        async with self.tx() as tx:
            await tx.execute(
                "INSERT INTO node_indexes (node, library, generation, seen_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (node, library) DO UPDATE SET generation = excluded.generation,"
                " seen_at = excluded.seen_at",
                (node, library, generation, self.clock()),
            )

    async def node_indexes(self, library: str) -> list[NodeIndex]:
        """Every node's latest report for ``library``, most recently seen first."""
        rows = await self.fetchall(
            "SELECT node, library, generation, seen_at FROM node_indexes WHERE library = ?"
            " ORDER BY seen_at DESC, node",
            (library,),
        )
        return [NodeIndex(r["node"], r["library"], r["generation"], float(r["seen_at"])) for r in rows]

    async def forget_node_indexes_before(self, before: float) -> int:
        """Drop the reports of nodes not seen since ``before`` (a restarted process is a new node)."""
        async with self.tx() as tx:
            done = await tx.execute("DELETE FROM node_indexes WHERE seen_at < ?", (before,))
        return done.rowcount
