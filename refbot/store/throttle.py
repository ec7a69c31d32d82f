"""Sign-in attempts counted against a username or an address, for every web node at once.

Each counted attempt is a row of ``login_attempts`` (``key`` such as ``user:dewi`` or
``ip:10.0.0.5``, and when it was made). :meth:`ThrottleStore.attempt_login` checks the limits
and counts the attempt in one transaction, holding a cluster-wide lock on each key
(:meth:`~refbot.store.database.Tx.serialize`), so parallel sign-ins on different nodes cannot
all pass the check before any of them is counted. What the limits are, and what a right
password takes back, is :mod:`refbot.web.console.throttle`'s to say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from refbot.store.database import Database, Tx


class ThrottleStore(Database):
    """The counted sign-in attempts."""

    async def attempt_login(self, limits: Mapping[str, int], *, now: float, window: float) -> tuple[float, tuple[int, ...]]:
        """Check and count in one step: seconds to wait while any key is at its limit, else 0 and the counted rows.

        Args:
            limits: how many attempts each key may have made within ``window``.
            now: the attempt's time (seconds since the epoch, the same clock on every node).
            window: seconds an attempt counts for.

        Returns:
            The wait (nothing counted when above 0), and the ids of the rows counted, in ``limits``' order.
        """
        async with self.tx() as db:
            for key in sorted(limits):  # always in the same order, so two sign-ins cannot deadlock
                await db.serialize(f"login_attempts:{key}")
            wait = await _wait(db, limits, now, window)
            if wait > 0:
                return wait, ()
            return 0.0, await _count(db, limits, now)

    async def login_wait(self, limits: Mapping[str, int], *, now: float, window: float) -> float:
        """Seconds until every key is below its limit again; 0 when all may try now."""
        return await _wait(self, limits, now, window)

    async def count_login_attempts(self, keys: Iterable[str], *, now: float) -> tuple[int, ...]:
        """Count one attempt against each key, without checking; the ids of the rows counted."""
        async with self.tx() as db:
            return await _count(db, keys, now)

    async def forget_login_attempts(self, *, keys: Sequence[str] = (), ids: Sequence[int] = ()) -> None:
        """Forget every attempt counted against ``keys``, and the attempts ``ids``."""
        async with self.tx() as db:
            await db.executemany("DELETE FROM login_attempts WHERE key = ?", [(k,) for k in keys])
            await db.executemany("DELETE FROM login_attempts WHERE id = ?", [(i,) for i in ids])

    async def prune_login_attempts(self, before: float, keep: int) -> None:
        """Delete the attempts made before ``before``, and all but the newest ``keep`` of the rest."""
        async with self.tx() as db:
            await db.execute("DELETE FROM login_attempts WHERE at < ?", (before,))
            await db.execute(
                "DELETE FROM login_attempts WHERE at < (SELECT at FROM login_attempts ORDER BY at DESC LIMIT 1 OFFSET ?)",
                (max(keep - 1, 0),),
            )

    async def login_attempt_count(self) -> int:
        """How many attempts are counted, against any key."""
        row = await self.fetchone("SELECT COUNT(*) AS n FROM login_attempts")
        return int(row["n"]) if row is not None else 0


async def _wait(db: Tx | Database, limits: Mapping[str, int], now: float, window: float) -> float:
    waits = [0.0]
    for key, limit in limits.items():
        # The limit-th newest attempt within the window: the key may try again once it leaves the window.
        row = await db.fetchone(
            "SELECT at FROM login_attempts WHERE key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
            (key, now - window, max(limit - 1, 0)),
        )
        if row is not None:
            waits.append(float(row["at"]) + window - now)
    return max(waits)


async def _count(db: Tx, keys: Iterable[str], now: float) -> tuple[int, ...]:
    ids = []
    for key in keys:
        row = await db.fetchone("INSERT INTO login_attempts (key, at) VALUES (?, ?) RETURNING id", (key, now))
        assert row is not None
        ids.append(int(row["id"]))
    return tuple(ids)
