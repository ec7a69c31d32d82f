"""Journal questions: an ISSN or "jurnal … terakreditasi" gets journal records, kind ``journal``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.crossref import issn_is_valid, issns_in, plan, wants_journals
from refbot.models import InformationNeed, Kind
from refbot.pipeline.parse import parse_need
from refbot.sandbox.crossref import create_crossref_standin
from tests.connectors.crossref_support import RECORDED, Standin


def parsed(text: str) -> InformationNeed:
    return parse_need(text, "id", current_year=2025)


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with TestServer(create_crossref_standin()) as server, aiohttp.ClientSession() as http:
        yield Standin(str(server.make_url("")).rstrip("/"), http)


@pytest.mark.parametrize(
    ("text", "issns"),
    [
        ("is this journal legit: 2301-5578", ("2301-5578",)),
        ("apakah jurnal ISSN 2548771x terakreditasi?", ("2548-771X",)),
        ("jurnal 2301-5578 dan 2187-445X", ("2301-5578", "2187-445X")),
        ("terbitan 2019-2020 saja", ()),  # a year range, and its check digit is wrong anyway
        ("hubungi 0812-3456 ya", ()),
        ("nomor 23015578", ()),  # eight digits count only when the patron says ISSN
        ("ISSN 2301-5579", ()),  # wrong check digit
    ],
)
def test_issns_are_found_with_their_check_digit(text: str, issns: tuple[str, ...]) -> None:
    assert issns_in(text) == issns


def test_check_digits() -> None:
    assert issn_is_valid("0317-8471") and issn_is_valid("2049-6117") and issn_is_valid("2548-771X")
    assert not issn_is_valid("0317-8472") and not issn_is_valid("12345678")


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("jurnal tentang perpustakaan terakreditasi", True),
        ("jurnal perpustakaan yang terindeks sinta", True),
        ("daftar jurnal ilmu perpustakaan", True),
        ("which journals publish on information literacy?", True),
        ("jurnal tentang literasi informasi", False),  # articles, as patrons mean it
        ("perpustakaan terakreditasi A", False),  # about accredited libraries, not journals
    ],
)
def test_journal_questions_are_told_from_article_questions(text: str, wanted: bool) -> None:
    assert wants_journals(parsed(text)) is wanted


def test_the_plan_for_an_issn_is_journal_lookups_only() -> None:
    calls = plan(parsed("is this journal legit: 2301-5578"), 20)

    assert calls.issns == ("2301-5578",) and calls.works is None and calls.journal_search is None


def test_the_plan_for_a_journal_question_searches_journals_and_works_without_the_cue_words() -> None:
    calls = plan(parsed("jurnal tentang perpustakaan terakreditasi"), 20)

    assert calls.journal_search is not None and calls.journal_search.text == "perpustakaan"
    assert calls.works is not None and calls.works.text == "perpustakaan"
    assert plan(parsed("jurnal tentang perpustakaan terakreditasi"), 20, journals=False).journal_search is None


async def test_an_issn_gets_the_journal_with_its_recent_dois(standin: Standin) -> None:
    found = await standin.source().search(parsed("is this journal legit: 2548-771X"), 10)

    [journal] = found
    assert journal.kind is Kind.JOURNAL and journal.title == "Jurnal Kepustakawanan Nusantara"
    assert journal.issn == ("2301-5578", "2548-771X") and journal.source_id == "issn:2301-5578"
    assert journal.url == "https://portal.issn.org/resource/ISSN/2301-5578"
    assert "Registered with Crossref" in journal.abstract and "recent: 10.5555/jkn." in journal.abstract
    assert await standin.requests() == {"/journals/2548-771X": 1, "/journals/2548-771X/works": 1}


async def test_an_issn_crossref_does_not_know_is_no_candidate_and_no_error(standin: Standin) -> None:
    source = standin.source()

    assert await source.search(parsed("is this journal legit: 0317-8471"), 10) == []


async def test_a_journal_question_lists_journals_first_then_articles(standin: Standin) -> None:
    found = await standin.source().search(parsed("jurnal tentang literasi informasi yang terakreditasi"), 10)

    kinds = [c.kind for c in found]
    assert kinds[0] is Kind.JOURNAL and Kind.ARTICLE in kinds
    assert kinds == sorted(kinds, key=lambda k: k is not Kind.JOURNAL)
    assert [c.source_rank for c in found] == list(range(1, len(found) + 1))
    assert all("literasi" in c.title.lower() for c in found if c.kind is Kind.JOURNAL)
    assert set(await standin.requests()) == {"/journals", "/works"}


async def test_a_recorded_real_journal_is_read_in_replay() -> None:
    if not (RECORDED / "manifest.json").exists():
        pytest.skip(f"{RECORDED} is not present")
    async with TestServer(create_crossref_standin(replay_dir=RECORDED)) as server, aiohttp.ClientSession() as http:
        standin = Standin(str(server.make_url("")).rstrip("/"), http)
        [journal] = await standin.source().search(parsed("is this journal legit? ISSN 1803-2427"), 5)

    assert journal.title == "Journal of Landscape Ecology" and journal.publisher == "De Gruyter Poland Sp. z o.o."
    assert journal.issn == ("1803-2427", "1805-4196") and "356 DOIs" in journal.abstract
