"""Searching: bilingual matching, weighted terms, phrases and preferences; following CURRENT; the async source."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from whoosh.query import Or
from whoosh.query import Term as WhooshTerm

from refbot.catalog.index import build_index
from refbot.catalog.query import MAX_TERMS, QueryOptions, build_query, heaviest_terms
from refbot.catalog.schema import catalog_schema
from refbot.catalog.search import CatalogIndex, CatalogSource
from refbot.errors import SourceError, SourceTimeout
from refbot.models import Candidate, InformationNeed, Kind, Term
from tests.catalog.conftest import csv_rows, write


def need(*words: str, **extra: object) -> InformationNeed:
    return InformationNeed(raw=" ".join(words), terms=tuple(Term(w) for w in words), **extra)  # type: ignore[arg-type]


@pytest.fixture
def catalog(library_csv: Path, tmp_path: Path, open_index: list[CatalogIndex]) -> CatalogIndex:
    more = write(tmp_path / "exports" / "more.csv", csv_rows(
        "m1,Perpustakaan digital,,1998,,,,Perpustakaan digital,,025.04,id,buku,1,1,,",
        "m2,Perpustakaan digital,,2021,,,,Perpustakaan digital,,025.04,id,buku,1,1,,",
        "m3,Digital libraries,,2021,,,,Digital libraries,,025.04,en,ebook,0,0,,",
        "m4,Pustaka pedesaan dan layanan informasi,,2010,,,,Layanan informasi,,021,id,buku,1,1,,",
        "m5,Layanan informasi pustaka,,2010,,,,,Kumpulan makalah,021,id,buku,1,1,,",
    ))
    build_index([library_csv, more], tmp_path / "ix")
    index = CatalogIndex(tmp_path / "ix")
    open_index.append(index)
    return index


def ids(candidates: list[Candidate]) -> list[str]:
    return [c.source_id for c in candidates]


def test_indonesian_morphology_meets_in_the_index(catalog: CatalogIndex) -> None:
    [found] = catalog.search(need("pengelolaan", "perpustakaan"), limit=1)
    assert found.title == "Mengelola perpustakaan"


def test_english_morphology_meets_in_the_index(catalog: CatalogIndex) -> None:
    [found] = catalog.search(need("managing", "libraries"), limit=1)
    assert found.title == "Library management"


def test_results_are_candidates_with_score_and_rank(catalog: CatalogIndex) -> None:
    results = catalog.search(need("perpustakaan"), limit=10)
    assert [c.source_rank for c in results] == list(range(1, len(results) + 1))
    assert [c.source_score for c in results] == sorted((c.source_score for c in results), reverse=True)
    assert all(c.source == "catalog" and c.source_score > 0 for c in results)
    [k1] = [c for c in results if c.source_id == "k1"]
    assert (k1.call_number, k1.copies, k1.available, k1.language) == ("025.1 SUT m", 2, 1, "id")


def test_heavier_terms_count_more(catalog: CatalogIndex) -> None:
    jazz_first = InformationNeed(raw="x", terms=(Term("jazz", 3.0), Term("perpustakaan", 0.5)))
    assert ids(catalog.search(jazz_first, limit=1)) == ["k4"]
    library_first = InformationNeed(raw="x", terms=(Term("jazz", 0.2), Term("perpustakaan", 3.0)))
    assert ids(catalog.search(library_first, limit=1)) != ["k4"]


def test_phrase_lifts_words_that_stand_together(catalog: CatalogIndex) -> None:
    words = need("layanan", "informasi", "pustaka")
    with_phrase = need("layanan", "informasi", "pustaka", phrases=("layanan informasi pustaka",))
    assert ids(catalog.search(with_phrase, limit=1)) == ["m5"]
    assert set(ids(catalog.search(words, limit=2))) == {"m4", "m5"}


def test_year_range_boosts_without_filtering(catalog: CatalogIndex) -> None:
    recent = ids(catalog.search(need("perpustakaan", "digital", year_from=2016), limit=5))
    # m1 and m2 differ only in their year: the wished-for one comes first, the other stays.
    assert recent[0] in ("m2", "m3")  # both from 2021 (m3, "Digital libraries", by translation)
    assert "m1" in recent and recent.index("m2") < recent.index("m1")
    old = catalog.search(need("perpustakaan", "digital", year_to=2000), limit=5)
    assert ids(old)[0] == "m1"


def test_kind_and_language_preferences(catalog: CatalogIndex) -> None:
    assert ids(catalog.search(need("digital", kinds=frozenset({Kind.EBOOK})), limit=1)) == ["m3"]
    assert ids(catalog.search(need("digital", languages=frozenset({"en"})), limit=1)) == ["m3"]


def test_preferences_lift_one_record_among_many_equal_ones(tmp_path: Path, open_index: list[CatalogIndex]) -> None:
    same = [f"s{i},Perpustakaan sekolah,,2000,,,,Perpustakaan sekolah,,027.8,id,buku,1,1,," for i in range(30)]
    rows = (
        *same,
        "e1,Perpustakaan sekolah,,2000,,,,Perpustakaan sekolah,,027.8,id,ebook,1,1,,",
        "y1,Perpustakaan sekolah,,2022,,,,Perpustakaan sekolah,,027.8,id,buku,1,1,,",
        "l1,Perpustakaan sekolah,,2000,,,,Perpustakaan sekolah,,027.8,en,buku,1,1,,",
    )
    build_index([write(tmp_path / "same.csv", csv_rows(*rows))], tmp_path / "ix")
    index = CatalogIndex(tmp_path / "ix")
    open_index.append(index)
    words = ("perpustakaan", "sekolah")
    assert ids(index.search(need(*words, kinds=frozenset({Kind.EBOOK})), limit=3))[0] == "e1"
    assert ids(index.search(need(*words, year_from=2020), limit=3))[0] == "y1"
    assert ids(index.search(need(*words, languages=frozenset({"en"})), limit=3))[0] == "l1"
    assert len(index.search(need(*words), limit=50)) == 33  # a preference boosts, never filters


def test_a_record_whose_words_stand_together_comes_first(tmp_path: Path, open_index: list[CatalogIndex]) -> None:
    # The same words, as often, in summaries as long: only where they stand differs.
    rows = (
        "far,Wind tunnel report,,2000,,,,,Heat was logged; the tunnel nozzle sting and balance were calibrated "
        "twice before any transfer to the hemisphere,,en,book,1,1,,",
        "near,Wind tunnel report,,2000,,,,,The tunnel nozzle sting and balance were calibrated twice before any "
        "heat transfer was logged on the hemisphere,,en,book,1,1,,",
    )
    build_index([write(tmp_path / "tunnel.csv", csv_rows(*rows))], tmp_path / "ix")
    question = need("heat", "transfer", "hemisphere")
    with_proximity = CatalogIndex(tmp_path / "ix", options=QueryOptions(proximity=True))
    without = CatalogIndex(tmp_path / "ix")  # off by default: see docs/ranking.md
    open_index.extend([with_proximity, without])
    assert ids(with_proximity.search(question, limit=2)) == ["near", "far"]
    assert ids(without.search(question, limit=2)) == ["far", "near"]  # a tie; the first catalogued first


def test_isbn_term(tmp_path: Path, open_index: list[CatalogIndex]) -> None:
    rows = ("i1,Satu,,2001,,978-602-8397-21-5,,,,,,,,,,", "i2,Dua 9786028397215,,2001,,,,,,,,,,,,")
    build_index([write(tmp_path / "isbn.csv", csv_rows(*rows))], tmp_path / "ix")
    index = CatalogIndex(tmp_path / "ix")
    open_index.append(index)
    assert ids(index.search(need("978-602-8397-21-5"), limit=1)) == ["i1"]


def test_nothing_to_search_for(catalog: CatalogIndex) -> None:
    assert catalog.search(need(), limit=5) == []
    assert catalog.search(need("yang", "dan", "the"), limit=5) == []


def test_long_needs_are_capped_to_the_heaviest_terms() -> None:
    terms = tuple(Term(f"kata{i}", weight=1.0 + i / 100) for i in range(40))
    query = build_query(InformationNeed(raw="panjang", terms=terms), catalog_schema())
    assert isinstance(query, Or)
    assert len(query.subqueries) == MAX_TERMS
    texts = {t.text for q in query.subqueries for t in q.subqueries if isinstance(t, WhooshTerm) and t.fieldname == "title"}
    assert texts == {f"kata{i}" for i in range(28, 40)}


def test_heaviest_terms_dedupe_and_keep_order() -> None:
    terms = (Term("a", 1.0), Term("B", 2.0), Term("b", 0.5), Term("c", 1.0))
    assert heaviest_terms(terms) == [Term("B", 2.0), Term("a", 1.0), Term("c", 1.0)]


def test_searching_before_any_build_says_what_to_do(tmp_path: Path) -> None:
    index = CatalogIndex(tmp_path / "nothing-here")
    with pytest.raises(Exception, match="has not been built; run `refbot index build"):
        index.search(need("apa"))


def test_searches_never_fail_while_rebuilds_swap_current(library_csv: Path, tmp_path: Path, open_index: list[CatalogIndex]) -> None:
    index_dir = tmp_path / "ix"
    build_index([library_csv], index_dir, keep=1)
    index = CatalogIndex(index_dir)
    open_index.append(index)
    stop = threading.Event()
    failures: list[BaseException] = []
    counts: list[int] = []

    def search_forever() -> None:
        done = 0
        while not stop.is_set():
            try:
                found = index.search(need("jazz", "perpustakaan"), limit=5)
                assert {"k1", "k4"} <= set(ids(found)), ids(found)
            except BaseException as error:  # collected and re-raised below
                failures.append(error)
                return
            done += 1
            time.sleep(0.001)  # leave the building thread some of the GIL
        counts.append(done)

    threads = [threading.Thread(target=search_forever) for _ in range(4)]
    for thread in threads:
        thread.start()
    generations = set()
    for _ in range(6):
        generations.add(build_index([library_csv], index_dir, keep=1).generation)
        time.sleep(0.02)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures[0]
    assert len(generations) == 6
    assert sum(counts) > 6 and len(counts) == 4
    assert index.generation in generations


class SlowIndex:
    def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        time.sleep(0.2)
        return []


async def test_source_times_out() -> None:
    source = CatalogSource(SlowIndex(), timeout=0.05)  # type: ignore[arg-type]
    with pytest.raises(SourceTimeout) as timeout:
        await source.search(need("apa"), limit=5)
    assert timeout.value.source == "catalog"


async def test_source_without_index_is_a_source_error(tmp_path: Path) -> None:
    source = CatalogSource(CatalogIndex(tmp_path / "missing"), timeout=2.0)
    with pytest.raises(SourceError) as failure:
        await source.search(need("apa"), limit=5)
    assert not isinstance(failure.value, SourceTimeout)
    assert "the catalog index has not been built; run `refbot index build" in failure.value.reason


async def test_source_searches_off_the_event_loop(catalog: CatalogIndex) -> None:
    source = CatalogSource(catalog, timeout=5.0)
    assert source.name == "catalog"
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    found = await source.search(need("pengelolaan", "perpustakaan"), limit=3)
    ticker.cancel()
    assert found[0].source_id == "k1"
    assert ticks > 0
