"""Credibility signals on Crossref works: retractions, corrections, concerns, open access, citations."""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.crossref import Notice, best_link, is_retracted, notices, open_access, work_to_candidate
from refbot.sandbox.crossref import create_crossref_standin
from tests.connectors.crossref_support import RECORDED, Standin, need

# The metadata of a real retracted work, in the shape Crossref's REST API gives it today:
# Wakefield et al. (1998), The Lancet, retracted in 2010. Since Crossref took over Retraction
# Watch's database, its notices arrive in `updated-by` with "source": "retraction-watch" (here a
# 2004 partial retraction typed as a correction, then the retraction), and the title carries
# the "RETRACTED:" prefix the publisher added.
WAKEFIELD: dict[str, Any] = {
    "DOI": "10.1016/S0140-6736(97)11096-0",
    "type": "journal-article",
    "title": [
        "RETRACTED: Ileal-lymphoid-nodular hyperplasia, non-specific colitis, and pervasive developmental "
        "disorder in children"
    ],
    "author": [
        {"given": "AJ", "family": "Wakefield", "sequence": "first"},
        {"given": "SH", "family": "Murch", "sequence": "additional"},
        {"given": "A", "family": "Anthony", "sequence": "additional"},
    ],
    "container-title": ["The Lancet"],
    "publisher": "Elsevier BV",
    "ISSN": ["0140-6736"],
    "volume": "351",
    "issue": "9103",
    "page": "637-641",
    "published": {"date-parts": [[1998, 2]]},
    "is-referenced-by-count": 2371,
    "license": [
        {"URL": "https://www.elsevier.com/tdm/userlicense/1.0/", "content-version": "tdm",
         "delay-in-days": 0, "start": {"date-parts": [[1998, 2, 1]]}},
    ],
    "updated-by": [
        {"DOI": "10.1016/s0140-6736(04)15715-2", "type": "correction", "label": "Correction",
         "source": "retraction-watch", "updated": {"date-parts": [[2004, 3, 6]], "date-time": "2004-03-06T00:00:00Z"},
         "record-id": "17269"},
        {"DOI": "10.1016/s0140-6736(10)60175-4", "type": "retraction", "label": "Retraction",
         "source": "retraction-watch", "updated": {"date-parts": [[2010, 2, 6]], "date-time": "2010-02-06T00:00:00Z"},
         "record-id": "4036"},
    ],
}

CC_BY = "https://creativecommons.org/licenses/by/4.0/"
TODAY = datetime.date(2025, 6, 1)


def test_a_real_retracted_work_is_flagged_with_both_notices() -> None:
    c = work_to_candidate(WAKEFIELD, 1)

    assert c.retracted and not c.open_access and c.citations == 2371
    assert notices(WAKEFIELD) == (
        Notice("correction", "correction", "10.1016/s0140-6736(04)15715-2", "2004-03-06", "retraction-watch"),
        Notice("retraction", "retraction", "10.1016/s0140-6736(10)60175-4", "2010-02-06", "retraction-watch"),
    )
    assert notices(WAKEFIELD)[1].describe() == "retraction 10.1016/s0140-6736(10)60175-4 (2010-02-06, retraction-watch)"


def test_the_retraction_is_found_without_the_title_prefix_too() -> None:
    plain_title = {**WAKEFIELD, "title": ["Ileal-lymphoid-nodular hyperplasia"]}
    no_updates = {k: v for k, v in WAKEFIELD.items() if k != "updated-by"}

    assert is_retracted(plain_title)
    assert is_retracted(no_updates) and notices(no_updates) == (Notice("retraction", "retraction", source="title"),)


def test_a_retraction_notice_is_itself_never_recommended() -> None:
    notice = {"DOI": "10.1016/S0140-6736(10)60175-4", "title": ["Retraction—Ileal-lymphoid-nodular hyperplasia"],
              "update-to": [{"DOI": "10.1016/s0140-6736(97)11096-0", "type": "retraction", "source": "publisher"}]}

    [n] = notices(notice)
    assert is_retracted(notice) and not n.about_this
    assert n.describe() == "this is a retraction notice 10.1016/s0140-6736(97)11096-0 (publisher)"


@pytest.mark.parametrize(
    ("update_type", "kind"),
    [("expression_of_concern", "concern"), ("expression-of-concern", "concern"), ("erratum", "correction"),
     ("corrigendum", "correction"), ("partial_retraction", "retraction"), ("removal", "retraction"),
     ("new_version", None)],
)
def test_update_types_are_read_for_what_they_mean(update_type: str, kind: str | None) -> None:
    item = {"title": ["A study"], "updated-by": [{"type": update_type, "DOI": "10.5555/n"}]}

    assert [n.kind for n in notices(item)] == ([kind] if kind else [])
    assert is_retracted(item) == (kind == "retraction")


def test_a_recorded_plos_correction_is_a_correction_not_a_retraction() -> None:
    path = RECORDED / "test-settings__test_no_ua_string__0.json"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    work = json.loads(path.read_text("utf-8"))["message"]

    [n] = notices(work)
    assert (n.kind, n.source, n.about_this) == ("correction", "publisher", True)
    assert not work_to_candidate(work, 1).retracted


@pytest.mark.parametrize(
    ("licence", "expected"),
    [
        ({"URL": CC_BY, "content-version": "vor", "start": {"date-parts": [[2020, 1, 1]]}}, True),
        ({"URL": CC_BY, "content-version": "am"}, True),
        ({"URL": "http://creativecommons.org/licenses/by-nc/4.0/", "content-version": "unspecified"}, True),
        ({"URL": CC_BY, "content-version": "vor", "start": {"date-parts": [[2026, 1, 1]]}}, False),  # embargo
        ({"URL": CC_BY, "content-version": "tdm"}, False),  # for text mining only
        ({"URL": "http://www.springer.com/tdm", "content-version": "vor"}, False),
    ],
)
def test_open_access_needs_a_cc_licence_on_a_readable_version_in_force(licence: dict[str, Any], expected: bool) -> None:
    assert open_access({"license": [licence]}, TODAY) is expected


def test_the_best_link_is_the_open_full_text_else_the_landing_page() -> None:
    item = {
        "resource": {"primary": {"URL": "https://journal.example/article/7"}},
        "link": [
            {"URL": "https://journal.example/7.xml", "content-type": "application/xml", "content-version": "vor"},
            {"URL": "https://journal.example/7.html", "content-type": "text/html", "content-version": "vor"},
            {"URL": "https://journal.example/7.pdf", "content-type": "application/pdf", "content-version": "vor"},
        ],
    }

    assert best_link(item, opened=True) == "https://journal.example/7.pdf"
    assert best_link(item, opened=False) == "https://journal.example/article/7"
    assert best_link({"link": item["link"][:1]}, opened=True) == "https://journal.example/7.xml"


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with TestServer(create_crossref_standin()) as server, aiohttp.ClientSession() as http:
        yield Standin(str(server.make_url("")).rstrip("/"), http)


async def test_a_search_flags_the_retracted_article_and_its_notice(standin: Standin) -> None:
    found = await standin.source().search(need("literasi", "informasi", "prestasi", "akademik"), 20)

    by_doi = {c.doi: c for c in found}
    assert by_doi["10.5555/bli.2017.0120"].retracted  # retracted by the notice below
    assert by_doi["10.5555/bli.2019.0077"].retracted  # the notice itself
    assert sum(c.retracted for c in found) == 2
    assert all(c.citations is not None for c in found)
