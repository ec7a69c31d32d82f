"""Crossref's markup and record types: titles and abstracts read as plain text, and only works a
patron can read become candidates. Small hand-made items shaped like real ``/works`` items, then
the recorded real answers when the shared data folder is present."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.crossref import (
    READABLE_TYPES,
    build_query,
    candidates_from,
    is_readable,
    strip_markup,
    work_to_candidate,
)
from refbot.models import Kind
from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.crossref.rules import WORK_TYPES
from tests.connectors.crossref_support import RECORDED, Standin, need


def work(doi: str, **fields: Any) -> dict[str, Any]:
    """A /works item as Crossref sends it: lists for titles, a type, a DOI."""
    return {"DOI": doi, "type": "journal-article", "title": [f"Work {doi}"], "publisher": "Wiley", **fields}


def work_list(*items: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok", "message-type": "work-list", "message": {"total-results": len(items), "items": list(items)}}


# --- 7: escaped markup ----------------------------------------------------------------


def test_escaped_markup_in_a_title_is_removed_not_revealed() -> None:
    item = work(
        "10.1002/adfm.1",
        title=["&lt;scp&gt;Dual‐input&lt;/scp&gt; control of &lt;i&gt;in situ&lt;/i&gt; growth"],
        subtitle=["&lt;scp&gt;A&lt;/scp&gt; review"],
    )

    assert work_to_candidate(item, 1).title == "Dual‐input control of in situ growth: A review"


def test_a_subtitle_inside_the_title_is_set_off_with_a_colon() -> None:
    item = work("10.1002/x.2", title=["Reading habits&lt;subtitle&gt;A survey of students&lt;/subtitle&gt;"])

    assert work_to_candidate(item, 1).title == "Reading habits: A survey of students"


def test_doubly_escaped_markup_and_entities_are_decoded() -> None:
    assert strip_markup("AT&amp;amp;T &amp;lt;i&amp;gt;and&amp;lt;/i&amp;gt; us") == "AT&T and us"


def test_an_escaped_bracket_that_is_no_tag_stays_text() -> None:
    assert strip_markup("Students read &lt;more&gt; when p &lt; 0.05 and a&lt;b") == (
        "Students read <more> when p < 0.05 and a<b"
    )


# --- 8: inline tags join, block tags part -------------------------------------------------


@pytest.mark.parametrize(
    ("title", "plain"),
    [
        ("Ferroelectric BiFeO<sub>3</sub> thin films", "Ferroelectric BiFeO3 thin films"),
        ("Al<sub>2</sub>O<sub>3</sub> coatings", "Al2O3 coatings"),
        ("&lt;sup&gt;18&lt;/sup&gt;F-FDG PET", "18F-FDG PET"),
        ("Growth of <i>Arundo donax</i>: a field experiment", "Growth of Arundo donax: a field experiment"),
        ("<i>Bregmaceros</i>-like fishes of <I>Hainan</I>'s coast", "Bregmaceros-like fishes of Hainan's coast"),
        ("Two new species of\n        <i>Primulina</i>\n        (Gesneriaceae)", "Two new species of Primulina (Gesneriaceae)"),
        ("Are giant clams (\n   <i>Tridacna maxima</i>\n   ) distractible?", "Are giant clams (Tridacna maxima) distractible?"),
        ("The <scp>AI</scp> footprint of <span class='x'>R</span>", "The AI footprint of R"),
        ("Heat <i>c</i><sub><i>p</i></sub> – <i>C</i><sub><i>v</i></sub>", "Heat cp – Cv"),
        ("E = <mml:math><mml:mi>m</mml:mi><mml:msup><mml:mi>c</mml:mi><mml:mn>2</mml:mn></mml:msup></mml:math>",
         "E = mc2"),
        ("using .NET with <b>C#</b>", "using .NET with C#"),
    ],
)
def test_inline_tags_join_what_they_touch(title: str, plain: str) -> None:
    assert work_to_candidate(work("10.5555/t", title=[title]), 1).title == plain


def test_block_tags_part_what_they_hold() -> None:
    abstract = (
        "<jats:p>First paragraph.</jats:p><jats:p>Second<jats:italic>ly</jats:italic> one</jats:p>"
        "<jats:list><jats:list-item><jats:p>item one</jats:p></jats:list-item>"
        "<jats:list-item><jats:p>item two</jats:p></jats:list-item></jats:list>line<br/>break<p>end</p>"
    )

    assert work_to_candidate(work("10.5555/b", abstract=abstract), 1).abstract == (
        "First paragraph. Secondly one item one item two line break end"
    )


# --- 10: JATS section headings ---------------------------------------------------------


def test_section_headings_are_set_off_from_their_text() -> None:
    abstract = (
        "<jats:title>Abstract</jats:title>\n  <jats:sec>\n    <jats:title>Background</jats:title>\n"
        "    <jats:p>Circadian rhythms shape sleep.</jats:p>\n  </jats:sec>\n"
        "  <jats:sec><jats:title>Methods</jats:title><jats:p>We asked 40 nurses.</jats:p></jats:sec>"
        "<jats:sec><jats:title><jats:bold>Results:</jats:bold></jats:title><jats:p>Most slept less.</jats:p></jats:sec>"
        "<jats:sec><jats:title>Why?</jats:title><jats:p>Shifts.</jats:p></jats:sec>"
        "<jats:sec><jats:title>Empty</jats:title></jats:sec>"
    )

    assert work_to_candidate(work("10.5555/h", abstract=abstract), 1).abstract == (
        "Background: Circadian rhythms shape sleep. Methods: We asked 40 nurses. "
        "Results: Most slept less. Why? Shifts. Empty"
    )


def test_a_lone_abstract_heading_is_still_dropped() -> None:
    assert strip_markup("<jats:sec><jats:title>Abstrak</jats:title><jats:p>Isi</jats:p></jats:sec>") == "Isi"
    assert strip_markup("<title>Summary</title><p>Short.</p>") == "Summary: Short."


# --- 9: only works a patron can read -----------------------------------------------------

NOT_WORKS = [
    work("10.7554/elife.1.sa1", type="peer-review", title=["Decision letter for \"Sleep in nurses\""]),
    work("10.7554/elife.1.sa2", type="peer-review", title=["Author response for \"Sleep in nurses\""]),
    work("10.5194/esd-1-rc1", type="peer-review", title=["Review for \"Sleep in nurses\""]),
    work("10.1002/humu.2018.39.issue-6", type="journal-issue", title=[]),
    work("10.1371/journal.pone.0045184.g006", type="component", title=["Figure 6"]),
    work("10.1111/j.1.x", type="journal", title=["Journal of Sleep"]),
]
WORKS = [
    work("10.5555/article", title=["Sleep in nurses"]),
    work("10.5555/chapter", type="book-chapter"),
    work("10.31234/osf.io/abc", type="posted-content"),
    work("10.5555/report", type="report"),
    work("10.5555/untyped", type=None),  # an answer whose select left the type out
]


def test_reviews_issues_and_components_are_not_candidates() -> None:
    found = candidates_from(work_list(*NOT_WORKS[:3], WORKS[0], *NOT_WORKS[3:], *WORKS[1:]), 20)

    assert [c.doi for c in found] == [w["DOI"] for w in WORKS]
    assert [c.source_rank for c in found] == [1, 2, 3, 4, 5]
    assert not any(is_readable(w) for w in NOT_WORKS)


def test_the_limit_counts_only_readable_works() -> None:
    found = candidates_from(work_list(*NOT_WORKS, *WORKS), 2)

    assert [c.doi for c in found] == ["10.5555/article", "10.5555/chapter"]


def test_the_readable_types_are_all_types_crossref_knows() -> None:
    assert READABLE_TYPES.issubset(WORK_TYPES)
    assert not READABLE_TYPES & {"peer-review", "journal-issue", "component", "journal", "grant"}


def test_a_search_without_a_kind_asks_crossref_for_readable_types_only() -> None:
    query = build_query(need("sleep", "nurses"), 10)

    assert query is not None
    assert sorted(v for k, v in query.filters if k == "type") == sorted(READABLE_TYPES)
    assert query.filter_dict()["type"] == sorted(READABLE_TYPES)  # one list: Crossref ORs them


@pytest.fixture
async def mixed(tmp_path: Path) -> AsyncIterator[Standin]:
    fixture = tmp_path / "works.json"
    items = [{**w, "title": [f"Sleep in nurses {w['DOI']}"]} for w in [*NOT_WORKS, *WORKS[:4]]]
    fixture.write_text(json.dumps(items), "utf-8")
    async with TestServer(create_crossref_standin(fixture=fixture)) as server, aiohttp.ClientSession() as http:
        yield Standin(str(server.make_url("")).rstrip("/"), http)


async def test_the_type_filter_reaches_crossref_and_keeps_non_works_out(mixed: Standin) -> None:
    found = await mixed.source().search(need("sleep", "nurses"), 20)

    sent = dict((await mixed.stats())["last"]["params"])
    assert sorted(part.removeprefix("type:") for part in sent["filter"].split(",")) == sorted(READABLE_TYPES)
    assert sorted(c.doi for c in found) == sorted(w["DOI"] for w in WORKS[:4])
    assert {c.kind for c in found} == {Kind.ARTICLE, Kind.CHAPTER, Kind.OTHER}


async def test_a_kind_still_narrows_the_types(mixed: Standin) -> None:
    found = await mixed.source().search(need("sleep", "nurses", kinds=frozenset({Kind.CHAPTER})), 20)

    assert [c.doi for c in found] == ["10.5555/chapter"]
    assert dict((await mixed.stats())["last"]["params"])["filter"] == "type:book-chapter,type:book-part,type:book-section"


# --- the recorded real answers --------------------------------------------------------


def recorded_works() -> list[dict[str, Any]]:
    if not (RECORDED / "manifest.json").exists():
        pytest.skip(f"{RECORDED} is not present (the shared real-data folder sits beside the repo)")
    items: list[dict[str, Any]] = []
    for entry in json.loads((RECORDED / "manifest.json").read_text("utf-8")):
        if entry["message_type"] in ("work-list", "work"):
            message = json.loads((RECORDED / entry["file"]).read_text("utf-8"))["message"]
            items.extend(message["items"] if entry["message_type"] == "work-list" else [message])
    return items


def test_recorded_titles_and_abstracts_read_as_plain_text() -> None:
    candidates = {item["DOI"].lower(): work_to_candidate(item, 1) for item in recorded_works()}

    for c in candidates.values():
        for text in (c.title, c.abstract):
            assert not any(f"<{tag}" in text for tag in ("i>", "sub>", "sup>", "scp>", "jats:", "mml:", "p>"))
            assert "&lt;" not in text and "&amp;" not in text
    assert candidates["10.1039/d0ce00680g"].title.startswith("Encapsulation of the [Ru(bpy)3]2+ luminophore")
    assert "Wärmen cp – Cv im" in candidates["10.1002/zaac.19271660112"].title
    assert candidates["10.1002/fee.70021"].title == "The role of AI in ecology’s computational carbon footprint"
    assert candidates["10.7717/peerj.5066"].abstract.startswith("Background: Underwater visual surveys")
    assert candidates["10.1118/1.4704640"].abstract.startswith("Purpose: Cone‐beam computed tomography")


def test_recorded_components_and_issues_are_left_out() -> None:
    items = recorded_works()
    unreadable = {i["DOI"].lower() for i in items if i.get("type") in ("component", "journal-issue", "peer-review")}

    found = candidates_from(work_list(*items), len(items))

    assert len(unreadable) >= 10
    assert not unreadable & {c.doi for c in found}
    assert len(found) > 500
