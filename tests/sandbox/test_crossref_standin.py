"""The Crossref stand-in over real loopback HTTP: wire format, demo search, replay, faults."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import habanero
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from refbot.sandbox.crossref import create_crossref_standin

RECORDED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "crossref" / "habanero"
DEMO = Path(__file__).resolve().parents[2] / "refbot" / "data" / "crossref_demo.json"


def recorded(name: str = "manifest.json") -> Path:
    path = RECORDED / name
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared real-data folder sits beside the repo)")
    return path


@dataclass
class Reply:
    status: int
    content_type: str
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    url: str
    http: aiohttp.ClientSession

    async def get(self, path: str, params: Any = None) -> Reply:
        async with self.http.get(self.url + path, params=params) as resp:
            return Reply(resp.status, resp.headers.get("Content-Type", ""), resp.headers, await resp.read())

    async def control(self, **fault: Any) -> Reply:
        async with self.http.post(f"{self.url}/_control", json=fault) as resp:
            return Reply(resp.status, resp.content_type, resp.headers, await resp.read())


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def demo(http: aiohttp.ClientSession) -> AsyncIterator[Client]:
    async with TestServer(create_crossref_standin()) as server:
        yield Client(str(server.make_url("")).rstrip("/"), http)


@pytest.fixture
async def replay(http: aiohttp.ClientSession) -> AsyncIterator[Client]:
    async with TestServer(create_crossref_standin(replay_dir=recorded().parent)) as server:
        yield Client(str(server.make_url("")).rstrip("/"), http)


# --- demo mode ------------------------------------------------------------------------


async def test_a_search_answers_with_a_crossref_work_list(demo: Client) -> None:
    reply = await demo.get("/works", {"query": "literasi informasi", "rows": "5"})

    assert (reply.status, reply.content_type) == (200, "application/json")
    body = reply.json()
    assert {k: body[k] for k in ("status", "message-type", "message-version")} == {
        "status": "ok",
        "message-type": "work-list",
        "message-version": "1.0.0",
    }
    message = body["message"]
    assert message["items-per-page"] == 5 and 0 < len(message["items"]) <= 5
    assert message["total-results"] >= len(message["items"])
    assert message["query"] == {"start-index": 0, "search-terms": "literasi informasi"}
    scores = [item["score"] for item in message["items"]]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert all("literasi" in json.dumps(item).lower() for item in message["items"])


async def test_filters_rows_and_offset_are_honoured(demo: Client) -> None:
    params = {"query": "perpustakaan", "filter": "from-pub-date:2018,until-pub-date:2021-06,type:journal-article"}
    everything = (await demo.get("/works", {**params, "rows": "100"})).json()["message"]
    second = (await demo.get("/works", {**params, "rows": "2", "offset": "2"})).json()["message"]

    years = [item["published"]["date-parts"][0][:2] for item in everything["items"]]
    assert everything["items"] and all([2018] <= ym <= [2021, 6] for ym in years)
    assert {item["type"] for item in everything["items"]} == {"journal-article"}
    assert [i["DOI"] for i in second["items"]] == [i["DOI"] for i in everything["items"][2:4]]
    assert second["query"]["start-index"] == 2


async def test_a_repeated_type_filter_means_any_of_them(demo: Client) -> None:
    reply = await demo.get("/works", {"filter": "type:book,type:monograph,type:dissertation", "rows": "50"})

    assert {item["type"] for item in reply.json()["message"]["items"]} == {"book", "monograph", "dissertation"}


async def test_select_keeps_only_the_named_fields(demo: Client) -> None:
    reply = await demo.get("/works", {"query": "minat baca", "select": "DOI,title,score"})

    items = reply.json()["message"]["items"]
    assert items and all(set(item) <= {"DOI", "title", "score"} for item in items)


async def test_one_work_by_doi_and_a_missing_one(demo: Client) -> None:
    found = await demo.get("/works/10.5555/JKN.2020.0455")
    missing = await demo.get("/works/10.5555/no-such-work")

    assert found.status == 200 and found.json()["message-type"] == "work"
    assert found.json()["message"]["DOI"] == "10.5555/jkn.2020.0455" and found.json()["message"]["score"] == 1
    assert (missing.status, missing.content_type, missing.body) == (404, "text/plain", b"Resource not found.")


async def test_journal_routes(demo: Client) -> None:
    listed = (await demo.get("/journals", {"query": "literasi"})).json()
    journal = listed["message"]["items"][0]
    one = await demo.get(f"/journals/{journal['ISSN'][0]}")
    works = (await demo.get(f"/journals/{journal['ISSN'][1]}/works", {"rows": "100"})).json()["message"]

    assert listed["message-type"] == "journal-list" and "Literasi" in journal["title"]
    assert one.json()["message-type"] == "journal" and one.json()["message"] == journal
    assert works["total-results"] == journal["counts"]["total-dois"] == len(works["items"])
    assert all(item["container-title"] == [journal["title"]] for item in works["items"])
    gone = await demo.get("/journals/4444-4444")
    gone_works = await demo.get("/journals/4444-4444/works")
    assert (gone.status, gone.content_type) == (404, "text/plain")
    assert (gone_works.status, gone_works.content_type) == (404, "application/json;charset=utf-8")


@pytest.mark.parametrize(
    ("params", "kind", "value"),
    [
        ({"query": "x", "colour": "red"}, "unknown-parameter", "colour"),
        ({"rows": "many"}, "integer-not-valid", "many"),
        ({"rows": "1001"}, "integer-not-valid", "1001"),
        ({"select": "DOI,language"}, "select-not-available", "language"),
        ({"filter": "from-pub-date:last-year"}, "date-not-valid", "last-year"),
        ({"filter": "type:pamphlet"}, "type-not-valid", "pamphlet"),
        ({"filter": "has-funder:true"}, "filter-not-available", "has-funder"),
        ({"sort": "colour"}, "sort-field-not-valid", "colour"),
        ({"query.flavour": "x"}, "field-query-not-available", "query.flavour"),
    ],
)
async def test_bad_parameters_get_a_validation_failure(
    demo: Client, params: dict[str, str], kind: str, value: str
) -> None:
    reply = await demo.get("/works", params)

    assert (reply.status, reply.content_type) == (400, "application/json;charset=utf-8")
    body = reply.json()
    assert (body["status"], body["message-type"]) == ("failed", "validation-failure")
    assert [(f["type"], f["value"]) for f in body["message"]] == [(kind, value)]


async def test_validation_failures_read_exactly_as_recorded_ones(demo: Client) -> None:
    manifest = json.loads(recorded().read_text("utf-8"))
    cases = [e for e in manifest if e["status"] == 400 and urlsplit(e["url"]).path.startswith(("/works", "/journals"))]

    assert len(cases) >= 5
    for entry in cases:
        url = urlsplit(entry["url"])
        reply = await demo.get(f"{url.path}?{url.query}")
        assert (reply.status, reply.content_type) == (400, entry["content_type"]), entry["url"]
        assert reply.json() == json.loads(recorded(entry["file"]).read_text("utf-8")), entry["url"]


async def test_demo_answers_have_the_shape_of_recorded_real_ones(demo: Client) -> None:
    real = RecordedShapes.load()
    works = (await demo.get("/works", {"query": "literasi", "rows": "100"})).json()
    work = (await demo.get("/works/10.5555/jkn.2020.0455")).json()
    journals = (await demo.get("/journals", {"rows": "100"})).json()

    for answer in (works, work, journals):
        assert set(answer) == real.envelope
    assert set(works["message"]) == real.work_list
    assert set(journals["message"]) == real.journal_list
    for item in [*works["message"]["items"], work["message"]]:
        assert real.always <= set(item) <= set(real.item_types), item["DOI"]
        for key, value in item.items():
            assert type(value).__name__ in real.item_types[key], (item["DOI"], key)
        assert {k for a in item["author"] for k in a} <= real.author_keys
    assert all(set(j) == real.journal_keys for j in journals["message"]["items"])


@dataclass
class RecordedShapes:
    """Keys and value types of the recorded real Crossref answers."""

    envelope: set[str]
    work_list: set[str]
    journal_list: set[str]
    always: set[str]
    item_types: dict[str, set[str]]
    author_keys: set[str]
    journal_keys: set[str]

    @classmethod
    def load(cls) -> RecordedShapes:
        shapes = cls(set(), set(), set(), set(), {}, set(), set())
        full: list[set[str]] = []
        for entry in json.loads(recorded().read_text("utf-8")):
            if entry["message_type"] not in ("work-list", "work", "journal-list") or "select=" in entry["url"]:
                continue
            body = json.loads(recorded(entry["file"]).read_text("utf-8"))
            shapes.envelope |= set(body)
            message = body["message"]
            if entry["message_type"] == "journal-list":
                shapes.journal_list |= set(message)
                shapes.journal_keys |= {k for item in message["items"] for k in item}
                continue
            if entry["message_type"] == "work-list":
                shapes.work_list |= set(message) - {"next-cursor"}  # only when a cursor is asked for
            for item in message["items"] if entry["message_type"] == "work-list" else [message]:
                full.append(set(item))
                for key, value in item.items():
                    shapes.item_types.setdefault(key, set()).add(type(value).__name__)
                shapes.author_keys |= {k for a in item.get("author", []) for k in a}
        shapes.always = set.intersection(*full)
        return shapes


# --- faults, counts, mounting ---------------------------------------------------------


async def test_an_error_status_lasts_the_given_number_of_requests(demo: Client) -> None:
    assert (await demo.control(status=429, retry_after=2, times=2)).status == 200

    replies = [await demo.get("/works", {"query": "minat baca"}) for _ in range(3)]

    assert [r.status for r in replies] == [429, 429, 200]
    assert replies[0].headers["Retry-After"] == "2" and replies[0].body == b"Too Many Requests"
    stats = json.loads((await demo.get("/_stats")).body)
    assert stats["requests"] == {"/works": 3}


async def test_a_delay_holds_the_answer_back(demo: Client) -> None:
    await demo.control(delay=0.3, times=1)

    started = time.monotonic()
    slow = await demo.get("/works/10.5555/jkn.2020.0455")
    held = time.monotonic() - started
    started = time.monotonic()
    await demo.get("/works/10.5555/jkn.2020.0455")

    assert slow.status == 200 and held >= 0.3 and time.monotonic() - started < 0.3


async def test_broken_bodies(demo: Client) -> None:
    whole = (await demo.get("/works", {"query": "minat baca"})).body
    await demo.control(body="truncated", times=1)
    cut = (await demo.get("/works", {"query": "minat baca"})).body
    await demo.control(body="not-json")
    page = await demo.get("/works", {"query": "minat baca"})
    await demo.control()  # an empty fault ends the misbehaviour
    healed = await demo.get("/works", {"query": "minat baca"})

    assert whole.startswith(cut) and len(cut) < len(whole)
    with pytest.raises(ValueError):
        json.loads(cut)
    assert (page.status, page.content_type) == (200, "text/html;charset=utf-8")
    assert healed.body == whole


@pytest.mark.parametrize(
    "fault",
    [{"status": 200}, {"delay": -1}, {"body": "garbled"}, {"times": "twice"}, {"colour": "red"}, {"status": True}],
)
async def test_a_fault_the_stand_in_cannot_act_on_is_refused(demo: Client, fault: dict[str, Any]) -> None:
    reply = await demo.control(**fault)

    assert reply.status == 400 and "error" in reply.json()


async def test_mounted_as_a_sub_app_it_answers_under_the_prefix(http: aiohttp.ClientSession) -> None:
    service = web.Application()
    service.add_subapp("/sandbox/crossref", create_crossref_standin())
    async with TestServer(service) as server:
        client = Client(str(server.make_url("/sandbox/crossref")), http)
        await client.control(status=503, times=1)
        refused = await client.get("/works", {"query": "minat baca"})
        cr = habanero.Crossref(base_url=client.url, timeout=5)
        answer = await asyncio.to_thread(cr.works, query="minat baca", limit=3)
        stats = json.loads((await client.get("/_stats")).body)

    assert refused.status == 503
    assert answer["message-type"] == "work-list" and len(answer["message"]["items"]) == 3
    assert stats["requests"] == {"/works": 2}


async def test_stopping_does_not_wait_out_a_delay(http: aiohttp.ClientSession) -> None:
    runner = web.AppRunner(create_crossref_standin(), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with http.post(f"{url}/_control", json={"delay": 60}) as resp:
        assert resp.status == 200
    pending = asyncio.create_task(http.get(f"{url}/works"))
    await asyncio.sleep(0.2)

    started = time.monotonic()
    await runner.cleanup()

    assert time.monotonic() - started < 5
    (await pending).release()


# --- replay mode ----------------------------------------------------------------------


async def test_habanero_gets_the_recorded_answer_back(replay: Client) -> None:
    cr = habanero.Crossref(base_url=replay.url, mailto="librarian@example.org", timeout=5)

    answer = await asyncio.to_thread(cr.works, query="ecology", limit=2)

    assert answer == json.loads(recorded("test-works__test_works_query__0.json").read_text("utf-8"))


async def test_replay_ignores_parameter_order_and_mailto(replay: Client) -> None:
    reply = await replay.get("/works", [("rows", "2"), ("mailto", "x@example.org"), ("query", "ecology")])

    assert reply.status == 200
    assert reply.body == recorded("test-works__test_works_query__0.json").read_bytes()


async def test_replay_serves_recorded_errors_as_recorded(replay: Client) -> None:
    missing = await replay.get("/works/10.1371/notarealdoi")
    invalid = await replay.get("/journals", {"rows": "things"})

    assert (missing.status, missing.content_type, missing.body) == (404, "text/plain", b"Resource not found.")
    assert (invalid.status, invalid.content_type) == (400, "application/json;charset=utf-8")
    assert invalid.body == recorded("test-journals__test_journals_fail_limit__0.json").read_bytes()


async def test_one_url_recorded_twice_answers_in_recorded_order(replay: Client) -> None:
    first = await replay.get("/works", {"query": "widget", "cursor": "*"})
    second = await replay.get("/works", {"query": "widget", "cursor": "*"})

    assert first.body == recorded("test-cursor__test_cursor__0.json").read_bytes()
    assert second.body == recorded("test-cursor__test_cursor_max__0.json").read_bytes()


async def test_replay_says_when_nothing_was_recorded(replay: Client) -> None:
    reply = await replay.get("/works", {"query": "never asked"})

    assert reply.status == 404 and reply.headers["X-Refbot-Standin"] == "no recording"


# --- the bundled demo data ------------------------------------------------------------


def test_the_demo_fixture_is_plausible_and_invents_no_real_doi() -> None:
    items = json.loads(DEMO.read_text("utf-8"))["items"]

    dois = [item["DOI"] for item in items]
    years = [item["issued"]["date-parts"][0][0] for item in items]
    assert 50 <= len(items) <= 80 and len(set(dois)) == len(dois)
    assert all(doi.startswith("10.5555/") for doi in dois)
    assert min(years) == 2005 and max(years) == 2026
    assert {item["language"] for item in items} == {"en", "id"}
    assert {"journal-article", "book", "book-chapter", "proceedings-article", "dissertation"} <= {
        item["type"] for item in items
    }


def test_a_fixture_and_a_replay_directory_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        create_crossref_standin(fixture=DEMO, replay_dir=tmp_path)


async def test_every_answer_states_crossrefs_rate_limit_and_a_fault_can_change_it(demo: Client) -> None:
    plain = await demo.get("/works", {"query": "minat baca"})
    await demo.control(status=429, retry_after=1, headers={"X-Rate-Limit-Limit": "5"}, times=1)
    limited = await demo.get("/works", {"query": "minat baca"})
    missing = await demo.get("/works/10.5555/no-such-work")

    assert (plain.headers["X-Rate-Limit-Limit"], plain.headers["X-Rate-Limit-Interval"]) == ("50", "1s")
    assert (limited.status, limited.headers["X-Rate-Limit-Limit"], limited.headers["Retry-After"]) == (429, "5", "1")
    assert missing.headers["X-Rate-Limit-Limit"] == "50"


async def test_a_fault_can_be_aimed_at_one_route(demo: Client) -> None:
    await demo.control(status=500, match="/journals", times=1)

    works = await demo.get("/works", {"query": "minat baca"})
    journal = await demo.get("/journals/2301-5578")
    again = await demo.get("/journals/2301-5578")

    assert (works.status, journal.status, again.status) == (200, 500, 200)
