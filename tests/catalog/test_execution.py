"""refbot's term-at-a-time engine finds and scores what Whoosh's own search does, query shape by query shape."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.query import And, AndMaybe, NumericRange, Or, Query, Require
from whoosh.query import Term as WhooshTerm
from whoosh.scoring import BM25F

from refbot.catalog.execution import Execution, Fields, GenerationCache
from refbot.catalog.generations import current_name
from refbot.catalog.index import build_index
from refbot.catalog.maintenance import update_records
from tests.catalog.conftest import LIBRARY_ROWS, csv_rows, write

ROWS = (
    *LIBRARY_ROWS,
    "m1,Perpustakaan digital,,1998,,,,Perpustakaan digital,,025.04,id,buku,1,1,,",
    "m2,Perpustakaan digital,,2021,,,,Perpustakaan digital,,025.04,id,buku,1,1,,",
    "m3,Digital libraries,,2021,,,,Digital libraries,,025.04,en,ebook,0,0,,",
    "m4,Pustaka pedesaan dan layanan informasi,,2010,,,,Layanan informasi,,021,id,buku,1,1,,",
    "m5,Layanan informasi pustaka,,2010,,,,,Kumpulan makalah,021,id,skripsi,1,1,,",
    "m6,Informasi dan layanan pustaka desa,,2012,,978-602-8397-21-5,,Pustaka desa,,021,id,buku,1,1,,",
)


def words(field_words: dict[str, float], *fields: str) -> Query:
    """One OR per word, each over the given fields: the shape refbot's query builder makes."""
    return Or([Or([WhooshTerm(f, w, boost=b) for f in fields]) for w, b in field_words.items()])


def phrase(field: str, words: list[str], boost: float = 1.0) -> Query:
    """A phrase the way refbot's query builder writes it: the words' scores again where their pairs are indexed."""
    pairs = [f"{a}+{b}" for a, b in pairwise(words)]
    return Require(And([WhooshTerm(field, w, boost=boost) for w in words]), And([WhooshTerm(f"{field}_pairs", p) for p in pairs]))


QUERIES = [
    words({"pustaka": 1.0, "digital": 0.8}, "title", "subjects", "summary"),
    AndMaybe(
        Or([words({"pustaka": 1.0, "layan": 0.9}, "title", "subjects"), phrase("title", ["layan", "informasi"])]),
        Or([NumericRange("year", 2015, None, boost=2.0), WhooshTerm("kind", "book", boost=1.5)]),
    ),
    AndMaybe(words({"digital": 1.0}, "title", "subjects"), Or([WhooshTerm("language", "en")])),
    AndMaybe(words({"pustaka": 1.0}, "title"), Or([WhooshTerm("kind", "thesis", boost=3.0)])),
    # Phrases: words apart in some records and together in others, three words, two fields.
    Or([words({"layan": 1.0, "informasi": 1.0}, "title"), phrase("title", ["layan", "informasi"], boost=0.75)]),
    Or([words({"layan": 1.0}, "title"), phrase("title", ["layan", "informasi", "pustaka"]), phrase("title", ["informasi", "pustaka"])]),
    Or([words({"informasi": 1.0}, "title"), phrase("title", ["informasi", "layan"], boost=0.5)]),
    Or([words({"digital": 1.0}, "subjects"), phrase("title", ["pustaka", "digital"])]),
    # An ISBN (an unscored field), a boosted OR: left to Whoosh's matchers.
    Or([WhooshTerm("isbn", "9786028397215", boost=20.0), words({"pustaka": 1.0}, "title")]),
    Or([Or([WhooshTerm("title", "digital"), WhooshTerm("summary", "makalah")], boost=2.0), WhooshTerm("title", "jazz")]),
]


def whoosh_results(searcher: object, query: Query, limit: int) -> list[tuple[str, float]]:
    hits = searcher.search(query, limit=limit)  # type: ignore[attr-defined]
    return [(hit["id"], round(hit.score, 9)) for hit in hits]


def engine_results(searcher: object, query: Query, limit: int, cache: GenerationCache) -> list[tuple[str, float]]:
    best = Execution(searcher, cache).top(query, limit)
    return [(searcher.stored_fields(docnum)["id"], round(score, 9)) for docnum, score in best]  # type: ignore[attr-defined]


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    build_index([write(tmp_path / "c.csv", csv_rows(*ROWS))], tmp_path / "ix")
    return tmp_path / "ix"


def assert_same_as_whoosh(index_dir: Path) -> None:
    ix = whoosh_index.open_dir(str(index_dir / str(current_name(index_dir))))
    cache = GenerationCache()
    with ix.searcher(weighting=BM25F()) as searcher:
        for query in QUERIES:
            expected = whoosh_results(searcher, query, 50)
            assert expected, query
            assert engine_results(searcher, query, 50, cache) == expected, query
            assert engine_results(searcher, query, 50, cache) == expected, query  # norms, preferences kept
            # A short list stops early: it must still be the top of the full one.
            assert engine_results(searcher, query, 2, cache) == whoosh_results(searcher, query, 2), query


def test_engine_finds_and_scores_what_whoosh_does(index_dir: Path) -> None:
    assert_same_as_whoosh(index_dir)


def test_engine_works_segment_by_segment_and_skips_deleted_records(index_dir: Path, tmp_path: Path) -> None:
    changes = csv_rows(
        "u1,Perpustakaan sekolah digital,,2022,,,,Perpustakaan,,027.8,id,buku,1,1,,",
        "m4,Pedesaan,,2010,,,,Desa,,021,id,buku,1,1,,",  # m4 rewritten: its old words are gone
    )
    update_records([write(tmp_path / "u.csv", changes)], index_dir)
    ix = whoosh_index.open_dir(str(index_dir / str(current_name(index_dir))))
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        assert searcher.reader().has_deletions()
    assert_same_as_whoosh(index_dir)


def test_preference_scores_are_computed_once_per_segment(index_dir: Path) -> None:
    ix = whoosh_index.open_dir(str(index_dir / str(current_name(index_dir))))
    preference = Or([WhooshTerm("kind", "book", boost=1.5)])
    cache = GenerationCache()
    with ix.searcher(weighting=BM25F()) as searcher:
        context = searcher.context()
        first = cache.preference(preference, searcher, context)
        assert cache.preference(preference, searcher, context) is first
    assert list(first.ids) == sorted(first.ids) and len(first.ids) == len(first.scores) >= 5
    assert first.best == max(first.scores) > 0


def fields_scores(searcher: object, query: Query, cache: GenerationCache) -> dict[str, float]:
    return dict(engine_results(searcher, query, 50, cache))


def test_a_word_over_one_field_scores_as_whooshs_term(index_dir: Path) -> None:
    # BM25F proper over a single field is that field's BM25: the same scores Whoosh gives the term.
    ix = whoosh_index.open_dir(str(index_dir / str(current_name(index_dir))))
    cache = GenerationCache()
    with ix.searcher(weighting=BM25F()) as searcher:
        for field, word, weight in (("title", "digital", 1.0), ("summary", "makalah", 0.7), ("subjects", "layan", 2.0)):
            combined = Fields([WhooshTerm(field, word, boost=1.0)], boost=weight)
            expected = whoosh_results(searcher, WhooshTerm(field, word, boost=weight), 50)
            assert expected and engine_results(searcher, combined, 50, cache) == expected


def test_a_word_in_title_and_subjects_counts_as_more_of_one_word_not_as_two(index_dir: Path) -> None:
    ix = whoosh_index.open_dir(str(index_dir / str(current_name(index_dir))))
    cache = GenerationCache()
    with ix.searcher(weighting=BM25F()) as searcher:
        title = fields_scores(searcher, WhooshTerm("title", "digital"), cache)
        subjects = fields_scores(searcher, WhooshTerm("subjects", "digital"), cache)
        apart = fields_scores(searcher, Or([WhooshTerm("title", "digital"), WhooshTerm("subjects", "digital")]), cache)
        together = fields_scores(searcher, Fields([WhooshTerm("title", "digital"), WhooshTerm("subjects", "digital")]), cache)
    both = set(title) & set(subjects)
    assert {"m1", "m3"} <= both and set(together) == set(apart)
    for record in both:
        # More than either field alone, less than the two saturated apart and added up.
        assert max(title[record], subjects[record]) < together[record] < apart[record]


def test_a_word_over_fields_is_scored_across_segments_and_deletions(index_dir: Path, tmp_path: Path) -> None:
    update_records([write(tmp_path / "u.csv", csv_rows("u1,Perpustakaan digital,,2022,,,,Digital,,027.8,id,buku,1,1,,"))], index_dir)
    ix = whoosh_index.open_dir(str(index_dir / str(current_name(index_dir))))
    with ix.searcher(weighting=BM25F()) as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        query = Fields([WhooshTerm("title", "digital", boost=0.75), WhooshTerm("subjects", "digital", boost=0.8)], boost=1.0)
        found = [record for record, _ in engine_results(searcher, query, 50, GenerationCache())]
    assert {"m1", "m2", "m3", "u1"} <= set(found) and len(found) == len(set(found))
