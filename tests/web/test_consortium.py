"""Two libraries in one deployment: each patron is answered from their own library's number,
catalog and librarians, and nothing of one library reaches the other."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web

from refbot.catalog.index import build_index
from refbot.config import load_settings
from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.graph import GRAPH_STATE, create_graph_standin
from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, button_reply, encode, sign, text_message
from refbot.web.keys import DEPLOYMENT
from refbot.web.server import create_app
from refbot.wiring import Deployment
from tests.conftest import APP_SECRET, TOKEN, VERIFY_TOKEN, eventually, free_port, serve
from tests.postgres import Postgres

UNDIP, UNNES = BusinessNumber("111000000000001"), BusinessNumber("222000000000002")
LIBRARIAN_UNDIP, LIBRARIAN_UNNES = "6281300000011", "6281300000022"
PATRON_UNDIP, PATRON_UNNES = "6281200000011", "6281200000022"
MARITIME = """id,title,authors,year,subjects,call_number,location
m1,Sejarah Maritim Nusantara,Lapian;Adrian B.,2017,Sejarah maritim;Pelayaran,959.8 LAP s,Lantai 3
m2,Pelabuhan dan Jalur Rempah,Hamid;Abd Rahman,2013,Sejarah maritim;Perdagangan,387.1 HAM p,Lantai 3
"""


@dataclass
class Consortium:
    url: str
    deployment: Deployment
    graphs: dict[str, web.Application]
    http: aiohttp.ClientSession

    async def post(self, payload: dict[str, Any]) -> int:
        body = encode(payload)
        headers = {SIGNATURE_HEADER: sign(body, APP_SECRET), "Content-Type": "application/json"}
        async with self.http.post(f"{self.url}/webhook", data=body, headers=headers) as resp:
            return resp.status

    def sent(self, library: str, to: str) -> list[dict[str, Any]]:
        """What the library's number sent to ``to`` (each number has its own Graph API stand-in)."""
        return [m for m in self.graphs[library][GRAPH_STATE].messages if m["to"] == to]

    async def sent_eventually(self, library: str, to: str, containing: str = "") -> list[dict[str, Any]]:
        async def found() -> list[dict[str, Any]]:
            return [m for m in self.sent(library, to) if containing in _texts([m])]

        return list(await eventually(found, what=f"a message from {library} to {to}"))

    async def settled(self, library: str) -> None:
        """Wait until the library has applied every webhook and handled every message."""
        services = self.deployment.libraries[library]

        async def idle() -> bool:
            counts = await services.store.inbox_counts()
            return (await services.journal.waiting())[0] == 0 and not counts.get("pending") \
                and not counts.get("processing")

        await eventually(idle, what=f"{library} to handle what it got")

    async def draft_ids(self, library: str) -> list[int]:
        return await self.deployment.libraries[library].store.draft_ids()


@contextlib.asynccontextmanager
async def consortium(tmp_path: Path, catalog_dir: Path, store_url: str = "") -> AsyncIterator[Consortium]:
    maritime_csv = tmp_path / "maritim.csv"
    maritime_csv.write_text(MARITIME, encoding="utf-8")
    maritime_index = tmp_path / "maritime-index"
    build_index([maritime_csv], maritime_index)
    port = free_port()
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    graphs, runners, bases = {}, [], {}
    for library, number in (("undip", UNDIP), ("unnes", UNNES)):
        graphs[library] = create_graph_standin(TOKEN, APP_SECRET, number.phone_number_id,
                                               webhook_url=f"http://127.0.0.1:{port}/webhook")
        runner, bases[library] = await serve(graphs[library])
        runners.append(runner)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "server": {"port": port},
        "store": {"path": str(tmp_path / "refbot.sqlite3"), "url": store_url},
        "crossref": {"enabled": False, "base_url": crossref_url},
        "search": {"deadline": 4.0},
        "worker": {"poll_interval": 0.05, "mode": "inline"},
        "desk": {"hold_librarian_notices": False},  # drafts reach librarians at whatever hour the suite runs
        "libraries": [
            {"id": "undip", "name": "UPT Perpustakaan UNDIP",
             "whatsapp": {"graph_api_base": bases["undip"], "phone_number_id": UNDIP.phone_number_id},
             "librarians": [{"name": "Dewi", "phone": LIBRARIAN_UNDIP}], "catalog": {"index_dir": str(catalog_dir)}},
            {"id": "unnes", "name": "UPT Perpustakaan UNNES",
             "whatsapp": {"graph_api_base": bases["unnes"], "phone_number_id": UNNES.phone_number_id},
             "librarians": [{"name": "Sari", "phone": LIBRARIAN_UNNES}], "catalog": {"index_dir": str(maritime_index)}},
        ],
    }))
    settings = load_settings(config, env={"REFBOT_WHATSAPP_TOKEN": TOKEN, "REFBOT_WHATSAPP_APP_SECRET": APP_SECRET,
                                          "REFBOT_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN})
    app = create_app(settings)
    runner, url = await serve(app, port)
    try:
        async with aiohttp.ClientSession() as http:
            yield Consortium(url, app[DEPLOYMENT], graphs, http)
    finally:
        await runner.cleanup()
        for r in runners:
            await r.cleanup()
        await crossref_runner.cleanup()


def _texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(m["payload"], ensure_ascii=False) for m in messages)


async def _each_patron_is_served_by_their_own_library(c: Consortium) -> None:
    assert await c.post(text_message(UNDIP, PATRON_UNDIP, "literasi informasi untuk skripsi")) == 200
    assert await c.post(text_message(UNNES, PATRON_UNNES, "buku sejarah maritim nusantara")) == 200
    [undip_draft] = await eventually(lambda: c.draft_ids("undip"), what="UNDIP's draft")
    [unnes_draft] = await eventually(lambda: c.draft_ids("unnes"), what="UNNES's draft")

    # Each library's librarians get their own library's draft, from their own library's number.
    review_undip = await c.sent_eventually("undip", LIBRARIAN_UNDIP)
    review_unnes = await c.sent_eventually("unnes", LIBRARIAN_UNNES)
    assert "Sejarah Maritim Nusantara" in _texts(review_unnes)
    assert "Sejarah Maritim" not in _texts(review_undip), "UNDIP searched its own catalog only"
    assert c.sent("unnes", LIBRARIAN_UNDIP) == [] and c.sent("undip", LIBRARIAN_UNNES) == []
    assert c.sent("undip", PATRON_UNNES) == [] and c.sent("unnes", PATRON_UNDIP) == []

    # UNDIP's librarian writing to UNNES's number is a stranger there: no approval of UNNES's draft.
    assert await c.post(button_reply(UNNES, LIBRARIAN_UNDIP, f"approve:{unnes_draft}", "Setujui",
                                     context_id="wamid.x", wamid="wamid.guess")) == 200
    await c.settled("unnes")
    unnes_store = c.deployment.libraries["unnes"].store
    assert (await unnes_store.get_draft(unnes_draft)).status == "pending"  # type: ignore[union-attr]

    # UNNES's own librarian approves; the list reaches the patron from UNNES's number only.
    assert await c.post(button_reply(UNNES, LIBRARIAN_UNNES, f"approve:{unnes_draft}", "Setujui",
                                     context_id="wamid.y", wamid="wamid.approve")) == 200
    assert await c.sent_eventually("unnes", PATRON_UNNES, containing="Sejarah Maritim Nusantara")
    assert c.sent("undip", PATRON_UNNES) == []
    undip_store = c.deployment.libraries["undip"].store
    assert (await undip_store.get_draft(undip_draft)).status == "pending"  # type: ignore[union-attr]


async def test_two_libraries_each_answer_from_their_own_number_catalog_and_librarians(
    tmp_path: Path, catalog_dir: Path
) -> None:
    async with consortium(tmp_path, catalog_dir) as c:
        await _each_patron_is_served_by_their_own_library(c)
        assert (tmp_path / "refbot.undip.sqlite3").exists() and (tmp_path / "refbot.unnes.sqlite3").exists()


async def test_two_libraries_on_one_postgresql_database_keep_apart(
    tmp_path: Path, catalog_dir: Path, postgres: Postgres
) -> None:
    url = postgres.cluster.create_database("consortium_flow")
    async with consortium(tmp_path, catalog_dir, store_url=url) as c:
        await _each_patron_is_served_by_their_own_library(c)


@pytest.mark.parametrize("number", ["333000000000003"])
async def test_a_number_no_library_has_is_acknowledged_and_not_answered(
    tmp_path: Path, catalog_dir: Path, number: str
) -> None:
    async with consortium(tmp_path, catalog_dir) as c:
        assert await c.post(text_message(BusinessNumber(number), PATRON_UNDIP, "halo")) == 200
        for library in ("undip", "unnes"):
            assert await c.deployment.libraries[library].store.inbox_counts() == {}
        events = await c.deployment.first.store.events()
        assert any(e["kind"] == "webhook_unknown_number" and number in e["detail"] for e in events)
