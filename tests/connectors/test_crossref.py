"""CrossrefSource against the Crossref stand-in over real loopback HTTP, and work_to_candidate
against every recorded real Crossref answer."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.crossref import (
    READABLE_TYPES,
    CrossrefSource,
    build_query,
    candidates_from,
    is_readable,
    journal_to_candidate,
    notices,
    parse_retry_after,
    strip_markup,
    work_to_candidate,
)
from refbot.config import CrossrefSettings
from refbot.errors import SourceError, SourceTimeout
from refbot.models import Candidate, InformationNeed, Kind
from refbot.sandbox.crossref import create_crossref_standin
from tests.connectors.crossref_support import FAST_RETRY, RECORDED, Standin, need


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with TestServer(create_crossref_standin()) as server, aiohttp.ClientSession() as http:
        yield Standin(str(server.make_url("")).rstrip("/"), http)


# --- the source over HTTP -------------------------------------------------------------


async def test_search_turns_works_into_candidates(standin: Standin) -> None:
    found = await standin.source().search(need("literasi", "informasi", "mahasiswa"), 5)

    assert 0 < len(found) <= 5
    assert all(isinstance(c, Candidate) and c.source == "crossref" for c in found)
    assert [c.source_rank for c in found] == list(range(1, len(found) + 1))
    assert [c.source_score for c in found] == sorted((c.source_score for c in found), reverse=True)
    first = found[0]
    assert first.doi.startswith("10.5555/") and first.doi_url.endswith(first.doi)
    assert "literasi informasi" in first.title.lower()
    assert first.authors and "," in first.authors[0]
    assert first.year and first.container and first.issn and first.abstract
    assert "<" not in first.abstract


async def test_year_and_kind_filters_reach_the_server(standin: Standin) -> None:
    wanted = need("literasi", "informasi", year_from=2015, year_to=2020, kinds=frozenset({Kind.ARTICLE}))

    found = await standin.source().search(wanted, 20)

    sent = dict((await standin.stats())["last"]["params"])
    assert sent["filter"] == "from-pub-date:2015-01-01,until-pub-date:2020-12-31,type:journal-article"
    assert sent["query.bibliographic"] == "literasi informasi"
    assert sent["rows"] == "20"
    assert "language" not in sent["select"].split(",")  # Crossref refuses it in select
    assert found and all(2015 <= (c.year or 0) <= 2020 and c.kind is Kind.ARTICLE for c in found)


async def test_a_thesis_request_asks_for_dissertations(standin: Standin) -> None:
    found = await standin.source().search(need("literasi", "kesehatan", kinds=frozenset({Kind.THESIS})), 10)

    assert [c.kind for c in found] == [Kind.THESIS]
    assert dict((await standin.stats())["last"]["params"])["filter"] == "type:dissertation"


async def test_a_need_without_words_asks_crossref_nothing(standin: Standin) -> None:
    assert await standin.source().search(InformationNeed(raw="tolong ya"), 5) == []
    assert (await standin.stats())["requests"] == {}


async def test_nothing_listening_is_a_clear_source_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = CrossrefSource(CrossrefSettings(base_url=f"http://127.0.0.1:{port}", timeout=3.0), retry=FAST_RETRY)

    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        await source.search(need("minat", "baca"), 5)

    assert not isinstance(caught.value, SourceTimeout)
    assert caught.value.reason == "Crossref could not be reached (connection refused)"
    assert caught.value.source == "crossref"
    assert time.monotonic() - started < 2.0


async def test_a_slow_crossref_times_out_within_the_budget(standin: Standin) -> None:
    await standin.fault(delay=10)

    started = time.monotonic()
    with pytest.raises(SourceTimeout) as caught:
        await standin.source(timeout=0.5).search(need("minat", "baca"), 5)

    assert time.monotonic() - started < 1.5
    assert caught.value.reason == "Crossref did not answer within 0.5 s"


async def test_a_503_is_retried_and_the_search_recovers(standin: Standin) -> None:
    await standin.fault(status=503, times=1)

    found = await standin.source().search(need("minat", "baca"), 5)

    assert found
    assert (await standin.stats())["requests"] == {"/works": 2}


async def test_a_lasting_503_is_reported_with_its_status(standin: Standin) -> None:
    await standin.fault(status=503)

    with pytest.raises(SourceError) as caught:
        await standin.source().search(need("minat", "baca"), 5)

    assert not isinstance(caught.value, SourceTimeout)
    assert caught.value.reason == "Crossref answered 503"
    assert (await standin.stats())["requests"] == {"/works": FAST_RETRY.attempts}


async def test_a_429_retry_after_is_waited_out(standin: Standin) -> None:
    await standin.fault(status=429, retry_after=1, times=1)

    started = time.monotonic()
    found = await standin.source().search(need("minat", "baca"), 5)

    assert found
    assert time.monotonic() - started >= 1.0
    assert (await standin.stats())["requests"] == {"/works": 2}


async def test_a_429_asking_for_longer_than_the_budget_fails_at_once(standin: Standin) -> None:
    await standin.fault(status=429, retry_after=30, times=1)

    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        await standin.source(timeout=3.0).search(need("minat", "baca"), 5)

    assert time.monotonic() - started < 1.0
    assert caught.value.reason == "Crossref is limiting how fast refbot may ask (429); it asked to wait 30 s"


@pytest.mark.parametrize("body", ["not-json", "truncated"])
async def test_a_body_that_is_not_json_is_a_source_error_and_not_retried(standin: Standin, body: str) -> None:
    await standin.fault(body=body, times=1)

    with pytest.raises(SourceError) as caught:
        await standin.source().search(need("minat", "baca"), 5)

    assert caught.value.reason == "Crossref answered with something that is not JSON"
    assert (await standin.stats())["requests"] == {"/works": 1}


async def test_the_stand_in_mounted_under_a_prefix_is_a_working_base_url() -> None:
    service = web.Application()
    service.add_subapp("/sandbox/crossref", create_crossref_standin())
    async with TestServer(service) as server:
        base = str(server.make_url("/sandbox/crossref/"))  # a trailing slash must not matter
        source = CrossrefSource(CrossrefSettings(base_url=base, timeout=3.0))
        found = await source.search(need("perpustakaan", "digital"), 3)

    assert found and all(c.doi.startswith("10.5555/") for c in found)


# --- building the query ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kinds", "types"),
    [
        ({Kind.ARTICLE}, ["journal-article"]),
        ({Kind.JOURNAL}, ["journal-article"]),  # "jurnal" means articles to a patron
        ({Kind.BOOK}, ["book", "edited-book", "monograph", "reference-book"]),
        ({Kind.THESIS, Kind.PROCEEDINGS}, ["dissertation", "proceedings-article"]),
        # a kind Crossref cannot name, or none: every type a reading list can hold
        ({Kind.BOOK, Kind.OTHER}, sorted(READABLE_TYPES)),
        (set(), sorted(READABLE_TYPES)),
    ],
)
def test_wanted_kinds_become_crossref_types(kinds: set[Kind], types: list[str]) -> None:
    query = build_query(need("x", kinds=frozenset(kinds)), 10)

    assert query is not None
    assert [v for k, v in query.filters if k == "type"] == types


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past


# --- work_to_candidate ----------------------------------------------------------------

FULL_ITEM: dict[str, Any] = {
    "DOI": "10.5555/ABC.123",
    "type": "book-chapter",
    "title": ["Reading <i>Interest</i> &amp; Habits"],
    "subtitle": ["A Survey"],
    "author": [{"given": "Dewi", "family": "Rahmawati"}, {"family": "Sukarni"}, {"name": "Tim Literasi"}, {}],
    "published-online": {"date-parts": [[2019, 5]]},
    "issued": {"date-parts": [[2018]]},
    "container-title": ["Bunga Rampai Literasi"],
    "publisher": "Penerbit Cendana",
    "ISSN": ["1234-5678", "1234-5678"],
    "ISBN": ["9786020000000"],
    "abstract": "<jats:title>Abstract</jats:title><jats:p>Students read &lt;more&gt;\n  than before.</jats:p>",
    "subject": ["Education"],
    "language": "EN",
    "is-referenced-by-count": 12,
    "license": [{"URL": "http://www.springer.com/tdm"}, {"URL": "https://creativecommons.org/licenses/by/4.0/"}],
    "link": [{"URL": "https://x.example/tdm.pdf", "intended-application": "text-mining"}],
    "score": 17.5,
}


def test_a_full_work_item_fills_every_field() -> None:
    c = work_to_candidate(FULL_ITEM, 3)

    assert c == Candidate(
        source="crossref",
        source_id="10.5555/abc.123",
        kind=Kind.CHAPTER,
        title="Reading Interest & Habits: A Survey",
        authors=("Rahmawati, Dewi", "Sukarni", "Tim Literasi"),
        year=2019,
        container="Bunga Rampai Literasi",
        publisher="Penerbit Cendana",
        isbn=("9786020000000",),
        issn=("1234-5678",),
        doi="10.5555/abc.123",
        url="https://x.example/tdm.pdf",
        abstract="Students read <more> than before.",
        subjects=("Education",),
        language="en",
        open_access=True,
        citations=12,
        source_score=17.5,
        source_rank=3,
    )


def test_the_landing_page_is_preferred_to_a_crawler_link() -> None:
    item = {**FULL_ITEM, "resource": {"primary": {"URL": "https://publisher.example/view/1"}}}

    assert work_to_candidate(item, 1).url == "https://publisher.example/view/1"


@pytest.mark.parametrize(
    "item",
    [
        {},
        {"title": "a bare string", "author": "nobody", "ISSN": "1234-5678", "license": "cc"},
        {"title": [], "issued": {"date-parts": [[None]]}, "published": {"date-parts": []}, "score": "high"},
        {"author": [{"sequence": "additional"}], "is-referenced-by-count": True, "subject": [None, 3]},
        {"published": None, "resource": {"primary": None}, "link": [None, {"URL": 5}], "relation": []},
    ],
)
def test_odd_or_missing_fields_never_break_conversion(item: dict[str, Any]) -> None:
    c = work_to_candidate(item, 1)

    assert c.source == "crossref" and c.kind is Kind.OTHER and c.year is None and c.citations is None


def test_years_come_from_published_then_print_online_issued() -> None:
    def year(**dates: list[list[Any]]) -> int | None:
        return work_to_candidate({k.replace("_", "-"): {"date-parts": v} for k, v in dates.items()}, 1).year

    assert year(published=[[2021]], issued=[[2019]]) == 2021
    assert year(published_print=[[2020, 3]], published_online=[[2019, 12]]) == 2020
    assert year(published=[[None]], published_online=[[2018, 1, 2]]) == 2018
    assert year(issued=[["2017"]]) == 2017


@pytest.mark.parametrize(
    "marks",
    [
        {"updated-by": [{"type": "retraction", "DOI": "10.5555/notice"}]},
        {"update-to": [{"type": "retraction", "DOI": "10.5555/original"}]},
        {"updated-by": [{"type": "withdrawal"}]},
        {"relation": {"is-retracted-by": [{"id": "10.5555/notice"}]}},
        {"title": ["RETRACTED: Social media and reading"]},
    ],
)
def test_retractions_are_flagged(marks: dict[str, Any]) -> None:
    assert work_to_candidate({"title": ["A study"], **marks}, 1).retracted


def test_a_correction_is_not_a_retraction() -> None:
    item = {"title": ["A study"], "updated-by": [{"type": "correction"}], "relation": {"correction": []}}

    assert not work_to_candidate(item, 1).retracted


def test_markup_is_stripped_from_abstracts() -> None:
    assert strip_markup("<jats:sec><jats:title>Abstrak</jats:title><jats:p>Isi &amp; hasil</jats:p></jats:sec>") == (
        "Isi & hasil"
    )


def recorded_items() -> list[tuple[str, dict[str, Any]]]:
    if not (RECORDED / "manifest.json").exists():
        pytest.skip(f"{RECORDED} is not present (the shared real-data folder sits beside the repo)")
    manifest = json.loads((RECORDED / "manifest.json").read_text("utf-8"))
    out: list[tuple[str, dict[str, Any]]] = []
    for entry in manifest:
        if entry["message_type"] not in ("work-list", "work", "journal-list", "journal"):
            continue
        message = json.loads((RECORDED / entry["file"]).read_text("utf-8"))["message"]
        items = message["items"] if entry["message_type"].endswith("-list") else [message]
        out.extend((entry["message_type"], item) for item in items)
    return out


def test_every_recorded_crossref_answer_converts() -> None:
    items = recorded_items()

    candidates = [(kind, item, work_to_candidate(item, rank)) for rank, (kind, item) in enumerate(items, 1)]

    works = [(item, c) for kind, item, c in candidates if kind.startswith("work")]
    assert len(works) > 600 and len(candidates) > len(works)
    for item, c in works:
        assert c.doi == item["DOI"].lower()
        assert c.year is None or 1600 <= c.year <= 2030
        assert "<jats" not in c.abstract and "<jats" not in c.title
        if item.get("type") == "journal-article":
            assert c.kind is Kind.ARTICLE
    assert sum(c.open_access for _, c in works) > 100
    assert sum(bool(c.authors) for _, c in works) > 400
    assert all(c.title for kind, _, c in candidates if kind.startswith("journal"))


def test_every_recorded_journal_answer_becomes_a_journal_candidate() -> None:
    journals = [item for kind, item in recorded_items() if kind.startswith("journal")]

    candidates = [journal_to_candidate(item, rank) for rank, item in enumerate(journals, 1)]

    assert len(candidates) >= 4
    for item, c in zip(journals, candidates, strict=True):
        assert c.kind is Kind.JOURNAL and c.title == item["title"] and c.issn == tuple(item["ISSN"])
        assert c.source_id == f"issn:{item['ISSN'][0]}" and c.url.endswith(item["ISSN"][0])
        assert f"{item['counts']['total-dois']} DOIs" in c.abstract
        assert c.year is not None and 1900 <= c.year <= 2030


def test_every_recorded_work_list_parses_whole() -> None:
    if not (RECORDED / "manifest.json").exists():
        pytest.skip(f"{RECORDED} is not present")
    manifest = json.loads((RECORDED / "manifest.json").read_text("utf-8"))
    lists = [e for e in manifest if e["message_type"] == "work-list"]

    for entry in lists:
        body = json.loads((RECORDED / entry["file"]).read_text("utf-8"))
        found = candidates_from(body, 1000)
        wanted = [i for i in body["message"]["items"] if (i.get("title") or i.get("DOI")) and is_readable(i)]
        assert len(found) == len(wanted)
        for item in body["message"]["items"]:
            assert all(n.kind in ("retraction", "correction", "concern") for n in notices(item))
    assert len(lists) >= 40
