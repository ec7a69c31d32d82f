"""How sure refbot is of a draft: strong, partial or weak, and what the weak one is missing."""

from __future__ import annotations

import dataclasses

import pytest

from refbot.config import MatchSettings, SearchSettings
from refbot.errors import SourceError
from refbot.models import Candidate, ConfidenceLevel, InformationNeed, Kind, Term
from refbot.pipeline.answer import answer
from refbot.pipeline.confidence import judge
from refbot.pipeline.rank import rank

S = MatchSettings()
YEAR = 2026


def need(text: str, **kw: object) -> InformationNeed:
    return InformationNeed(raw=text, terms=tuple(Term(w) for w in text.split()), **kw)  # type: ignore[arg-type]


def book(title: str, year: int = 2022, source: str = "catalog", **kw: object) -> Candidate:
    return Candidate(source, title, Kind.BOOK, title, year=year, **kw)  # type: ignore[arg-type]


def judged(n: InformationNeed, results: dict[str, list[Candidate]], *, asked: tuple[str, ...] = ("catalog",),
           answered: tuple[str, ...] = ("catalog",)) -> tuple[ConfidenceLevel, tuple[str, ...]]:
    c = judge(n, rank(n, results, S, 8), asked, answered, S, YEAR)
    return c.level, c.missing


def test_several_items_that_answer_the_whole_need_are_strong() -> None:
    items = [book(f"Literasi informasi jilid {i}") for i in range(1, 6)]
    assert judged(need("literasi informasi"), {"catalog": items}) == (ConfidenceLevel.STRONG, ())


def test_one_good_item_and_filler_is_partial_by_the_gap_to_the_rest() -> None:
    items = [book("Literasi informasi"), book("Literasi kesehatan"), book("Sistem informasi"), book("Minat baca")]
    level, _ = judged(need("literasi informasi"), {"catalog": items})
    assert level is ConfidenceLevel.PARTIAL


@pytest.mark.parametrize(
    ("question", "results", "missing"),
    [
        # Only Crossref holds the topic: the library's catalog has nothing that matches.
        ("sejarah majapahit", {"catalog": [book("Sejarah perpustakaan")],
                               "crossref": [book("Sejarah Majapahit", source="crossref")]}, ("catalog",)),
        # The catalog matches, but only with books older than ten years.
        ("sejarah majapahit", {"catalog": [book("Sejarah Majapahit", year=1990), book("Sejarah pers")]},
         ("recent",)),
        # Nothing at all.
        ("sejarah majapahit", {"catalog": []}, ("catalog",)),
    ],
)
def test_a_weak_draft_says_what_is_missing(question: str, results: dict[str, list[Candidate]],
                                           missing: tuple[str, ...]) -> None:
    thin = {name: items[:1] for name, items in results.items()}  # one hit is never a strong list
    level, said = judged(need(question), thin)
    assert level is not ConfidenceLevel.STRONG and said == missing
    level, _ = judged(need(question), {name: [book("Manajemen kearsipan", source=name)] for name in results})
    assert level is ConfidenceLevel.WEAK


def test_items_outside_the_wished_years_count_half_and_say_so() -> None:
    n = need("literasi informasi", year_from=2021)
    items = [book(f"Literasi informasi jilid {i}", year=2005) for i in range(1, 6)]
    level, missing = judged(n, {"catalog": items})
    assert level is ConfidenceLevel.WEAK and "recent" in missing
    assert judged(n, {"catalog": [dataclasses.replace(c, year=2023) for c in items]})[0] is ConfidenceLevel.STRONG


class Shelf:
    name = "catalog"

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        return [book(f"Literasi informasi jilid {n}") for n in range(1, 5)]


class Down:
    name = "crossref"

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        raise SourceError("crossref", "503 Service Unavailable")


class Guides:
    name = "zotero"

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        return []


async def test_the_answer_carries_its_confidence_and_a_silent_source_is_named() -> None:
    n = need("literasi informasi")
    found = await answer(n, [Shelf(), Down(), Guides()], SearchSettings(deadline=2.0), S, current_year=YEAR)
    assert found.confidence.level is ConfidenceLevel.STRONG and found.confidence.best == 1.0
    assert found.confidence.missing == ("sources",) and found.confidence.answered == ("catalog",)

    everyone = await answer(n, [Shelf(), Guides()], SearchSettings(deadline=2.0), S, current_year=YEAR)
    assert everyone.confidence.missing == ()  # the curated collections' silence is nothing missing
