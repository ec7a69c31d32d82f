"""Every test under tests/flows runs refbot end to end (real processes, crashes, chaos): all of them are slow.

Run the quick suite with ``pytest -m "not slow"``, and these with ``pytest -m slow``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
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
        if self.proc and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 10)


@pytest.fixture
async def stand_ins() -> AsyncIterator[tuple[str, str, int]]:
    port = free_port()
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    graph = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, webhook_url=f"http://127.0.0.1:{port}/webhook")
    graph_runner, graph_url = await serve(graph)
    yield crossref_url, graph_url, port
    await graph_runner.cleanup()
    await crossref_runner.cleanup()
