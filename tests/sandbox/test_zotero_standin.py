"""The Zotero Web API v3 stand-in over loopback HTTP: wire format, versions, writes, faults — and
real pyzotero talking to it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pyzotero import zotero

from refbot.sandbox.zotero import ZOTERO, Library, create_zotero_standin

KEY = "test-zotero-key"
GROUP = "/groups/2501"


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    url: str
    http: aiohttp.ClientSession
    app: web.Application

    @property
    def library(self) -> Library:
        return self.app[ZOTERO].libraries["groups/2501"]

    async def call(self, method: str, path: str, *, key: str | None = KEY, **kw: Any) -> Reply:
        headers = {"Zotero-API-Version": "3", **kw.pop("headers", {})}
        if key:
            headers["Zotero-API-Key"] = key
        async with self.http.request(method, self.url + path, headers=headers, **kw) as resp:
            return Reply(resp.status, resp.headers, await resp.read())

    async def control(self, **fault: Any) -> None:
        async with self.http.post(f"{self.url}/_control", json=fault) as resp:
            assert resp.status == 200, await resp.text()

    async def stats(self) -> dict[str, int]:
        async with self.http.get(f"{self.url}/_stats") as resp:
            return dict((await resp.json())["requests"])

    def pyzotero(self) -> zotero.Zotero:
        zot = zotero.Zotero("2501", "group", KEY)
        zot.endpoint = self.url
        return zot


@pytest.fixture
async def standin() -> AsyncIterator[Client]:
    app = create_zotero_standin(api_key=KEY)
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        yield Client(str(server.make_url("")).rstrip("/"), http, app)


# --- reads ----------------------------------------------------------------------------


async def test_a_listing_pages_with_the_apis_headers(standin: Client) -> None:
    reply = await standin.call("GET", f"{GROUP}/items", params={"limit": "5", "start": "5"})

    assert reply.status == 200 and reply.headers["Content-Type"] == "application/json"
    assert reply.headers["Zotero-API-Version"] == "3"
    assert reply.headers["Total-Results"] == "16" and reply.headers["Last-Modified-Version"] == "21"
    links = reply.headers["Link"]
    assert f'{standin.url}{GROUP}/items?limit=5&start=10>; rel="next"' in links
    assert 'start=15>; rel="last"' in links and 'rel="alternate"' in links
    page = reply.json()
    assert len(page) == 5 and set(page[0]) == {"key", "version", "library", "links", "meta", "data"}
    assert page[0]["library"] == {"type": "group", "id": 2501, "name": standin.library.name,
                                  "links": {"alternate": {"href": "https://www.zotero.org/groups/2501",
                                                          "type": "text/html"}}}


async def test_pyzotero_reads_every_page_of_collections_and_items(standin: Client) -> None:
    def read() -> tuple[list[Any], list[Any], list[Any]]:
        zot = standin.pyzotero()
        collections = zot.everything(zot.collections())
        items = zot.everything(zot.items(limit=4))
        top = zot.collections_top()
        return collections, items, top

    collections, items, top = await asyncio.to_thread(read)

    assert len(collections) == 5 and len(items) == 16 and len(top) == 4
    sub = next(c for c in collections if c["data"]["parentCollection"])
    assert sub["data"]["name"] == "Literasi untuk Penulisan Skripsi"
    assert (await standin.stats())[f"GET {GROUP}/items"] == 4


async def test_since_deleted_and_versions_follow_the_library_version(standin: Client) -> None:
    before = standin.library.version
    standin.library.put_item({"itemType": "book", "title": "Buku baru"}, standin.library.bump())
    standin.library.delete_item("BK8SG345")

    changed = (await standin.call("GET", f"{GROUP}/items", params={"since": str(before)})).json()
    deleted = (await standin.call("GET", f"{GROUP}/deleted", params={"since": str(before)})).json()
    versions = (await standin.call("GET", f"{GROUP}/items", params={"format": "versions"})).json()

    assert [i["data"]["title"] for i in changed] == ["Buku baru"]
    assert deleted["items"] == ["BK8SG345"] and deleted["collections"] == []
    assert len(versions) == 16 and "BK8SG345" not in versions


async def test_if_modified_since_version_answers_304(standin: Client) -> None:
    version = str(standin.library.version)

    unchanged = await standin.call("GET", f"{GROUP}/items", headers={"If-Modified-Since-Version": version})
    changed = await standin.call("GET", f"{GROUP}/items", headers={"If-Modified-Since-Version": str(int(version) - 1)})

    assert unchanged.status == 304 and unchanged.headers["Last-Modified-Version"] == version
    assert changed.status == 200


async def test_a_private_library_needs_its_key(standin: Client) -> None:
    missing = await standin.call("GET", f"{GROUP}/items", key=None)
    wrong = await standin.call("GET", f"{GROUP}/items", key="nope")
    bearer = await standin.call("GET", f"{GROUP}/items", key=None, headers={"Authorization": f"Bearer {KEY}"})
    unknown = await standin.call("GET", "/groups/9999/items")

    assert (missing.status, missing.body) == (403, b"Forbidden") and wrong.status == 403
    assert bearer.status == 200 and unknown.status == 404


async def test_item_templates(standin: Client) -> None:
    book = (await standin.call("GET", "/items/new", params={"itemType": "book"})).json()
    bad = await standin.call("GET", "/items/new", params={"itemType": "scroll"})

    assert book["itemType"] == "book" and {"title", "ISBN", "publisher", "creators", "collections"} <= set(book)
    assert "DOI" not in book and bad.status == 400


# --- writes ---------------------------------------------------------------------------


async def test_writes_report_each_object_and_raise_the_version_once(standin: Client) -> None:
    version = standin.library.version
    objects = [
        {"itemType": "book", "title": "Satu", "collections": ["LTNF2345"]},
        {"itemType": "book", "title": "Dua", "DOI": "10.5555/x"},  # a book has no DOI field
        {"itemType": "journalArticle", "title": "Tiga", "collections": ["NOSUCH22"]},
    ]

    reply = await standin.call("POST", f"{GROUP}/items", json=objects, headers={"Zotero-Write-Token": "t" * 32})

    result = reply.json()
    assert reply.status == 200 and reply.headers["Last-Modified-Version"] == str(version + 1)
    assert list(result["success"]) == ["0"] and result["successful"]["0"]["data"]["title"] == "Satu"
    assert result["failed"]["1"]["code"] == 400 and "'DOI' is not a valid field" in result["failed"]["1"]["message"]
    assert result["failed"]["2"]["code"] == 409
    again = await standin.call("POST", f"{GROUP}/items", json=objects[:1], headers={"Zotero-Write-Token": "t" * 32})
    assert (again.status, again.body) == (412, b"Write token already used")


async def test_write_preconditions_and_limits(standin: Client) -> None:
    stale = await standin.call("POST", f"{GROUP}/collections", json=[{"name": "X"}],
                               headers={"If-Unmodified-Since-Version": "1"})
    too_many = await standin.call("POST", f"{GROUP}/items", json=[{"itemType": "book"}] * 51)
    not_array = await standin.call("POST", f"{GROUP}/collections", json={"name": "X"})
    empty_name = (await standin.call("POST", f"{GROUP}/collections", json=[{"name": " "}])).json()

    assert stale.status == 412 and too_many.status == 413 and not_array.status == 400
    assert empty_name["failed"]["0"]["message"] == "Collection name cannot be empty"


async def test_pyzotero_creates_a_collection_fills_it_and_moves_an_item(standin: Client) -> None:
    def write() -> tuple[str, list[Any]]:
        zot = standin.pyzotero()
        created = zot.create_collections([{"name": "Daftar uji"}])["success"]["0"]
        template = zot.item_template("journalArticle")
        template.update(title="Artikel uji", collections=[created])
        zot.create_items([template])
        zot.addto_collection(created, zot.item("BK2SB345"))  # a PATCH with the item's version
        return created, zot.everything(zot.collection_items(created))

    key, items = await asyncio.to_thread(write)

    assert sorted(i["data"]["title"] for i in items) == ["Artikel uji", "Pengantar ilmu perpustakaan"]
    assert standin.library.collections[key]["name"] == "Daftar uji"


async def test_a_patch_with_an_old_version_is_refused(standin: Client) -> None:
    item = standin.library.items["BK2SB345"]

    reply = await standin.call("PATCH", f"{GROUP}/items/BK2SB345", json={"title": "x"},
                               headers={"If-Unmodified-Since-Version": str(item["version"] - 1)})

    assert reply.status == 412 and standin.library.items["BK2SB345"]["title"] == "Pengantar ilmu perpustakaan"


# --- faults ---------------------------------------------------------------------------


async def test_a_429_carries_retry_after_and_a_text_body(standin: Client) -> None:
    await standin.control(status=429, retry_after=3, times=1)

    limited = await standin.call("GET", f"{GROUP}/items")
    after = await standin.call("GET", f"{GROUP}/items")

    assert (limited.status, limited.body, limited.headers["Retry-After"]) == (429, b"Too Many Requests", "3")
    assert limited.headers["Zotero-API-Version"] == "3" and after.status == 200


async def test_a_fault_can_be_aimed_at_writes_only(standin: Client) -> None:
    await standin.control(status=500, match="POST ", times=1)

    read = await standin.call("GET", f"{GROUP}/collections")
    write = await standin.call("POST", f"{GROUP}/collections", json=[{"name": "X"}])
    retry = await standin.call("POST", f"{GROUP}/collections", json=[{"name": "X"}])

    assert (read.status, write.status, retry.status) == (200, 500, 200)
    assert (await standin.stats())[f"POST {GROUP}/collections"] == 2


async def test_pyzoteros_own_write_crashes_on_a_429_text_body(standin: Client) -> None:
    # The bug refbot's client guards against: pyzotero records the back-off, then parses
    # "Too Many Requests" as JSON.
    await standin.control(status=429, retry_after=0, match="POST ", times=1)

    with pytest.raises(json.JSONDecodeError):
        await asyncio.to_thread(standin.pyzotero().create_collections, [{"name": "X"}])


@pytest.mark.parametrize("body", ["truncated", "not-json"])
async def test_broken_bodies(standin: Client, body: str) -> None:
    await standin.control(body=body, times=1)

    reply = await standin.call("GET", f"{GROUP}/items")

    with pytest.raises(ValueError):
        json.loads(reply.body)


async def test_a_slow_answer_and_stopping_early() -> None:
    app = create_zotero_standin()
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/_control", json={"delay": 0.3, "times": 1}) as resp:
            assert resp.status == 200
        started = time.monotonic()
        async with http.get(f"{url}{GROUP}/collections") as resp:
            assert resp.status == 200
        assert time.monotonic() - started >= 0.3
        async with http.post(f"{url}/_control", json={"delay": 60}) as resp:
            assert resp.status == 200
        pending = asyncio.create_task(http.get(f"{url}{GROUP}/collections"))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await runner.cleanup()
        assert time.monotonic() - started < 5
        (await pending).release()


async def test_mounted_under_a_prefix_its_links_keep_the_prefix() -> None:
    service = web.Application()
    service.add_subapp("/sandbox/zotero", create_zotero_standin())
    async with TestServer(service) as server, aiohttp.ClientSession() as http:
        base = str(server.make_url("/sandbox/zotero"))
        async with http.get(f"{base}{GROUP}/items", params={"limit": "10"}) as resp:
            links, page = resp.headers["Link"], await resp.json()

    assert f'<{base}{GROUP}/items?limit=10&start=10>; rel="next"' in links
    assert page[0]["links"]["self"]["href"].startswith(f"{base}{GROUP}/items/")
