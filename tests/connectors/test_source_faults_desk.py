"""Every fault a stand-in can throw, seen from the desk: the question still gets a draft, the
note names the source, nothing is lost, and the cache answers a repeat.

The first tests run refbot end to end (the loopback harness in tests/conftest.py). The rest
build the desk with the sources the lead wires in production — Crossref with its store cache,
Zotero's local copy — around one store, and hand it messages the way the worker does.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.crossref import CrossrefSource, RetryPolicy
from connectors.zotero import RetryPolicy as ZoteroRetry
from connectors.zotero import ZoteroClient, ZoteroSource, ZoteroSync
from refbot.config import Librarian, ZoteroSettings, load_settings
from refbot.desk.routing import Desk as RefDesk
from refbot.models import Draft, InboundMessage
from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.zotero import create_zotero_standin
from refbot.store import Store
from refbot.store.cache import SourceCache
from tests.conftest import LIBRARIAN, PATRON, Desk, eventually

CROSSREF_FAULTS = [
    {"status": 500},
    {"status": 503, "retry_after": 30},
    {"status": 429, "retry_after": 30},
    {"body": "truncated"},
    {"body": "not-json"},
    {"delay": 10},
]


async def draft_of(desk: Desk) -> Draft:
    async def check() -> Draft | None:
        ids = await desk.services.store.draft_ids()
        return await desk.services.store.get_draft(ids[-1]) if ids else None

    draft: Draft = await eventually(check, what="a draft")
    return draft


# --- end to end, over HTTP --------------------------------------------------------------


@pytest.mark.parametrize("fault", CROSSREF_FAULTS, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()))
async def test_a_failing_crossref_still_gives_a_draft_with_a_note(desk: Desk, fault: dict[str, Any]) -> None:
    await desk.crossref_control(**fault)

    await desk.patron_says("kak, saya cari buku tentang literasi informasi untuk skripsi")
    draft = await draft_of(desk)

    assert draft.items and all(r.candidate.source == "catalog" for r in draft.items)
    [note] = draft.source_notes
    assert note.startswith("Crossref tidak dapat dihubungi: ")
    review = await eventually(lambda: _texts(desk, LIBRARIAN), what="the librarian's copy")
    assert note in review


async def test_a_retracted_work_is_shown_to_the_librarian_and_never_sent(desk: Desk) -> None:
    await desk.patron_says("artikel jurnal literasi informasi dan prestasi akademik mahasiswa")
    draft = await draft_of(desk)
    retracted = [r.candidate for r in draft.items if r.candidate.retracted]
    assert retracted, [r.candidate.title for r in draft.items]
    review = await eventually(lambda: _texts(desk, LIBRARIAN), what="the librarian's copy")
    assert "DITARIK (retracted)" in review

    await desk.press(f"approve:{draft.id}")

    async def patron_list() -> str:
        return "\n".join(t for t in (await _texts(desk, PATRON)).split("\n\n") if "Berikut referensi" in t or "1." in t)

    sent = await eventually(patron_list, what="the patron's list")
    assert all(c.title not in sent for c in retracted)


async def _texts(desk: Desk, phone: str) -> str:
    return "\n\n".join(m["text"] for m in await desk.sent_to(phone))


# --- the desk with the cache and Zotero -------------------------------------------------


@dataclass
class Rig:
    store: Store
    crossref_url: str
    zotero_url: str
    http: aiohttp.ClientSession
    crossref: CrossrefSource
    zotero: ZoteroSource
    sync: ZoteroSync
    desk: RefDesk
    asked: int = 0

    async def ask(self, text: str) -> Draft:
        self.asked += 1
        await self.store.record_inbound(InboundMessage(f"wamid.{self.asked}", PATRON, "text", text=text))
        [row] = await self.store.claim_inbox(1)
        await self.desk.handle(row)
        request = await self.store.fetchone("SELECT id FROM requests WHERE inbox_id = ?", (row.id,))
        assert request is not None
        draft = await self.store.draft_for_request(request["id"])
        assert draft is not None
        return draft

    async def fault(self, url: str, **fault: Any) -> None:
        async with self.http.post(f"{url}/_control", json=fault) as resp:
            assert resp.status == 200

    async def requests(self, url: str) -> dict[str, int]:
        async with self.http.get(f"{url}/_stats") as resp:
            return dict((await resp.json())["requests"])


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    store = await Store.open(tmp_path / "db.sqlite3")
    async with (
        TestServer(create_crossref_standin()) as crossref_server,
        TestServer(create_zotero_standin()) as zotero_server,
        aiohttp.ClientSession() as http,
    ):
        crossref_url = str(crossref_server.make_url("")).rstrip("/")
        zotero_url = str(zotero_server.make_url("")).rstrip("/")
        base = load_settings(None, env={})
        settings = replace(
            base,
            # Short timeouts: the "delay" faults only need them to run out (loopback answers take milliseconds).
            crossref=replace(base.crossref, base_url=crossref_url, timeout=0.5),
            search=replace(base.search, deadline=3.0),
            librarians=(Librarian("Dewi", LIBRARIAN),),
        )
        crossref = CrossrefSource(settings.crossref, cache=SourceCache(store, "crossref"),
                                  retry=RetryPolicy(attempts=2, base_delay=0.05))
        zotero_settings = ZoteroSettings(enabled=True, library_id="2501", api_base=zotero_url, timeout=0.4)
        client = ZoteroClient(zotero_settings, "", retry=ZoteroRetry(attempts=2, base_delay=0.05))
        zotero = ZoteroSource(store, client.library)
        desk = RefDesk(store, [crossref, zotero], settings)
        yield Rig(store, crossref_url, zotero_url, http, crossref, zotero, ZoteroSync(client, store, 3600), desk)
        crossref.close()
    await store.close()


async def test_the_same_question_twice_asks_crossref_once(rig: Rig) -> None:
    await rig.sync.run_once()
    first = await rig.ask("kak, ada jurnal tentang literasi informasi mahasiswa?")
    second = await rig.ask("kak, ada jurnal tentang literasi informasi mahasiswa?")

    assert await rig.requests(rig.crossref_url) == {"/works": 1}
    assert [r.candidate for r in second.items] == [r.candidate for r in first.items]
    assert {r.candidate.source for r in first.items} == {"crossref", "zotero"} and not first.source_notes


@pytest.mark.parametrize("fault", CROSSREF_FAULTS, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()))
async def test_a_stored_answer_keeps_crossref_in_the_draft_while_it_fails(rig: Rig, fault: dict[str, Any]) -> None:
    first = await rig.ask("literasi informasi mahasiswa")
    later = time.time() + 2 * 86400
    rig.store.clock = lambda: later  # two days on: the stored answer is stale, but may stand in
    await rig.fault(rig.crossref_url, **fault)

    second = await rig.ask("literasi informasi mahasiswa")

    crossref_items = [r.candidate for r in second.items if r.candidate.source == "crossref"]
    assert crossref_items and not second.source_notes
    assert crossref_items == [r.candidate for r in first.items if r.candidate.source == "crossref"]
    assert rig.crossref.stats["stale"] == 1


@pytest.mark.parametrize(
    "fault",
    [{"status": 500}, {"status": 429, "retry_after": 600}, {"body": "truncated"}, {"body": "not-json"}, {"delay": 5}],
    ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()),
)
async def test_a_zotero_that_never_answered_is_a_note_and_the_draft_comes_from_crossref(
    rig: Rig, fault: dict[str, Any]
) -> None:
    await rig.fault(rig.zotero_url, **fault)
    with pytest.raises(Exception):  # noqa: B017 - the sync's own error is tested in test_zotero.py
        await rig.sync.run_once()

    draft = await rig.ask("literasi informasi mahasiswa")

    assert draft.items and {r.candidate.source for r in draft.items} == {"crossref"}
    [note] = draft.source_notes
    assert note.startswith("Zotero tidak dapat dihubungi: the library has not been copied yet (Zotero")


async def test_a_zotero_down_after_a_copy_still_answers_from_the_copy(rig: Rig) -> None:
    await rig.sync.run_once()
    await rig.fault(rig.zotero_url, status=500)
    with pytest.raises(Exception):  # noqa: B017
        await rig.sync.run_once()

    draft = await rig.ask("metode penelitian kualitatif")

    assert any(r.candidate.source == "zotero" for r in draft.items) and not draft.source_notes
