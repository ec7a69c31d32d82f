"""The store's connection: SQLite in WAL mode behind one writer, transactions, and migrations.

Every module of :mod:`refbot.store` builds on :class:`Database`; nothing outside the store
sees a connection. A caller that needs several store methods to commit together opens
``store.tx()`` and hands the :class:`Tx` it gets to each of them; the ``Tx`` is a token for
"inside this transaction", and only the store's own modules run SQL on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Self

import aiosqlite

log = logging.getLogger(__name__)

Row = aiosqlite.Row
Params = tuple[Any, ...] | list[Any] | dict[str, Any]

# secure_delete: text blanked by an erasure or the retention purge is overwritten with zeros in
# the file too, not left in free space where a copy of the file would keep it.
PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000", "secure_delete=ON")


class Tx:
    """One open write transaction: pass it to store methods so their writes commit together."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> aiosqlite.Cursor:
        """Run one statement; the cursor tells ``rowcount`` and ``lastrowid``."""
        return await self._conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement once per row of parameters."""
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Rows of a query, read inside the transaction."""
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query inside the transaction, or None."""
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()


class Database:
    """One connection and one lock: SQLite allows one writer at a time, and the lock keeps
    each transaction whole when many coroutines share the store."""

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self.clock = clock

    @classmethod
    async def open(cls, path: str | Path, clock: Callable[[], float] = time.time) -> Self:
        """Open (creating if needed) the database at ``path`` and apply migrations."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await db.execute(f"PRAGMA {pragma}")
        store = cls(db, clock)
        try:
            await store._migrate()
        except BaseException:
            await db.close()  # an open aiosqlite thread would keep the process alive
            raise
        return store

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    @contextlib.asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        """One write transaction; commits on success, rolls back on any error or cancellation.

        A transaction is never left open behind the lock: a caller cancelled while its BEGIN,
        COMMIT or ROLLBACK was on its way (a source's deadline, a shutdown) would otherwise
        leave the connection inside a transaction, and every later BEGIN would fail with
        "cannot start a transaction within a transaction" — the desk stopped for good.
        """
        async with self._lock:
            if self._db.in_transaction:  # only a bug elsewhere gets here; heal rather than stop
                log.warning("the store's connection was left inside a transaction; rolling it back")
                await _undo(self._db)
            try:
                await self._db.execute("BEGIN IMMEDIATE")
            except BaseException:
                # Cancelled while the BEGIN was queued: it still runs in aiosqlite's thread, so
                # undo it (queued after it) before the lock is let go.
                await _undo(self._db)
                raise
            try:
                yield Tx(self._db)
                await asyncio.shield(self._db.execute("COMMIT"))
            except BaseException:
                await _undo(self._db)
                raise

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Rows of a read-only query (for the store's modules, and tests that look inside)."""
        async with self._lock, self._db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def checkpoint(self) -> None:
        """Write the write-ahead log back into the database file and empty it.

        After an erasure, so the erased text is in no file at all (the log keeps old copies of
        pages until it is emptied).
        """
        async with self._lock:
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def _migrate(self) -> None:
        await self._db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        async with self._db.execute("SELECT version FROM schema_migrations") as cur:
            done = {row[0] for row in await cur.fetchall()}
        folder = resources.files("refbot.store") / "migrations"
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".sql"):
                continue
            version = int(entry.name.split("_", 1)[0])
            if version in done:
                continue
            # executescript commits on its own, so the migration carries its own transaction.
            sql = _strip_comments(entry.read_text(encoding="utf-8"))
            async with self._lock:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_migrations (version) VALUES ({version});\nCOMMIT;"
                )


async def _undo(db: aiosqlite.Connection) -> None:
    """Roll back whatever is open, even while the caller is being cancelled; no transaction is fine."""
    try:
        await asyncio.shield(db.execute("ROLLBACK"))
    except sqlite3.OperationalError as e:  # "no transaction is active": nothing to undo
        if "no transaction" not in str(e):
            log.error("rolling back the store's transaction failed: %s", e)


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
