"""Running the worker in its own process, beside the web process that takes webhooks.

Drafting is CPU work (Whoosh is pure Python, ranking and language detection too); in the web
process it would compete with webhook intake for the interpreter, and Meta needs its 200
quickly. So ``refbot serve`` starts the worker as a child process. Both share the SQLite
store: rows are claimed inside write transactions, so neither can take the other's work.
The child dies with its parent (Linux's parent-death signal, and a check of its parent's pid
every second), so a killed service never leaves a worker behind; and the :class:`Supervisor`
in the web process restarts a child that died, within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import time
from collections.abc import Callable

from aiohttp import web

from refbot.config import Settings
from refbot.logs import configure_logging
from refbot.metrics import Metrics, write_to_folder
from refbot.wiring import Deployment, build_deployment
from refbot.worker.loops import Worker
from refbot.worker.monitoring import scrape, serve_metrics

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
WORKER_NICENESS = 10


PARENT_CHECK_EVERY = 1.0
"""Seconds between the child's checks that the process that started it is still there."""
RESTART_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0)
"""How long the supervisor waits before restarting a worker child that died, by restarts in a row."""
STEADY_AFTER = 60.0
"""A child that lived this long counts as having started well: the next restart is quick again."""


def start_worker_process(settings: Settings, metrics_folder: str | None = None) -> multiprocessing.process.BaseProcess:
    """Start the worker in a child process that ends when this process ends.

    With ``metrics_folder``, the child writes its metrics there for the web process to serve.
    """
    process = multiprocessing.get_context("spawn").Process(
        target=_child_main, args=(settings, logging.getLogger().level, os.getpid(), metrics_folder),
        name="refbot-worker", daemon=True,
    )
    process.start()
    log.info("worker started in process %s", process.pid)
    return process


class Supervisor:
    """Keeps a worker child running: starts it, notices when it dies, restarts it within seconds."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic, *,
                 metrics_folder: str | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.metrics_folder = metrics_folder
        self.process: multiprocessing.process.BaseProcess | None = None
        self.restarts = 0
        self.last_exit: int | None = None
        self._started_at = 0.0
        self._in_a_row = 0

    def start(self) -> None:
        """Start the child."""
        self.process = start_worker_process(self.settings, self.metrics_folder)
        self._started_at = self.clock()

    @property
    def alive(self) -> bool:
        """Whether the child is running now."""
        return self.process is not None and self.process.is_alive()

    async def watch(self, every: float = 1.0) -> None:
        """Until cancelled: check the child every ``every`` seconds and restart it when it has died."""
        while True:
            await asyncio.sleep(every)
            try:
                await self._check()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed restart is tried again on the next check
                log.exception("restarting the worker process failed")

    async def _check(self) -> None:
        if self.process is None or self.process.is_alive():
            return
        self.last_exit = self.process.exitcode
        lived = self.clock() - self._started_at
        self._in_a_row = 0 if lived >= STEADY_AFTER else self._in_a_row + 1
        pause = RESTART_PAUSES[min(self._in_a_row, len(RESTART_PAUSES) - 1)]
        log.error("the worker process %s ended (exit code %s) after %.0f s; restarting it in %g s",
                  self.process.pid, self.last_exit, lived, pause)
        await asyncio.sleep(pause)
        self.start()
        self.restarts += 1

    async def stop(self) -> None:
        """Stop the child for good."""
        if self.process is not None:
            await asyncio.to_thread(stop_worker_process, self.process)


def stop_worker_process(process: multiprocessing.process.BaseProcess, grace: float = 10.0) -> None:
    """Ask the worker to stop, and make sure it has."""
    if process.is_alive():
        process.terminate()
        process.join(grace)
    if process.is_alive():
        process.kill()
        process.join()


def _child_main(settings: Settings, log_level: int, parent: int, metrics_folder: str | None = None) -> None:
    _die_with_parent()
    if os.getppid() != parent:
        # The parent died before the death signal was set (a SIGKILL just after the start):
        # nobody supervises this worker, and a restarted service runs its own.
        return
    # Drafting can wait a moment; acknowledging Meta's webhooks cannot. On a busy machine the
    # scheduler should prefer the web process.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    configure_logging(log_level, "worker", settings.log.format)
    if metrics_folder is not None:
        write_to_folder(metrics_folder)  # before any metric is made: they live in files the parent reads
    asyncio.run(run_worker(settings, parent=parent, served=metrics_folder is not None))


async def run_worker(settings: Settings, *, parent: int | None = None, served: bool = False) -> None:
    """Run the worker until SIGTERM or SIGINT (``refbot worker``, or the child of ``refbot serve``).

    With ``parent``, also until that process is gone (checked every second besides the
    death signal, which a parent killed during the child's start-up never sends). ``served``:
    the web process serves this worker's metrics (it is its child, writing them to a folder).
    """
    deployment = await build_deployment(settings)
    metrics = Metrics(settings.metrics.enabled, list(deployment.libraries))
    workers = [Worker.from_services(services, metrics.library(library))
               for library, services in deployment.libraries.items()]
    listener = await _metrics_listener(settings, metrics, deployment) if not served else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watching = asyncio.create_task(_watch_parent(parent, stop)) if parent is not None else None
    for worker in workers:  # one per library: each works its own library's store
        await worker.start()
    try:
        await stop.wait()
    finally:
        if watching is not None:
            watching.cancel()
        for worker in workers:
            await worker.stop()
        if listener is not None:
            await listener.cleanup()
        await deployment.close()


async def _metrics_listener(settings: Settings, metrics: Metrics, deployment: Deployment) -> web.AppRunner | None:
    """A worker that runs apart serves its own metrics when ``metrics.port`` gives it a listener."""
    if not settings.metrics.enabled:
        return None
    if not settings.metrics.port:
        log.warning("metrics.port is 0: this worker's counts (drafts, sources, sends) are not served; give it "
                    "metrics.port for a listener of its own (the web service's /metrics shows the backlogs)")
        return None
    libraries = {library: (s.store, s.journal) for library, s in deployment.libraries.items()}
    try:
        return await serve_metrics(settings.metrics, lambda: scrape(metrics, libraries))
    except OSError as e:  # the port is taken (the web service on this machine has it): work on, unmonitored
        log.error("this worker's metrics cannot be served on %s:%d (%s); it works on without them",
                  settings.metrics.host, settings.metrics.port, e.strerror)
        return None


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    while os.getppid() == parent:  # noqa: ASYNC110 - nothing to wait on: a parent's death sends no event
        await asyncio.sleep(PARENT_CHECK_EVERY)
    log.error("the process that started this worker (%s) is gone; stopping", parent)
    stop.set()


def _die_with_parent() -> None:
    # Without this, a SIGKILLed `refbot serve` would leave its worker running on.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
