"""The store on PostgreSQL: a pool of connections shared by many processes on many machines.

The driver is asyncpg: native asyncio (no thread per query, as SQLite needs), a connection
pool of its own, and records that read by column name or position like SQLite's rows, so
the store's modules do not know which database they talk to.

The store's SQL is written with SQLite's ``?`` and ``:name`` parameters; :func:`translate`
rewrites it once per statement to PostgreSQL's ``$1`` form (outside quoted text and ``::``
casts) and remembers the result.

Transactions run at READ COMMITTED, as PostgreSQL's own default. Every exactly-once promise of
the store rests on a unique key or on a guarded UPDATE (``… WHERE state = 'pending'``, then its
row count), both of which hold across processes; claims pass over rows another transaction
holds (``FOR UPDATE SKIP LOCKED``), and the few read-decide-write steps whose outcome another
transaction could change meanwhile take a transaction-scoped advisory lock on a name
(:meth:`PostgresTx.serialize`), held until commit.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
import urllib.parse
from collections.abc import AsyncIterator, Iterable
from typing import Any

import asyncpg

from refbot.store.database import POSTGRESQL, Done, Params, Row, Tx, migrations, refuse_newer

log = logging.getLogger(__name__)

POOL_SIZE = 10
"""Connections each process keeps at most; a web node and a worker each need a few."""
_MIGRATION_LOCK = "refbot.migrations"
# A quoted string, a :: cast, a ? parameter, or a :name parameter — in that order of precedence.
_TOKEN = re.compile(r"'(?:[^']|'')*'|::|\?|(?<![:\w]):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> tuple[str, tuple[str, ...]]:
    """The statement with ``$n`` parameters, and the names of the ``:name`` ones in ``$n`` order.

    ``?`` parameters are numbered in order; a ``:name`` used twice is one ``$n``.
    """
    names: list[str] = []
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        token = match.group(0)
        if token.startswith("'") or token == "::":
            return token
        if token == "?":
            count += 1
            return f"${count}"
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    out = _TOKEN.sub(number, sql)
    if count and names:
        raise ValueError("a statement mixes ? and :name parameters")
    return out, tuple(names)


def _args(sql: str, params: Params) -> tuple[str, list[Any]]:
    text, names = translate(sql)
    if isinstance(params, dict):
        return text, [params[n] for n in names]
    return text, list(params)


def split_schema(location: str) -> tuple[str, str]:
    """A URL without refbot's ``schema=`` parameter, and that schema ('' when none)."""
    parts = urllib.parse.urlsplit(location)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), "")
    if schema and not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise ValueError(f"schema {schema!r}: lowercase letters, digits and _ only")
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "schema"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), schema


def lock_key(name: str) -> int:
    """A stable 64-bit advisory lock key for a name (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def _rowcount(status: str) -> int:
    # "INSERT 0 1", "UPDATE 3", "DELETE 0", "SELECT 2": the last word is the row count.
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTx(Tx):
    """One open transaction on one pooled connection."""

    dialect = POSTGRESQL

    def __init__(self, conn: asyncpg.Connection, schema: str = "") -> None:
        self._pg = conn
        self._schema = schema

    async def execute(self, sql: str, params: Params = ()) -> Done:
        text, args = _args(sql, params)
        return Done(_rowcount(await self._pg.execute(text, *args)))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        batch = [_args(sql, p) for p in rows]
        if batch:
            await self._pg.executemany(batch[0][0], [args for _, args in batch])

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        text, args = _args(sql, params)
        return list(await self._pg.fetch(text, *args))

    async def serialize(self, name: str) -> None:
        await self._pg.execute("SELECT pg_advisory_xact_lock($1)", lock_key(f"{self._schema}/{name}"))


class PostgresEngine:
    """A connection pool; each transaction and each read takes a connection for its length."""

    dialect = POSTGRESQL

    def __init__(self, pool: asyncpg.Pool, url: str = "", schema: str = "") -> None:
        self.pool = pool
        self.url = url
        self.schema = schema
        self._roles: dict[str, tuple[asyncpg.Connection, bool]] = {}

    @classmethod
    async def open(cls, location: str, pool_size: int = POOL_SIZE) -> PostgresEngine:
        """Connect to ``location``, migrating the schema (once, whichever process gets there first).

        A ``schema=NAME`` parameter in the URL keeps everything in that schema (made when missing):
        each library of a consortium has its own, so nothing of one is in another's tables.
        """
        url, schema = split_schema(location)
        settings = {"search_path": schema} if schema else {}
        if schema:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            except asyncpg.UniqueViolationError:  # another process made it at the same moment
                pass
            finally:
                await conn.close()
        pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size, command_timeout=60,
                                         server_settings=settings)
        engine = cls(pool, url, schema)
        try:
            await engine._migrate()
        except BaseException:
            await pool.close()
            raise
        return engine

    async def close(self) -> None:
        for conn, _ in self._roles.values():
            with contextlib.suppress(Exception):
                await conn.close()
        await self.pool.close()

    async def leading(self, name: str) -> bool:
        """Hold a session advisory lock on a connection of its own; a dead process's lock goes with it."""
        conn, held = self._roles.get(name, (None, False))
        try:
            if conn is None or conn.is_closed():
                settings = {"search_path": self.schema} if self.schema else {}
                conn, held = await asyncpg.connect(self.url, server_settings=settings), False
            if held:
                await conn.execute("SELECT 1")  # still connected, so still holding it
            else:
                held = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(f"{self.schema}/{name}")))
        except (asyncpg.PostgresError, OSError, ConnectionError) as e:
            log.warning("lost the connection that holds '%s' (%s); another process may take it", name, e)
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
            self._roles.pop(name, None)
            return False
        self._roles[name] = (conn, held)
        return held

    @contextlib.asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        """One transaction; commits on success, rolls back on any error or cancellation.

        A connection whose COMMIT or ROLLBACK was cut short by a cancellation is in an unknown
        state; the pool closes such a connection rather than hand it out again.
        """
        async with self.pool.acquire() as conn, conn.transaction():
            yield PostgresTx(conn, self.schema)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        text, args = _args(sql, params)
        return list(await self.pool.fetch(text, *args))

    async def checkpoint(self) -> None:
        """Vacuum the tables an erasure blanks, so the old versions of its rows leave the table files."""
        async with self.pool.acquire() as conn:
            await conn.execute("VACUUM inbox, requests, draft_items, outbox, events, patrons, files,"
                               " service_requests, suggestions, card_links, letters")

    async def _migrate(self) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            # Every process migrates at start; the lock makes the others wait for the first.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(f"{self.schema}/{_MIGRATION_LOCK}"))
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            refuse_newer(done, "postgresql")
            for version, sql in migrations("postgresql", after=max(done, default=0)):
                log.info("migrating the store to schema version %d", version)
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
