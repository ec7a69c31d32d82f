"""The store's connection: SQLite (embedded, one writer) or PostgreSQL (many processes), transactions, migrations.

Every module of :mod:`refbot.store` builds on :class:`Database`; nothing outside the store
sees a connection. A caller that needs several store methods to commit together opens
``store.tx()`` and hands the :class:`Tx` it gets to each of them; the ``Tx`` is a token for
"inside this transaction", and only the store's own modules run SQL on it.

The store's SQL is written once, in the dialect both databases share (``?`` and ``:name``
parameters, ``ON CONFLICT``, ``RETURNING``); where they differ, :class:`Dialect` gives the
expression. :mod:`refbot.store.postgres` translates the parameters and runs it on PostgreSQL.

On SQLite every write transaction runs alone (``BEGIN IMMEDIATE`` behind one lock). On
PostgreSQL many run at once, in many processes; the few places that read, decide and then
write in a way another transaction could interleave with take a cluster-wide lock on a name
for the rest of their transaction (:meth:`Tx.serialize`) — on SQLite that is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from refbot.errors import StoreTooNew

log = logging.getLogger(__name__)

Params = tuple[Any, ...] | list[Any] | dict[str, Any]

# secure_delete: text blanked by an erasure or the retention purge is overwritten with zeros in
# the file too, not left in free space where a copy of the file would keep it.
PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000", "secure_delete=ON")


class Row(Protocol):
    """One result row: by column name or position (SQLite's rows and PostgreSQL's records both are)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Any: ...


@dataclass(frozen=True)
class Done:
    """What a statement changed."""

    rowcount: int


@dataclass(frozen=True)
class Dialect:
    """The expressions in which SQLite and PostgreSQL differ; the store's SQL asks for them by name."""

    name: str
    """``sqlite`` or ``postgresql``."""
    skip_locked: str = ""
    """Appended to a claim's SELECT: rows another transaction has claimed are passed over, not waited for."""

    def json_text(self, column: str, key: str) -> str:
        """A top-level member of a JSON text column, as text (NULL when absent)."""
        if self.name == "postgresql":
            return f"({column}::jsonb ->> '{key}')"
        return f"json_extract({column}, '$.{key}')"

    def json_length(self, column: str) -> str:
        """How many elements a JSON array in a text column has."""
        if self.name == "postgresql":
            return f"jsonb_array_length({column}::jsonb)"
        return f"json_array_length({column})"

    def json_without(self, column: str, key: str) -> str:
        """A JSON object text column with one top-level member removed."""
        if self.name == "postgresql":
            return f"({column}::jsonb - '{key}')::text"
        return f"json_remove({column}, '$.{key}')"

    def contains(self, column: str, needle: str) -> str:
        """True when the text ``needle`` (an expression, e.g. a parameter) occurs in ``column``."""
        if self.name == "postgresql":
            return f"strpos({column}, {needle}) > 0"
        return f"instr({column}, {needle}) > 0"


SQLITE = Dialect("sqlite")
POSTGRESQL = Dialect("postgresql", skip_locked=" FOR UPDATE SKIP LOCKED")


class Tx:
    """One open write transaction: pass it to store methods so their writes commit together.

    This one is SQLite's; :class:`refbot.store.postgres.PostgresTx` is PostgreSQL's.
    """

    dialect: Dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> Done:
        """Run one statement; ``rowcount`` tells how many rows it changed."""
        cur = await self._conn.execute(sql, params)
        return Done(cur.rowcount)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement once per row of parameters."""
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Rows of a query (or of a statement's ``RETURNING``), read inside the transaction."""
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query inside the transaction, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def serialize(self, name: str) -> None:
        """Hold a cluster-wide lock on ``name`` until this transaction ends (SQLite: already alone)."""


class Engine(Protocol):
    """What a database backend gives the store: transactions, reads, and housekeeping."""

    dialect: Dialect

    def tx(self) -> contextlib.AbstractAsyncContextManager[Tx]: ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def checkpoint(self) -> None: ...

    async def leading(self, name: str) -> bool: ...

    async def close(self) -> None: ...


class Database:
    """The store's base: every aggregate's mixin reads and writes through these few methods.

    The engine underneath is SQLite (:class:`SqliteEngine`) or PostgreSQL
    (:class:`refbot.store.postgres.PostgresEngine`), chosen by ``Store.open`` from the location.
    """

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self.dialect = engine.dialect
        self.clock = clock

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.dialect.name

    async def close(self) -> None:
        """Close the connection(s)."""
        await self._engine.close()

    def tx(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        """One write transaction; commits on success, rolls back on any error or cancellation."""
        return self._engine.tx()

    @contextlib.asynccontextmanager
    async def within(self, tx: Tx | None) -> AsyncIterator[Tx]:
        """The caller's transaction when it gives one, else a transaction of its own."""
        if tx is not None:
            yield tx
            return
        async with self.tx() as own:
            yield own

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Rows of a read-only query (for the store's modules, and tests that look inside)."""
        return await self._engine.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def checkpoint(self) -> None:
        """Make erased text leave the database's files (SQLite: empty the WAL; PostgreSQL: vacuum)."""
        await self._engine.checkpoint()

    async def leading(self, name: str) -> bool:
        """Whether this process holds the cluster-wide role ``name`` (taking it when nobody does).

        The role is held for as long as the process (its connection) lives, so a process that
        dies hands it on at once; on SQLite there is one worker, and it always leads.
        """
        return await self._engine.leading(name)


class SqliteEngine:
    """One connection and one lock: SQLite allows one writer at a time, and the lock keeps
    each transaction whole when many coroutines share the store."""

    dialect = SQLITE

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> SqliteEngine:
        """Open (creating if needed) the database at ``path`` and apply migrations."""
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await db.execute(f"PRAGMA {pragma}")
        engine = cls(db)
        try:
            await engine._migrate()
        except BaseException:
            await db.close()  # an open aiosqlite thread would keep the process alive
            raise
        return engine

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
        """Rows of a read-only query."""
        async with self._lock, self._db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def checkpoint(self) -> None:
        """Write the write-ahead log back into the database file and empty it.

        After an erasure, so the erased text is in no file at all (the log keeps old copies of
        pages until it is emptied).
        """
        async with self._lock:
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def leading(self, name: str) -> bool:
        """One worker per SQLite store: it leads every role."""
        return True

    async def _migrate(self) -> None:
        await self._db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        async with self._db.execute("SELECT version FROM schema_migrations") as cur:
            done = {row[0] for row in await cur.fetchall()}
        refuse_newer(done, "sqlite")
        for version, sql in migrations("sqlite"):
            if version in done:
                continue
            # executescript commits on its own, so the migration carries its own transaction.
            async with self._lock:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_migrations (version) VALUES ({version});\nCOMMIT;"
                )


def refuse_newer(done: set[int], dialect: str) -> None:
    """Stop an older refbot from running on a store a newer one has migrated (after a rolled-back upgrade).

    Raises:
        StoreTooNew: the store has a schema version this refbot has no migration for.
    """
    known = max((version for version, _ in migrations(dialect)), default=0)
    if done and max(done) > known:
        raise StoreTooNew(
            f"the store is at schema version {max(done)}, made by a newer refbot; this one knows up to {known}."
            " Install the newer refbot again, or restore the backup made before the upgrade (refbot restore)")


def migrations(dialect: str, after: int = 0) -> Iterator[tuple[int, str]]:
    """The schema steps of one dialect above version ``after``, in order, comments stripped.

    Each dialect has its own folder (``migrations/sqlite``, ``migrations/postgresql``) with the
    same version numbers, so both reach the same schema; ``tests/store/test_schema.py`` compares them.
    """
    folder = resources.files("refbot.store") / "migrations" / dialect
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            if version > after:
                yield version, _strip_comments(entry.read_text(encoding="utf-8"))


async def _undo(db: aiosqlite.Connection) -> None:
    """Roll back whatever is open, even while the caller is being cancelled; no transaction is fine."""
    try:
        await asyncio.shield(db.execute("ROLLBACK"))
    except sqlite3.OperationalError as e:  # "no transaction is active": nothing to undo
        if "no transaction" not in str(e):
            log.error("rolling back the store's transaction failed: %s", e)


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
