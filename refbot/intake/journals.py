"""The two webhook journals behind :class:`refbot.ports.Journal`: a file beside SQLite, a table in PostgreSQL.

``FileJournal`` is today's single-machine journal (:mod:`refbot.store.journal`): the one web
process appends to a SQLite file of its own, and the store keeps how far the worker applied it.

``TableJournal`` is for a store on PostgreSQL, where any web node may receive any webhook: the
bodies go into the ``webhooks`` table (:mod:`refbot.store.webhooks`). A commit per webhook would
make every acknowledgement wait for its own flush to disk, so appends are committed in groups:
whatever arrives while one insert commits goes into the next, and each webhook is answered when
the insert holding it has committed. Only one worker in the cluster applies the table at a time
(it holds a lock while it lives), so bodies are applied in the order they were written down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time

from refbot.errors import JournalError
from refbot.models import JournalEntry
from refbot.store import Store
from refbot.store.journal import WebhookJournal

log = logging.getLogger(__name__)

EMPTY_WAL_EVERY = 6
"""Tidying rounds between checkpoints that also empty the journal file's WAL."""
GROUP_MAX = 500
"""The most bodies one insert of the table journal carries."""
APPLIER_LOCK = "refbot.journal.applier"


class FileJournal:
    """The SQLite file journal, with the worker's progress kept in the store."""

    def __init__(self, file: WebhookJournal, store: Store) -> None:
        self.file = file
        self.store = store

    async def append(self, body: bytes) -> None:
        # A single small insert into a file nobody else writes: cheaper on the event loop than a thread hop.
        try:
            self.file.append(body)
        except sqlite3.Error as e:
            raise JournalError(f"the journal file refused the body: {e}") from e

    async def pending(self, limit: int) -> list[JournalEntry]:
        done = await self.store.journal_applied(self.file.identity)
        return await asyncio.to_thread(self.file.read_after, done, limit)

    async def applied(self, entries: list[JournalEntry]) -> None:
        if entries:
            await self.store.mark_journal_applied(self.file.identity, entries[-1].id)

    async def waiting(self) -> tuple[int, float | None]:
        done = await self.store.journal_applied(self.file.identity)
        count = max(0, await asyncio.to_thread(self.file.last_id) - done)
        return count, await asyncio.to_thread(self.file.oldest_after, done)

    async def tidy(self, rounds: int) -> None:
        """Delete the entries the worker applied and checkpoint; every few rounds empty the WAL too.

        In a thread, in short steps, so webhooks arriving meanwhile are answered as fast as ever;
        emptying the WAL makes trimmed bodies (patrons' numbers and words) leave the disk within
        about a minute.
        """
        done = await self.store.journal_applied(self.file.identity)
        if done:
            await asyncio.to_thread(self.file.trim, done)
        await asyncio.to_thread(self.file.checkpoint, empty=rounds % EMPTY_WAL_EVERY == 0)

    async def close(self) -> None:
        self.file.close()


class TableJournal:
    """The ``webhooks`` table in PostgreSQL, appended in groups by every web node."""

    def __init__(self, store: Store, group_max: int = GROUP_MAX) -> None:
        self.store = store
        self.group_max = group_max
        self._queue: asyncio.Queue[tuple[float, bytes, asyncio.Future[None]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    async def append(self, body: bytes) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups(), name="journal-writer")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((time.time(), body, done))
        await done

    async def _write_groups(self) -> None:
        """Insert whatever waits, one transaction per group, until cancelled; never dies of an error."""
        while True:
            group = [await self._queue.get()]
            while len(group) < self.group_max and not self._queue.empty():
                group.append(self._queue.get_nowait())
            try:
                await self.store.append_webhooks([(at, body) for at, body, _ in group])
            except asyncio.CancelledError:
                for *_, done in group:
                    _settle(done, JournalError("the web process is stopping"))
                raise
            except Exception as e:  # the database is down: these webhooks get a 500 and come again
                log.error("webhook journal: %d bodies not written down (%s: %s)", len(group), type(e).__name__, e)
                for *_, done in group:
                    _settle(done, JournalError(f"the database refused the body: {type(e).__name__}"))
                    self._queue.task_done()
                continue
            for *_, done in group:
                _settle(done, None)
            for _ in group:
                self._queue.task_done()

    async def pending(self, limit: int) -> list[JournalEntry]:
        if not await self.store.leading(APPLIER_LOCK):
            return []  # another worker applies the journal; this one handles questions and sends
        return await self.store.webhooks_pending(limit)

    async def applied(self, entries: list[JournalEntry]) -> None:
        if entries:
            await self.store.webhooks_applied([e.id for e in entries])

    async def waiting(self) -> tuple[int, float | None]:
        return await self.store.webhooks_waiting()

    async def tidy(self, rounds: int) -> None:
        """Nothing to trim: the applying worker deletes what it applied."""

    async def close(self) -> None:
        if self._writer is not None:
            # Let what was queued be written before stopping (each waits for an answer).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._queue.join()
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


def _settle(done: asyncio.Future[None], error: Exception | None) -> None:
    if done.done():  # the webhook's request was cancelled (the client went away)
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
