"""The worker: claims stored rows and does the work they stand for.

Two loops share the event loop: intake (inbound messages → the desk) and the sender (outbox
rows → the channel). State lives in rows, so a worker killed at any point resumes on restart
and the unique keys keep every effect exactly-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from refbot.config import Settings
from refbot.desk import Desk
from refbot.errors import ChannelError
from refbot.ports import Channel
from refbot.store import InboxRow, OutboxRow, Store

log = logging.getLogger(__name__)


class Worker:
    """Runs the intake and sender loops until stopped."""

    def __init__(self, store: Store, desk: Desk, channel: Channel, settings: Settings) -> None:
        self.store = store
        self.desk = desk
        self.channel = channel
        self.settings = settings
        self.inbox_ready = asyncio.Event()
        self.outbox_ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._senders: dict[str, _Turn] = {}

    async def start(self) -> None:
        """Put back rows a previous process left half-done, then start both loops."""
        resumed = await self.store.reset_in_flight()
        if resumed:
            log.info("resuming %d rows left in flight by a previous run", resumed)
        self._tasks = [asyncio.create_task(self._intake()), asyncio.create_task(self._send())]

    async def stop(self) -> None:
        """Stop both loops; unfinished rows stay claimed and are resumed on the next start."""
        for task in [*self._tasks, *self._running]:
            task.cancel()
        for task in [*self._tasks, *self._running]:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _intake(self) -> None:
        limit = self.settings.worker.concurrency
        while True:
            free = limit - len(self._running)
            rows = await self.store.claim_inbox(free) if free > 0 else []
            for row in rows:
                task = asyncio.create_task(self._handle(row))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            if not rows:
                await _wait(self.inbox_ready, self.settings.worker.poll_interval)

    async def _handle(self, row: InboxRow) -> None:
        # One person's messages are handled in the order they were sent ("#12 hapus 1" and
        # then "#12 catatan …" must not race); different people's run side by side.
        sender = row.message.sender
        turn = self._senders.setdefault(sender, _Turn())
        turn.waiting += 1
        try:
            async with turn.lock:
                await self._handle_in_turn(row)
        finally:
            turn.waiting -= 1
            if not turn.waiting:
                del self._senders[sender]

    async def _handle_in_turn(self, row: InboxRow) -> None:
        try:
            await self.desk.handle(row)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # one bad message must not stop the desk
            give_up = row.attempts >= self.settings.worker.max_attempts
            log.exception("message %s failed (attempt %d)%s", row.id, row.attempts, "; set aside" if give_up else "")
            await self.store.retry_inbox(row.id, f"{type(e).__name__}: {e}", give_up)
        self.outbox_ready.set()

    async def _send(self) -> None:
        while True:
            rows = await self.store.claim_outbox(limit=20)
            # One at a time, in order: a draft's text must reach a librarian before its buttons.
            for row in rows:
                await self._send_one(row)
            if not rows:
                await _wait(self.outbox_ready, self.settings.worker.poll_interval)

    async def _send_one(self, row: OutboxRow) -> None:
        try:
            wamid = await self.channel.send(row.message)
        except ChannelError as e:
            retry = e.transient and row.attempts < self.settings.whatsapp.max_attempts
            await self.store.mark_unsent(row, str(e), self.store.clock() + backoff(row.attempts) if retry else None)
            log.warning("send %s failed (%s)%s", row.idem_key, e, "; will retry" if retry else "; gave up")
            return
        except ValueError as e:  # a message the channel's rules forbid: retrying will not help
            await self.store.mark_unsent(row, str(e), None)
            log.error("send %s refused before sending: %s", row.idem_key, e)
            return
        await self.store.mark_sent(row, wamid)


class _Turn:
    """One sender's queue: a lock, and how many of their messages want it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


def backoff(attempt: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential with full jitter."""
    return random.uniform(0, min(cap, base * 2 ** attempt))


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    event.clear()
