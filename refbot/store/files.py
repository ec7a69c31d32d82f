"""Files kept in the database: patrons' media, clearance letters and exports when refbot runs on many nodes.

On PostgreSQL a web node and the workers may each run on another machine, so a file written
to one machine's disk is out of reach of the others: a worker on machine B could not send a
letter rendered on machine A. There, every file goes into the ``files`` table instead, under
the key refbot gave it (see :func:`check_key`), and any node reads it back.
:class:`DatabaseMedia` is that :class:`refbot.ports.MediaStore`; :class:`FileStore` its SQL.
A row is written in one statement, so a file is whole or absent, never half there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from refbot.store.database import Database

_KEY = re.compile(r"[a-z]+/[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
PARTIAL = ".part"
"""What a file being written whole-or-nothing is called until it is whole (in a folder)."""


def check_key(key: str) -> str:
    """``key`` when it is a name refbot makes (``<folder>/<name>``, plain letters, digits, ``.``, ``_``, ``-``).

    Raises:
        ValueError: anything else (a path, ``..``, a name a patron's phone chose), so no key
            can reach outside refbot's folders or collide with a half-written file.
    """
    if not _KEY.fullmatch(key) or key.endswith(PARTIAL):
        raise ValueError(f"not a file key refbot makes: {key!r}")
    return key


class FileStore(Database):
    """Reads and writes of ``files``: one row per file, its bytes in ``data``."""

    async def put_file(self, key: str, data: bytes, mime_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there."""
        async with self.tx() as db:
            await db.execute(
                "INSERT INTO files (key, mime_type, size, data, stored_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET mime_type = excluded.mime_type, size = excluded.size,"
                " data = excluded.data, stored_at = excluded.stored_at",
                (check_key(key), mime_type, len(data), bytes(data), self.clock()),
            )

    async def file_data(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None."""
        row = await self.fetchone("SELECT data FROM files WHERE key = ?", (check_key(key),))
        return None if row is None else bytes(row["data"])

    async def file_exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""
        return await self.fetchone("SELECT 1 FROM files WHERE key = ?", (check_key(key),)) is not None

    async def file_keys(self, prefix: str) -> list[str]:
        """The keys that start with ``prefix``, sorted."""
        # substr, not LIKE: SQLite's LIKE ignores case, and '_' in a key would be a wildcard.
        rows = await self.fetchall("SELECT key FROM files WHERE substr(key, 1, ?) = ? ORDER BY key",
                                   (len(prefix), prefix))
        return [str(row["key"]) for row in rows]

    async def delete_files(self, keys: Iterable[str]) -> int:
        """Delete the files stored under these keys; returns how many there were."""
        wanted = sorted({check_key(key) for key in keys})
        if not wanted:
            return 0
        deleted = 0
        async with self.tx() as db:
            for key in wanted:
                deleted += (await db.execute("DELETE FROM files WHERE key = ?", (key,))).rowcount
        return deleted


class DatabaseMedia:
    """The :class:`refbot.ports.MediaStore` over the ``files`` table, for refbot on PostgreSQL.

    Each call is its own transaction on a connection of its own, so it may be called while the
    caller holds a transaction open (a letter is stored while its number is being issued, a
    patron's files are deleted inside the erasure's transaction, last, so that a failure
    rolls the erasure back). SQLite has one writer connection, and such a call would wait for
    the caller's transaction forever: there the files stay in folders
    (:class:`refbot.store.media.FolderMedia`), and this refuses to be built.
    """

    def __init__(self, store: FileStore) -> None:
        if store.backend != "postgresql":
            raise ValueError("files are kept in the database only on PostgreSQL; on SQLite they stay in folders")
        self.store = store

    async def put(self, key: str, data: bytes, mime_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there."""
        await self.store.put_file(key, data, mime_type)

    async def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None."""
        return await self.store.file_data(key)

    async def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""
        return await self.store.file_exists(key)

    async def keys(self, prefix: str) -> list[str]:
        """The keys that start with ``prefix``, sorted."""
        return await self.store.file_keys(prefix)

    async def delete(self, keys: Iterable[str]) -> int:
        """Delete these files; returns how many there were."""
        return await self.store.delete_files(keys)
