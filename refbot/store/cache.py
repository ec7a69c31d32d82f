"""Answers from outside sources remembered in the store, so a repeated question costs no request.

A source decides what counts as fresh and how long a stale answer may still stand in while
the outside service is down; this module only keeps each answer with the time it was stored.
A cache that cannot be read or written is a slower source, never a failed question, so every
store error here is logged and swallowed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from refbot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cached:
    """One remembered answer and how old it is, in seconds."""

    value: Any
    age: float

    def younger_than(self, seconds: float) -> bool:
        """Whether the answer was stored less than ``seconds`` ago."""
        return self.age < seconds


def stored_key(key: str) -> str:
    """What the cache stores for a query: its SHA-256, so a patron's words are not kept in the store.

    The same question still finds the same answer; an erased patron's question can no longer be
    read back from the cache.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class SourceCache:
    """Remembered answers of one source, keyed by a normalised query string."""

    def __init__(self, store: Store, source: str) -> None:
        """Keep answers for ``source`` in ``store``'s ``source_cache`` table."""
        self._store = store
        self.source = source

    async def get(self, key: str) -> Cached | None:
        """The answer stored under ``key``, however old, or None."""
        try:
            row = await self._store.fetchone(
                "SELECT value, stored_at FROM source_cache WHERE source = ? AND key = ?", (self.source, stored_key(key))
            )
        except Exception:  # a cache that cannot be read is only a miss
            log.exception("%s cache: could not read an entry", self.source)
            return None
        if row is None:
            return None
        try:
            value = json.loads(row["value"])
        except ValueError:
            log.warning("%s cache: unreadable entry ignored", self.source)
            return None
        return Cached(value, max(self._store.clock() - row["stored_at"], 0.0))

    async def put(self, key: str, value: Any) -> None:
        """Remember ``value`` (anything JSON can hold) under ``key``, replacing what was there."""
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        try:
            async with self._store.tx() as db:
                await db.execute(
                    "INSERT INTO source_cache (source, key, value, stored_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, stored_at = excluded.stored_at",
                    (self.source, stored_key(key), text, self._store.clock()),
                )
        except Exception:
            log.exception("%s cache: could not store an entry", self.source)

    async def prune(self, older_than: float) -> int:
        """Forget answers stored more than ``older_than`` seconds ago; how many were dropped."""
        cutoff = self._store.clock() - older_than
        try:
            async with self._store.tx() as db:
                cur = await db.execute(
                    "DELETE FROM source_cache WHERE source = ? AND stored_at < ?", (self.source, cutoff)
                )
                return cur.rowcount
        except Exception:
            log.exception("%s cache: could not prune", self.source)
            return 0
