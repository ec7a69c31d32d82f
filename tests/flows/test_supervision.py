"""`refbot serve` keeps its worker child running, and a child never outlives its parent."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.conftest import LIBRARIAN, PHONE_NUMBER_ID, eventually
from tests.flows.conftest import Service


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped by its parent) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


async def _health(port: int) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as r:
        return r.status, await r.json()


@pytest.fixture
async def service(tmp_path: Path, catalog_dir: Path, stand_ins: tuple[str, str, int]) -> AsyncIterator[Service]:
    """`refbot serve` with its worker in a child process (the default), up and healthy."""
    crossref_url, graph_url, port = stand_ins
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "store": {"path": str(tmp_path / "refbot.sqlite3")},
        "catalog": {"index_dir": str(catalog_dir)},
        "crossref": {"base_url": crossref_url},
        "whatsapp": {"graph_api_base": graph_url, "phone_number_id": PHONE_NUMBER_ID},
        "librarians": [{"name": "Dewi", "phone": LIBRARIAN}],
        "desk": {"hold_librarian_notices": False},  # drafts reach the librarian at whatever hour the suite runs
        "worker": {"poll_interval": 0.05},
    }))
    running = Service(config, port, tmp_path / "service.log")
    await running.start()
    yield running
    await running.stop()


async def test_a_killed_worker_child_is_noticed_and_restarted(service: Service) -> None:
    port = service.port
    status, body = await _health(port)
    child = body["worker"]["pid"]
    assert status == 200 and child and _alive(child)

    os.kill(child, signal.SIGKILL)

    async def said_so() -> bool:
        status, body = await _health(port)
        return status == 503 and "the worker process is not running" in body["reasons"]

    async def restarted() -> dict[str, Any] | None:
        status, body = await _health(port)
        return body if status == 200 and body["worker"]["restarts"] == 1 else None

    await eventually(said_so, within=5, what="/healthz to say the worker is gone")
    body = await eventually(restarted, within=30, what="a new worker child, healthy")
    assert body["worker"]["pid"] != child


async def test_a_worker_child_ends_when_its_parent_is_killed(service: Service) -> None:
    _status, body = await _health(service.port)
    child = body["worker"]["pid"]
    await service.kill()

    async def gone() -> bool:
        return not _alive(child)

    await eventually(gone, within=10, what="the worker child to end with `refbot serve`")
