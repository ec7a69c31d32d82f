"""The worker: claims stored rows and does the work they stand for.

Four loops share the event loop: the journal (webhooks the web process wrote down → inbox
rows and statuses), intake (inbox rows → the desk), the sender (outbox rows → the channel)
and the chores (the librarians' morning digest, templates for shut windows, warnings,
retention). State lives in rows, so a worker killed at any point resumes on restart and the
unique keys keep every effect exactly-once.

No exception ends a loop: a round that fails (the store locked by a backup, a full disk, a
bug) is logged with its loop's name, recorded in the loop's health, and tried again after a
backoff that grows while the failures go on. A fifth task reports every loop's heartbeat and
last error to the store, where ``/healthz`` reads them (:mod:`refbot.worker.health`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from refbot.config import Settings
from refbot.delivery.chores import Chores
from refbot.delivery.quiet import QuietHours
from refbot.delivery.sender import Sender
from refbot.desk.routing import Desk
from refbot.intake.applier import JournalApplier
from refbot.logs import request_context, request_id_for
from refbot.metrics import NO_METRICS, LibraryMetrics
from refbot.ports import Channel, CuratedCollections, Journal, SimilarityPolling
from refbot.store import InboxRow, Store
from refbot.worker.health import LOOPS, LoopHealth, worker_name
from refbot.worker.recovery import gone_workers

if TYPE_CHECKING:
    from refbot.wiring import Services

log = logging.getLogger(__name__)


class Worker:
    """Runs the journal, intake, sender and chore loops until stopped."""

    def __init__(
        self,
        store: Store,
        desk: Desk,
        channel: Channel,
        settings: Settings,
        journal: Journal,
        *,
        zotero: CuratedCollections | None = None,
        similarity: SimilarityPolling | None = None,
        metrics: LibraryMetrics | None = None,
    ) -> None:
        self.store = store
        self.desk = desk
        self.channel = channel
        self.settings = settings
        self.applier = JournalApplier(store, channel, journal)
        self.journal_ready = asyncio.Event()
        self.inbox_ready = asyncio.Event()
        self.outbox_ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._senders: dict[str, _Turn] = {}
        self.name = worker_name()
        self.metrics = metrics or NO_METRICS.library(settings.library_id)
        # Librarians' notices that come due at night wait for the morning digest (desk.hold_librarian_notices).
        self.sender = Sender(store, channel, settings, worker=self.name, metrics=self.metrics,
                             quiet=QuietHours.from_settings(settings.desk))
        desk.questions.metrics = self.metrics  # the Desk builds its Questions; what they record is the worker's
        self.chores = Chores(store, self.sender, settings, zotero=zotero, similarity=similarity)
        self._recovered_at = 0.0
        self.health = {name: LoopHealth(name, store.clock) for name in LOOPS}

    @classmethod
    def from_services(cls, services: Services, metrics: LibraryMetrics | None = None) -> Worker:
        """A worker over the parts :func:`refbot.wiring.build_services` built, recording into ``metrics``."""
        s = services
        return cls(s.store, s.desk, s.channel, s.settings, s.journal, zotero=s.zotero, similarity=s.similarity,
                   metrics=metrics)

    def wake(self) -> None:
        """Something new waits (a webhook in the journal, a decision to send): look now, not at the next poll."""
        self.journal_ready.set()
        self.inbox_ready.set()
        self.outbox_ready.set()

    @property
    def alive(self) -> bool:
        """Whether every loop task is still running (none has ended, by error or otherwise)."""
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def start(self) -> None:
        """Put back rows a previous process left half-done, then start the loops.

        With one worker (SQLite), every claimed row is its predecessor's; with several
        (PostgreSQL), only those of workers that are gone (:mod:`refbot.worker.recovery`) — and
        this worker's heartbeat is written first, so nobody takes it for gone.
        """
        await self.store.record_heartbeats([h.as_beat(self.name) for h in self.health.values()])
        if self.store.backend == "sqlite":
            resumed = await self.store.reset_in_flight()
        else:
            resumed = await self._put_back_orphans()
        if resumed:
            log.info("resuming %d rows left in flight by a previous run", resumed)
        rounds = {"journal": self._journal_round, "intake": self._intake_round, "send": self._send_round,
                  "chores": self._chores_round}
        self._tasks = [asyncio.create_task(self._forever(name, step), name=f"worker-{name}")
                       for name, step in rounds.items()]
        self._tasks.append(asyncio.create_task(self._report(), name="worker-heartbeat"))

    async def stop(self) -> None:
        """Stop the loops and the questions in hand; unfinished rows stay claimed and are resumed on the next start."""
        await stop_tasks([*self._tasks, *self._running], "worker")

    async def _forever(self, name: str, step: Callable[[], Awaitable[None]]) -> None:
        """Run one loop's rounds until cancelled; a failed round is logged, counted and retried."""
        health = self.health[name]
        while True:
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the store busy or failing, a bug: the desk must go on
                health.failed(e)
                pause = retry_pause(health.failing, self.settings.worker.poll_interval)
                log.exception("worker loop '%s' failed (%d in a row); trying again in %.1f s", name, health.failing,
                              pause)
                await asyncio.sleep(pause)
            else:
                health.beat()

    async def _journal_round(self) -> None:
        applied = await self.applier.apply_new()
        if applied:
            self.inbox_ready.set()
            self.outbox_ready.set()  # a patron writing again releases messages held for their window
        else:
            await _wait(self.journal_ready, self.settings.worker.poll_interval)

    async def _put_back_orphans(self) -> int:
        """Put back the rows of workers that are gone (several workers share a PostgreSQL store)."""
        self._recovered_at = self.store.clock()
        claimers = await self.store.claimers()
        if not claimers - {self.name}:
            return 0
        beats = await self.store.heartbeats(self._recovered_at - 86400)
        gone = gone_workers(claimers, beats, me=self.name, now=self._recovered_at)
        if not gone:
            return 0
        resumed = await self.store.reset_in_flight(gone)
        log.warning("put back %d rows claimed by workers that are gone: %s", resumed, ", ".join(sorted(gone)))
        return resumed

    async def _intake_round(self) -> None:
        due = self.store.backend != "sqlite" and self.store.clock() - self._recovered_at >= RECOVER_EVERY
        if due and await self._put_back_orphans():
            self.outbox_ready.set()
        free = self.settings.worker.concurrency - len(self._running)
        rows = await self.store.claim_inbox(free, self.name) if free > 0 else []
        for row in rows:
            task = asyncio.create_task(self._handle(row))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        if not rows:
            await _wait(self.inbox_ready, self.settings.worker.poll_interval)

    async def _send_round(self) -> None:
        if not await self.sender.send_due():
            await _wait(self.outbox_ready, self.settings.worker.poll_interval)

    async def _chores_round(self) -> None:
        """Templates for held messages, window warnings, the retention purge — once per interval
        for the whole cluster, by whichever worker gets there first; then wait."""
        interval = self.settings.worker.chore_interval
        try:
            if await self.store.claim_chore("chores", interval * 0.9, self.name):
                await self.chores.run_once()
        finally:
            self.outbox_ready.set()
        self.health["chores"].beat()  # the round is done; what follows is only the wait for the next
        await asyncio.sleep(self.settings.worker.chore_interval)

    async def _report(self) -> None:
        """Write every loop's state to the store every few seconds, for ``/healthz`` to read."""
        while True:
            try:
                await self.store.record_heartbeats([h.as_beat(self.name) for h in self.health.values()])
                await self.store.forget_heartbeats_before(self.store.clock() - FORGET_WORKERS_AFTER)
                await self.take_share()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store is failing; /healthz will see the heartbeats age
                log.exception("recording the worker's heartbeat failed")
            await asyncio.sleep(HEARTBEAT_EVERY)

    async def take_share(self) -> None:
        """Pace WhatsApp and the sources at this worker's part of their limits: the others send and ask too."""
        workers = max(1, await self.store.live_workers(self.store.clock() - LIVE_WITHIN))
        self.sender.limit.set_share(workers)
        for source in self.desk.sources:
            set_share = getattr(source, "set_share", None)  # only sources with a rate limit of their own
            if callable(set_share):
                set_share(workers)

    async def _handle(self, row: InboxRow) -> None:
        # One person's messages are handled in the order they were sent ("#12 hapus 1" and
        # then "#12 catatan …" must not race); different people's run side by side.
        sender = row.message.sender
        turn = self._senders.setdefault(sender, _Turn())
        turn.waiting += 1
        try:
            # Every line logged while the message is handled carries its request id.
            with request_context(request_id_for(row.message.wamid)):
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
        self.inbox_ready.set()  # a slot is free: take the next question now, not at the next poll


class _Turn:
    """One sender's queue: a lock, and how many of their messages want it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    event.clear()


RECOVER_EVERY = 5.0
"""Seconds between looks for rows claimed by workers that are gone (several workers only)."""
HEARTBEAT_EVERY = 5.0
"""Seconds between the worker's heartbeat reports to the store."""
LIVE_WITHIN = 3 * HEARTBEAT_EVERY
"""Seconds within which a worker has beaten to count as live when the rate limits are shared out."""
FORGET_WORKERS_AFTER = 86400.0
"""Seconds after which a silent worker's heartbeats are deleted (a restarted worker has a new name)."""
MAX_RETRY_PAUSE = 30.0
"""The longest a failing loop waits before its next round."""


def retry_pause(failures: int, poll_interval: float) -> float:
    """Seconds a loop waits after its ``failures``-th failed round in a row: doubling, capped."""
    return min(MAX_RETRY_PAUSE, max(poll_interval, 0.05) * 2 ** min(failures - 1, 10))


STOP_GRACE = 5.0
"""Seconds a cancelled task gets to end before shutdown goes on without it."""


async def stop_tasks(tasks: list[asyncio.Task[None]], owner: str, grace: float = STOP_GRACE) -> None:
    """Cancel the tasks and wait for them to end, but never longer than ``grace``.

    A task may swallow its cancellation (Python 3.11's ``asyncio.wait_for`` can, when what it
    waits for finishes at the same moment) and go on waiting; shutting down must not wait
    with it. Awaiting with ``asyncio.wait`` also keeps a cancellation of the caller itself
    from being mistaken for the task's and silently dropped.
    """
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s task %s ended with %r", owner, task.get_name(), task.exception())
    for task in pending:
        log.warning("%s task %s did not stop within %g s after being cancelled; shutting down without it",
                    owner, task.get_name(), grace)
