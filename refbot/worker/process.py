"""Running the worker in its own process, beside the web process that takes webhooks.

Drafting is CPU work (Whoosh is pure Python, ranking and language detection too); in the web
process it would compete with webhook intake for the interpreter, and Meta needs its 200
quickly. So ``refbot serve`` starts the worker as a child process. Both share the SQLite
store: rows are claimed inside write transactions, so neither can take the other's work.
The child dies with its parent (Linux's parent-death signal), so a killed service never
leaves a worker behind.
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

from refbot.config import Settings
from refbot.wiring import build_services
from refbot.worker.loops import Worker

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
WORKER_NICENESS = 10


def start_worker_process(settings: Settings) -> multiprocessing.process.BaseProcess:
    """Start the worker in a child process that ends when this process ends."""
    process = multiprocessing.get_context("spawn").Process(
        target=_child_main, args=(settings, logging.getLogger().level), name="refbot-worker", daemon=True
    )
    process.start()
    log.info("worker started in process %s", process.pid)
    return process


def stop_worker_process(process: multiprocessing.process.BaseProcess, grace: float = 10.0) -> None:
    """Ask the worker to stop, and make sure it has."""
    if process.is_alive():
        process.terminate()
        process.join(grace)
    if process.is_alive():
        process.kill()
        process.join()


def _child_main(settings: Settings, log_level: int) -> None:
    _die_with_parent()
    # Drafting can wait a moment; acknowledging Meta's webhooks cannot. On a busy machine the
    # scheduler should prefer the web process.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s [worker]: %(message)s")
    asyncio.run(run_worker(settings))


async def run_worker(settings: Settings) -> None:
    """Run the worker until SIGTERM or SIGINT (``refbot worker``, or the child of ``refbot serve``)."""
    services = await build_services(settings)
    worker = Worker.from_services(services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await worker.start()
    try:
        await stop.wait()
    finally:
        await worker.stop()
        await services.close()


def _die_with_parent() -> None:
    # Without this, a SIGKILLed `refbot serve` would leave its worker running on.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
