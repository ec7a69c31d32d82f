"""Backing up and restoring a store on PostgreSQL with ``pg_dump`` and ``pg_restore``.

Each library's store is a schema (``library_<id>``, or the connection's own schema for a
deployment of one library); the dump carries every table of those schemas, the webhook journal
(``webhooks``) and the files (``files``) among them. The dump runs on a snapshot exported from
a transaction that also counts the rows, so the counts in the backup's manifest are exactly
what the dump holds; PostgreSQL's readers never stop writers, so the desk goes on meanwhile.

A restore replaces those schemas whole (``pg_restore --clean`` in one transaction: all of it or
nothing), and only into a stopped desk: :func:`other_sessions` finds any process still
connected to the database, on whichever machine it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from refbot.store.backup import Contents
from refbot.store.postgres import split_schema


class DumpFailed(RuntimeError):
    """``pg_dump``, ``pg_restore`` or the database refused; the message says which and why."""


def pg_tool(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: the newest Debian cluster's, else the one on PATH.

    The newest, because ``pg_dump`` cannot dump a server newer than itself.

    Raises:
        DumpFailed: not installed.
    """
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if found:
        return Path(found[0])
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    raise DumpFailed(f"{name} is not installed (Debian: apt-get install postgresql-client)")


def connection(location: str) -> tuple[str, str]:
    """A store location's database URL (without refbot's ``schema=``) and its schema ('' : the default one)."""
    return split_schema(location)


async def schema_of(url: str, schema: str) -> str:
    """The schema a store uses: the one named, else the connection's current schema (usually ``public``)."""
    if schema:
        return schema
    async with _connected(url) as conn:
        return str(await conn.fetchval("SELECT current_schema()"))


async def dump(url: str, schemas: list[str], dest: Path) -> dict[str, Contents]:
    """Dump ``schemas`` of the database at ``url`` into ``dest`` (custom format); what each schema holds.

    Raises:
        DumpFailed: the database or ``pg_dump`` refused; nothing usable is left at ``dest``.
    """
    async with _connected(url) as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        snapshot = str(await conn.fetchval("SELECT pg_export_snapshot()"))
        running = asyncio.create_task(_pg_dump(url, schemas, dest, snapshot))
        try:
            counts = {schema: await _contents(conn, schema) for schema in schemas}
        finally:
            await running  # the snapshot lives only as long as this transaction
    return counts


async def restore(url: str, source: Path) -> None:
    """Replace the dumped schemas in the database at ``url`` with the dump at ``source``, all or nothing.

    Raises:
        DumpFailed: ``pg_restore`` refused; the database is as it was.
    """
    await _run(pg_tool("pg_restore"), ["--clean", "--if-exists", "--no-owner", "--no-privileges",
                                       "--single-transaction", "--exit-on-error", str(source)], url)


async def other_sessions(url: str) -> list[str]:
    """Who else is connected to the database at ``url`` (a running desk), as ``pid@address (application)``."""
    async with _connected(url) as conn:
        rows = await conn.fetch(
            "SELECT pid, client_addr, application_name FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
    return [f"{r['pid']}@{r['client_addr'] or 'local'}" + (f" ({r['application_name']})" if r["application_name"] else "")
            for r in rows]


async def existing_rows(url: str, schemas: list[str]) -> dict[str, dict[str, int]]:
    """Each existing schema's row counts (a schema that is not there is left out)."""
    async with _connected(url) as conn:
        present = {r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace")}
        return {schema: await _counts(conn, schema) for schema in schemas if schema in present}


@contextlib.asynccontextmanager
async def _connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own; the database's refusals become :class:`DumpFailed`."""
    try:
        conn = await asyncpg.connect(url)
    except (asyncpg.PostgresError, OSError) as e:
        raise DumpFailed(f"cannot connect to the database: {e}") from e
    try:
        yield conn
    except asyncpg.PostgresError as e:
        raise DumpFailed(f"the database refused: {e}") from e
    finally:
        await conn.close()


async def _contents(conn: asyncpg.Connection, schema: str) -> Contents:
    rows = await _counts(conn, schema)
    version = None
    if "schema_migrations" in rows:
        version = await conn.fetchval(f'SELECT MAX(version) FROM "{schema}".schema_migrations')
    return Contents(rows, int(version) if version is not None else None)


async def _counts(conn: asyncpg.Connection, schema: str) -> dict[str, int]:
    tables = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'"
        " ORDER BY table_name", schema)
    counts: dict[str, int] = {}
    for row in tables:
        name = row["table_name"]
        counts[name] = int(await conn.fetchval(f'SELECT COUNT(*) FROM "{schema}"."{name}"'))
    return counts


async def _pg_dump(url: str, schemas: list[str], dest: Path, snapshot: str) -> None:
    args = ["--format=custom", f"--snapshot={snapshot}", f"--file={dest}", *[f"--schema={s}" for s in schemas]]
    await _run(pg_tool("pg_dump"), args, url)


async def _run(tool: Path, args: list[str], url: str) -> None:
    """Run a PostgreSQL client tool on ``url``; the password goes in the environment, not the process list."""
    target, env = _without_password(url)
    proc = await asyncio.create_subprocess_exec(
        str(tool), *args, f"--dbname={target}", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise DumpFailed(f"{tool.name} failed (exit {proc.returncode}): {' / '.join(lines[-3:]) or 'no message'}")


def _without_password(url: str) -> tuple[str, dict[str, str]]:
    parts = urllib.parse.urlsplit(url)
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = urllib.parse.unquote(parts.password)
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host)), env
