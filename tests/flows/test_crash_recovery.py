"""refbot killed with SIGKILL between intake and draft, then started again: one draft, exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiohttp
import yaml

from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, encode, sign, text_message
from tests.conftest import (
    APP_SECRET,
    LIBRARIAN,
    PATRON,
    PHONE_NUMBER_ID,
    eventually,
)
from tests.flows.conftest import Service


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
        "desk": {"hold_librarian_notices": False},  # drafts reach the librarian at whatever hour the suite runs
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
