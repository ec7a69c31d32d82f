"""Zotero through pyzotero against the stand-in: the sync into the store, the local source, saving
approved lists — and every fault the stand-in can throw at them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.zotero import (
    PARENT_NAME,
    RetryPolicy,
    ZoteroClient,
    ZoteroSaver,
    ZoteroSource,
    ZoteroSync,
    collection_name,
    item_to_candidate,
    zotero_parts,
)
from refbot.config import ZoteroSettings
from refbot.errors import SourceError, SourceTimeout
from refbot.models import Candidate, Draft, Kind, Ranked, Score
from refbot.pipeline.parse import parse_need
from refbot.sandbox.zotero import ZOTERO, Library, create_zotero_standin
from refbot.store import Store
from tests.conftest import eventually

KEY = "test-zotero-key"
FAST = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2, max_wait=5.0)


@dataclass
class Rig:
    """The stand-in on loopback, a store, and refbot's Zotero parts pointed at them."""

    url: str
    http: aiohttp.ClientSession
    app: web.Application
    store: Store
    client: ZoteroClient

    @property
    def library(self) -> Library:
        return self.app[ZOTERO].libraries["groups/2501"]

    @property
    def sync(self) -> ZoteroSync:
        return ZoteroSync(self.client, self.store, interval=3600)

    @property
    def source(self) -> ZoteroSource:
        return ZoteroSource(self.store, "groups/2501")

    @property
    def saver(self) -> ZoteroSaver:
        return ZoteroSaver(self.client, self.store)

    async def fault(self, **fault: Any) -> None:
        async with self.http.post(f"{self.url}/_control", json=fault) as resp:
            assert resp.status == 200, await resp.text()

    async def stats(self) -> dict[str, Any]:
        async with self.http.get(f"{self.url}/_stats") as resp:
            return dict(await resp.json())

    async def count(self, table: str) -> int:
        row = await self.store.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
        return int(row["n"]) if row else 0


def settings(url: str, timeout: float = 2.0) -> ZoteroSettings:
    return ZoteroSettings(enabled=True, library_id="2501", library_type="group", api_base=url, timeout=timeout)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    app = create_zotero_standin(api_key=KEY)
    store = await Store.open(tmp_path / "db.sqlite3")
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        url = str(server.make_url("")).rstrip("/")
        yield Rig(url, http, app, store, ZoteroClient(settings(url), KEY, retry=FAST))
    await store.close()


def need(text: str) -> Any:
    return parse_need(text, "id", current_year=2025)


def draft(*candidates: Candidate, draft_id: int = 12) -> Draft:
    items = tuple(Ranked(c, Score(1.0)) for c in candidates)
    return Draft(id=draft_id, request_id=1, items=items, question="kak, referensi literasi informasi untuk skripsi")


ARTICLE = Candidate(source="crossref", source_id="10.5555/jkn.2020.0455", kind=Kind.ARTICLE, doi="10.5555/jkn.2020.0455",
                    title="Minat Baca Mahasiswa", authors=("Rahmawati, Dewi",), year=2020,
                    container="Jurnal Kepustakawanan Nusantara", issn=("2301-5578",))
BOOK = Candidate(source="catalog", source_id="b1", kind=Kind.BOOK, title="Pengantar ilmu perpustakaan",
                 authors=("Sulistyo-Basuki",), year=1991, publisher="Gramedia Pustaka Utama", call_number="020 SUL p")
THESIS = Candidate(source="crossref", source_id="10.5555/thesis.2024.002", kind=Kind.THESIS, year=2024,
                   doi="10.5555/thesis.2024.002", title="Reading Engagement", publisher="Universitas Cendana Raya")
RETRACTED = Candidate(source="crossref", source_id="10.5555/bli.2017.0120", kind=Kind.ARTICLE, retracted=True,
                      title="Literasi Informasi dan Prestasi Akademik Mahasiswa")


# --- sync -----------------------------------------------------------------------------


async def test_a_first_sync_copies_collections_and_regular_items(rig: Rig) -> None:
    report = await rig.sync.run_once()

    assert (report.version, report.collections, report.items, report.deleted) == (21, 5, 15, 0)
    assert await rig.count("zotero_collections") == 5 and await rig.count("zotero_items") == 15  # the note left out
    assert await rig.sync.version() == 21


async def test_a_later_sync_asks_only_for_what_changed(rig: Rig) -> None:
    await rig.sync.run_once()
    lib = rig.library
    lib.put_item({"itemType": "book", "title": "Literasi digital untuk pustakawan", "collections": ["LTNF2345"]},
                 lib.bump())
    lib.delete_item("BK8SG345")
    lib.put_collection({**lib.collections["RFRN2345"], "name": "Layanan Referensi Virtual"}, lib.bump())

    report = await rig.sync.run_once()

    assert (report.items, report.collections, report.deleted) == (1, 1, 1)
    assert ["since", "21"] in (await rig.stats())["last"]["params"]
    names = {r["name"] for r in await rig.store.fetchall("SELECT name FROM zotero_collections")}
    assert "Layanan Referensi Virtual" in names and await rig.count("zotero_items") == 15


async def test_a_sync_reads_every_page(rig: Rig) -> None:
    lib = rig.library
    for n in range(230):
        lib.put_item({"itemType": "book", "title": f"Buku {n}"}, lib.bump())

    report = await rig.sync.run_once()

    assert report.items == 245
    assert (await rig.stats())["requests"]["GET /groups/2501/items"] == 3


async def test_an_item_moved_to_the_trash_leaves_the_copy(rig: Rig) -> None:
    await rig.sync.run_once()
    lib = rig.library
    lib.put_item({**lib.items["BK7MN234"], "deleted": 1}, lib.bump())

    await rig.sync.run_once()

    assert await rig.store.fetchone("SELECT 1 FROM zotero_items WHERE key = 'BK7MN234'") is None


async def test_the_schedule_syncs_until_stopped(rig: Rig) -> None:
    import asyncio

    sync = ZoteroSync(rig.client, rig.store, interval=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(sync.run(stop))
    async def synced_twice() -> bool:
        return (await rig.stats())["requests"].get("GET /groups/2501/collections", 0) >= 2

    await eventually(synced_twice, within=5.0, what="a second scheduled sync")
    stop.set()
    await asyncio.wait_for(task, 2)  # stops at once, not after the interval


# --- sync faults ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [{"status": 500, "times": 1}, {"status": 503, "times": 2}, {"body": "truncated", "times": 1},
     {"body": "not-json", "times": 1}],
)
async def test_a_passing_fault_is_retried_and_the_copy_made(rig: Rig, fault: dict[str, Any]) -> None:
    await rig.fault(**fault)

    report = await rig.sync.run_once()

    assert report.items == 15


async def test_a_429_is_waited_out_as_retry_after_asks(rig: Rig) -> None:
    await rig.fault(status=429, retry_after=1, times=1)

    started = time.monotonic()
    await rig.sync.run_once()

    assert time.monotonic() - started >= 1.0
    assert (await rig.stats())["requests"]["GET /groups/2501/collections"] == 2


async def test_a_429_asking_longer_than_refbot_waits_fails_at_once(rig: Rig) -> None:
    await rig.fault(status=429, retry_after=600, times=1)

    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        await rig.sync.run_once()

    assert time.monotonic() - started < 1.0
    assert caught.value.reason == "Zotero is limiting how fast refbot may ask (429); it asked to wait 600 s"


async def test_a_slow_zotero_times_out_by_refbots_timeout_not_pyzoteros(rig: Rig) -> None:
    await rig.fault(delay=5)
    client = ZoteroClient(settings(rig.url, timeout=0.3), KEY, retry=RetryPolicy(attempts=2, base_delay=0.05))

    started = time.monotonic()
    with pytest.raises(SourceTimeout) as caught:
        await ZoteroSync(client, rig.store, 3600).run_once()

    assert time.monotonic() - started < 2.0
    assert caught.value.reason == "Zotero did not answer within 0.3 s" and caught.value.source == "zotero"


async def test_a_lasting_failure_keeps_the_previous_copy_searchable(rig: Rig) -> None:
    await rig.sync.run_once()
    await rig.fault(status=500)

    with pytest.raises(SourceError) as caught:
        await rig.sync.run_once()
    found = await rig.source.search(need("literasi informasi"), 5)

    assert caught.value.reason == "Zotero answered 500"
    assert found and await rig.count("zotero_items") == 15
    row = await rig.store.fetchone("SELECT error FROM zotero_libraries")
    assert row is not None and row["error"] == "Zotero answered 500"


async def test_a_wrong_key_is_a_clear_error_and_not_retried(rig: Rig) -> None:
    client = ZoteroClient(settings(rig.url), "wrong", retry=FAST)

    with pytest.raises(SourceError) as caught:
        await ZoteroSync(client, rig.store, 3600).run_once()

    assert "refused the API key (403)" in caught.value.reason
    assert (await rig.stats())["requests"] == {"GET /groups/2501/collections": 1}


async def test_nothing_listening_is_a_clear_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ZoteroClient(settings(f"http://127.0.0.1:{port}"), KEY, retry=FAST)

    with pytest.raises(SourceError) as caught:
        await client.run(lambda zot: zot.collections(), "read")

    assert caught.value.reason == "Zotero could not be reached"


async def test_a_stand_in_under_a_prefix_is_followed_page_by_page(tmp_path: Path) -> None:
    service = web.Application()
    service.add_subapp("/sandbox/zotero", create_zotero_standin())
    store = await Store.open(tmp_path / "db.sqlite3")
    async with TestServer(service) as server:
        client = ZoteroClient(settings(str(server.make_url("/sandbox/zotero"))), "", retry=FAST)
        report = await client.run(lambda zot: len(_all_items(zot)), "read")
    await store.close()

    assert report == 16


def _all_items(zot: Any) -> list[Any]:
    from connectors.zotero.client import everything

    return everything(zot, zot.items(limit=5))


# --- the local source -----------------------------------------------------------------


async def test_the_copy_is_searched_with_guides_and_stems(rig: Rig) -> None:
    await rig.sync.run_once()

    found = await rig.source.search(need("buku metode penelitian kualitatif"), 5)

    assert {c.title for c in found[:2]} == {"Metodologi penelitian kualitatif",
                                             "Metode penelitian kuantitatif, kualitatif, dan R&D"}
    assert all(c.source == "zotero" for c in found) and [c.source_rank for c in found] == list(range(1, len(found) + 1))
    first = next(c for c in found if c.source_id == "BK7MN234")
    assert first.kind is Kind.BOOK and first.authors == ("Moleong, Lexy J.",) and first.year == 2017
    assert "Daftar Bacaan: Metodologi Penelitian" in first.subjects and first.call_number == "001.42 MOL m"


async def test_a_guides_name_finds_its_items(rig: Rig) -> None:
    await rig.sync.run_once()

    found = await rig.source.search(need("panduan penulisan skripsi"), 10)

    assert {c.source_id for c in found[:2]} == {"BK6PN789", "AR4JK567"}


async def test_before_any_copy_the_source_is_empty_and_after_a_failed_first_copy_it_says_why(rig: Rig) -> None:
    assert await rig.source.search(need("literasi"), 5) == []
    await rig.fault(status=500)
    with pytest.raises(SourceError):
        await rig.sync.run_once()

    with pytest.raises(SourceError) as caught:
        await rig.source.search(need("literasi"), 5)

    assert caught.value.source == "zotero" and "not been copied yet (Zotero answered 500)" in caught.value.reason


async def test_the_source_sees_a_new_sync(rig: Rig) -> None:
    await rig.sync.run_once()
    source = rig.source
    assert await source.search(need("kurasi"), 5) == []
    lib = rig.library
    lib.put_item({"itemType": "book", "title": "Kurasi koleksi digital"}, lib.bump())
    await rig.sync.run_once()

    found = await source.search(need("kurasi koleksi digital"), 3)

    assert found[0].title == "Kurasi koleksi digital"


def test_items_of_every_kind_convert() -> None:
    for data in create_zotero_standin().__getitem__(ZOTERO).libraries["groups/2501"].items.values():
        c = item_to_candidate(data, ["Guide"])
        assert c.source == "zotero" and c.source_id == data["key"]
        assert "Guide" in c.subjects
    thesis = item_to_candidate({"key": "K", "itemType": "thesis", "title": "T", "university": "UI",
                                "date": "Juni 2021", "extra": "DOI: 10.5555/ABC\nrefbot: x y"})
    assert (thesis.kind, thesis.publisher, thesis.year, thesis.doi) == (Kind.THESIS, "UI", 2021, "10.5555/abc")


# --- saving approved lists ------------------------------------------------------------


async def test_an_approved_list_becomes_a_collection_named_after_the_request(rig: Rig) -> None:
    result = await rig.saver.save(draft(ARTICLE, BOOK, THESIS, RETRACTED))

    lib = rig.library
    saved = lib.collections[result.collection]
    parent = lib.collections[saved["parentCollection"]]
    items = [i for i in lib.items.values() if result.collection in i["collections"]]
    assert saved["name"] == "refbot #12" == result.name  # no request stored: the number alone
    assert parent["name"] == PARENT_NAME and not parent["parentCollection"]
    assert (result.created, result.already, result.failed) == (3, 0, ())
    by_type = {i["itemType"]: i for i in items}
    assert set(by_type) == {"journalArticle", "book", "thesis"}  # the retracted one left out
    assert by_type["journalArticle"]["DOI"] == "10.5555/jkn.2020.0455"
    assert by_type["journalArticle"]["creators"] == [{"creatorType": "author", "lastName": "Rahmawati",
                                                      "firstName": "Dewi"}]
    assert by_type["book"]["callNumber"] == "020 SUL p" and by_type["book"]["creators"][0]["name"] == "Sulistyo-Basuki"
    assert "DOI: 10.5555/thesis.2024.002" in by_type["thesis"]["extra"] and by_type["thesis"]["university"]
    stats = (await rig.stats())["requests"]
    assert stats["GET /items/new"] == 3


async def test_saving_again_adds_nothing(rig: Rig) -> None:
    first = await rig.saver.save(draft(ARTICLE, BOOK))
    again = await rig.saver.save(draft(ARTICLE, BOOK))

    assert again.collection == first.collection and (again.created, again.already) == (0, 2)
    assert sum(1 for i in rig.library.items.values() if first.collection in i["collections"]) == 2
    assert sum(1 for c in rig.library.collections.values() if c["name"] == PARENT_NAME) == 1


async def test_a_write_whose_answer_was_lost_is_not_made_twice(rig: Rig) -> None:
    # The items are stored, then the answer is cut short: pyzotero cannot read it, refbot
    # retries, finds its items by their refbot: line, and creates none again.
    await rig.fault(body="truncated", match="POST /groups/2501/items", times=1)

    result = await rig.saver.save(draft(ARTICLE, BOOK))

    assert (result.created, result.already) == (0, 2)
    assert sum(1 for i in rig.library.items.values() if result.collection in i["collections"]) == 2
    assert (await rig.stats())["requests"]["POST /groups/2501/items"] == 1


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_refused_write_is_retried_honouring_retry_after(rig: Rig, status: int) -> None:
    await rig.fault(status=status, retry_after=1, match="POST /groups/2501/collections", times=1)

    started = time.monotonic()
    result = await rig.saver.save(draft(ARTICLE))

    assert time.monotonic() - started >= 1.0
    assert result.created == 1
    assert (await rig.stats())["requests"]["POST /groups/2501/collections"] == 3  # parent twice, then the list


async def test_a_collection_deleted_by_a_librarian_is_made_again(rig: Rig) -> None:
    first = await rig.saver.save(draft(ARTICLE))
    rig.library.delete_collection(first.collection)

    again = await rig.saver.save(draft(ARTICLE))

    assert again.collection != first.collection and again.created == 1


async def test_a_lasting_failure_is_reported_and_the_next_save_finishes(rig: Rig) -> None:
    await rig.fault(status=500, match="POST /groups/2501/items")
    with pytest.raises(SourceError) as caught:
        await rig.saver.save(draft(ARTICLE, BOOK))
    await rig.fault()

    result = await rig.saver.save(draft(ARTICLE, BOOK))

    assert caught.value.reason == "Zotero answered 500"
    assert result.created == 2 and sum(1 for c in rig.library.collections.values() if c["name"] == result.name) == 1


def test_a_collection_is_named_by_number_and_topics_not_the_patrons_sentence() -> None:
    asked = need("kak saya Rina dari prodi PBSI, minta referensi literasi informasi mahasiswa untuk skripsi")
    long = need("literasi " + " ".join(f"kata{n}panjangsekali" for n in range(20)))

    name = collection_name(12, asked)

    assert name.startswith("refbot #12 — ") and "literasi informasi" in name
    assert not {"kak", "saya", "minta", "referensi"} & set(name.lower().split())
    assert len(collection_name(7, long)) <= len("refbot #7 — ") + 60


async def test_the_parts_share_one_library(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    parts = zotero_parts(ZoteroSettings(library_id="77", library_type="user"), "k", store)
    await store.close()

    assert parts.source.library == parts.sync.library == parts.saver.library == "users/77"


async def test_approved_drafts_not_yet_saved_are_saved_by_the_schedule(rig: Rig) -> None:
    from refbot.decisions import drafts
    from refbot.models import InboundMessage

    store = rig.store
    for n in (1, 2):
        await store.record_inbound(InboundMessage(f"wamid.{n}", "6281200000001", "text", text="literasi informasi"))
    rows = await store.claim_inbox(2)
    made = []
    for row in rows:
        request = await store.create_request(row.id, "6281200000001", need("literasi informasi"))
        async with store.tx() as db:
            made.append(await store.insert_draft(db, request.id, (Ranked(ARTICLE, Score(1.0)),), ()))
    await drafts.approve(store, made[0], "6281300000001")  # the second stays pending

    first = await rig.saver.save_pending()
    again = await rig.saver.save_pending()
    await drafts.approve(store, made[1], "6281300000001")
    not_before = await rig.saver.save_pending(since=time.time() + 60)  # approved before that time

    assert [r.name for r in first] == [f"refbot #{made[0]} — literasi informasi"] and first[0].created == 1
    assert again == [] and not_before == []
    assert [r.name.split()[1] for r in await rig.saver.save_pending()] == [f"#{made[1]}"]


async def test_after_an_erasure_the_collection_keeps_only_its_number(rig: Rig, tmp_path: Path) -> None:
    from refbot.decisions import drafts
    from refbot.models import InboundMessage
    from refbot.store.media import FolderMedia
    from refbot.store.privacy import erase_patron

    store, phone = rig.store, "6281200000009"
    question = "tolong referensi literasi kesehatan remaja untuk skripsi saya di Puskesmas Sukamaju"
    await store.record_inbound(InboundMessage("wamid.e1", phone, "text", text=question))
    [row] = await store.claim_inbox(1)
    request = await store.create_request(row.id, phone, need(question))
    async with store.tx() as db:
        draft_id = await store.insert_draft(db, request.id, (Ranked(ARTICLE, Score(1.0)),), ())
    assert draft_id is not None
    await drafts.approve(store, draft_id, "6281300000001")
    [saved] = await rig.saver.save_pending()
    await rig.sync.run_once()  # the local copy holds the name too
    assert "literasi kesehatan" in rig.library.collections[saved.collection]["name"]

    await erase_patron(store, phone, FolderMedia(tmp_path / "media"))
    await rig.saver.save_pending()
    await rig.saver.save_pending()  # once is enough: nothing renamed twice

    names = [c["name"] for c in rig.library.collections.values()]
    copied = await store.zotero_collection_names("groups/2501")
    assert rig.library.collections[saved.collection]["name"] == f"refbot #{draft_id}"
    assert not any(w in n for n in [*names, *copied.values()] for w in ("literasi", "Sukamaju", "remaja"))
    assert (await rig.stats())["requests"][f"PUT /groups/2501/collections/{saved.collection}"] == 1
    assert sum(1 for i in rig.library.items.values() if saved.collection in i["collections"]) == 1
