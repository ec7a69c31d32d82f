"""refbot killed with SIGKILL between intake and draft, then started again: one draft, exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import yaml

from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.graph import create_graph_standin
from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, encode, sign, text_message
from tests.conftest import (
    APP_SECRET,
    LIBRARIAN,
    PATRON,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    eventually,
    free_port,
    serve,
)


class Service:
    """``refbot serve`` as a separate process, the way an admin runs it."""

    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.config, self.port, self.log = config, port, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {**os.environ, "REFBOT_WHATSAPP_TOKEN": TOKEN, "REFBOT_WHATSAPP_APP_SECRET": APP_SECRET,
               "REFBOT_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN}
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "refbot.cli", "serve", "--config", str(self.config), "--port", str(self.port),
                env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )

        async def healthy() -> bool:
            try:
                async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{self.port}/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(healthy, within=30, what="refbot serve to answer /healthz")

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


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


async def test_sigkill_between_intake_and_draft_drafts_exactly_once(
    tmp_path: Path, catalog_dir: Path, stand_ins: tuple[str, str, int]
) -> None:
    crossref_url, graph_url, port = stand_ins
    db = tmp_path / "refbot.sqlite3"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "store": {"path": str(db)},
        "catalog": {"index_dir": str(catalog_dir)},
        "crossref": {"base_url": crossref_url, "timeout": 20.0},
        "search": {"deadline": 30.0},
        "whatsapp": {"graph_api_base": graph_url, "phone_number_id": PHONE_NUMBER_ID},
        "librarians": [{"name": "Dewi", "phone": LIBRARIAN}],
        "worker": {"poll_interval": 0.05},
    }))
    service = Service(config, port, tmp_path / "service.log")
    async with aiohttp.ClientSession() as http:
        # Crossref answers slowly, so the question is still being searched when the kill comes.
        async with http.post(f"{crossref_url}/_control", json={"delay": 5.0, "times": 1}) as r:
            assert r.status == 200
        await service.start()
        try:
            body = encode(text_message(BusinessNumber(PHONE_NUMBER_ID), PATRON, "literasi informasi mahasiswa"))
            async with http.post(f"http://127.0.0.1:{port}/webhook", data=body,
                                 headers={SIGNATURE_HEADER: sign(body, APP_SECRET)}) as r:
                assert r.status == 200

            async def claimed() -> bool:
                return rows(db, "SELECT state FROM inbox") == [("processing",)]

            await eventually(claimed, what="the worker to claim the message")
            await asyncio.sleep(0.5)
            await service.kill()
            assert rows(db, "SELECT COUNT(*) FROM drafts") == [(0,)]

            await service.start()

            async def drafted() -> bool:
                return rows(db, "SELECT COUNT(*) FROM drafts") == [(1,)]

            await eventually(drafted, within=30, what="the draft after restart")

            async def buttons_sent() -> list[dict[str, object]]:
                async with http.get(f"{graph_url}/_sent", params={"to": LIBRARIAN}) as r:
                    return [m for m in (await r.json())["messages"] if m["buttons"]]

            await eventually(buttons_sent, what="the librarian's draft")
            await asyncio.sleep(0.5)  # anything duplicated would have been sent by now
            assert len(await buttons_sent()) == 1
            assert rows(db, "SELECT COUNT(*) FROM requests") == [(1,)]
            assert rows(db, "SELECT state FROM inbox") == [("done",)]
        finally:
            await service.stop()
