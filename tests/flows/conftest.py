"""Every test under tests/flows runs refbot end to end (real processes, crashes, chaos): all of them are slow.

Run the quick suite with ``pytest -m "not slow"``, and these with ``pytest -m slow``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.graph import create_graph_standin
from tests.conftest import APP_SECRET, PHONE_NUMBER_ID, TOKEN, VERIFY_TOKEN, eventually, free_port, serve

FLOWS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest's hook sees every collected item, not only its folder's: filter by path.
    for item in items:
        if FLOWS in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.slow)


async def while_progressing(work: Awaitable[None], progress: Callable[[], Awaitable[object]], *,
                           stall: float, what: str) -> None:
    """Wait for ``work`` as long as ``progress()`` keeps changing; fail once it stood still ``stall`` seconds.

    A flow's length depends on the machine: on two cores another job keeps busy, a chaos run
    takes several times its idle length and must still be allowed to finish. What must not
    happen is a desk that stops working, so the guard watches the work done, not the clock.
    """
    task = asyncio.ensure_future(work)
    last, since = await progress(), time.monotonic()
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=1.0)
            now = await progress()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since > stall:
                raise AssertionError(f"{what}: nothing moved for {stall:g} s (stuck at {last})")
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    task.result()


class Service:
    """``refbot serve`` as a separate process, the way an admin runs it."""

    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.config, self.port, self.log = config, port, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, *, healthy: bool = True) -> None:
        """Start ``refbot serve``; wait until /healthz says ok, or (``healthy=False``) until it answers at all.

        A service restarted with a backlog answers 503 until it has caught up, which is the truth;
        a chaos run only needs it to take webhooks again.
        """
        env = {**os.environ, "REFBOT_WHATSAPP_TOKEN": TOKEN, "REFBOT_WHATSAPP_APP_SECRET": APP_SECRET,
               "REFBOT_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
               "REFBOT_DESK__HOLD_LIBRARIAN_NOTICES": "false"}  # the flows wait for drafts at any hour they run
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "refbot.cli", "serve", "--config", str(self.config), "--port", str(self.port),
                env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )

        async def up() -> bool:
            try:
                async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{self.port}/healthz") as r:
                    return r.status == 200 or (not healthy and r.status == 503)
            except aiohttp.ClientError:
                return False

        await eventually(up, within=60, what="refbot serve to answer /healthz")

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.proc.wait(), 10)

    async def stop(self) -> None:
        await stop_like_systemd(self.proc)


STOP_TIMEOUT = 30.0
"""``TimeoutStopSec`` of deploy/refbot.service: how long systemd lets refbot end its work after SIGTERM."""


async def stop_like_systemd(proc: asyncio.subprocess.Process | None) -> None:
    """SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT`, as ``systemctl stop`` does.

    A graceful stop finishes the drafts in hand, which on a machine busy with other work takes
    several times as long as on an idle one; what is left when the time is up is recovered at
    the next start, as a crash is (tests/flows/test_crash_recovery.py). How long the stop took
    is printed for the slow cases.
    """
    if proc is None or proc.returncode is not None:
        return
    started = time.monotonic()
    proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        print(f"pid {proc.pid} still stopping after {STOP_TIMEOUT:g} s: killed, as systemd would")
        return
    if time.monotonic() - started > 5:
        print(f"pid {proc.pid} took {time.monotonic() - started:.1f} s to stop")


@pytest.fixture
async def stand_ins() -> AsyncIterator[tuple[str, str, int]]:
    port = free_port()
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    graph = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, webhook_url=f"http://127.0.0.1:{port}/webhook")
    graph_runner, graph_url = await serve(graph)
    yield crossref_url, graph_url, port
    await graph_runner.cleanup()
    await crossref_runner.cleanup()
