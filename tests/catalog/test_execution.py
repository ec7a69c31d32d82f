"""Running a query with flattened ORs and cached preference scores finds and scores what Whoosh alone does."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.query import AndMaybe, NumericRange, Or, Phrase, Query
from whoosh.query import Term as WhooshTerm
from whoosh.scoring import BM25F

from refbot.catalog.execution import PreferenceCache, flatten, plan
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
)


def words(field_words: dict[str, float], *fields: str) -> Query:
    """One OR per word, each over the given fields: the shape refbot's query builder makes."""
    return Or([Or([WhooshTerm(f, w, boost=b) for f in fields]) for w, b in field_words.items()])


QUERIES = [
    words({"pustaka": 1.0, "digital": 0.8}, "title", "subjects", "summary"),
    AndMaybe(
        Or([words({"pustaka": 1.0, "layan": 0.9}, "title", "subjects"), Phrase("title", ["layan", "informasi"])]),
        Or([NumericRange("year", 2015, None, boost=2.0), WhooshTerm("kind", "book", boost=1.5)]),
    ),
    AndMaybe(words({"digital": 1.0}, "title", "subjects"), Or([WhooshTerm("language", "en")])),
    AndMaybe(words({"pustaka": 1.0}, "title"), Or([WhooshTerm("kind", "thesis", boost=3.0)])),
]


def results(searcher: object, query: Query) -> list[tuple[str, float]]:
    hits = searcher.search(query, limit=20)  # type: ignore[attr-defined]
    return [(hit["id"], round(hit.score, 9)) for hit in hits]


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    build_index([write(tmp_path / "c.csv", csv_rows(*ROWS))], tmp_path / "ix")
    return tmp_path / "ix"


def assert_same_as_whoosh(index_dir: Path) -> None:
    ix = whoosh_index.open_dir(str(index_dir / str(current_name(index_dir))))
    cache = PreferenceCache()
    with ix.searcher(weighting=BM25F()) as searcher:
        for query in QUERIES:
            expected = results(searcher, query)
            assert expected
            assert results(searcher, plan(query, cache)) == expected, query
            assert results(searcher, plan(query, cache)) == expected, query  # served from the cache


def test_plan_finds_and_scores_what_whoosh_does(index_dir: Path) -> None:
    assert_same_as_whoosh(index_dir)


def test_plan_works_segment_by_segment(index_dir: Path, tmp_path: Path) -> None:
    changes = csv_rows("u1,Perpustakaan sekolah digital,,2022,,,,Perpustakaan,,027.8,id,buku,1,1,,")
    update_records([write(tmp_path / "u.csv", changes)], index_dir)
    ix = whoosh_index.open_dir(str(index_dir / str(current_name(index_dir))))
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
    assert_same_as_whoosh(index_dir)


def test_preference_scores_are_computed_once_per_segment(index_dir: Path) -> None:
    ix = whoosh_index.open_dir(str(index_dir / str(current_name(index_dir))))
    preference = Or([WhooshTerm("kind", "book", boost=1.5)])
    cache = PreferenceCache()
    with ix.searcher(weighting=BM25F()) as searcher:
        context = searcher.context()
        first = cache.scores(preference, searcher, context)
        assert cache.scores(preference, searcher, context) is first
    ids, scores, best = first
    assert list(ids) == sorted(ids) and len(ids) == len(scores) >= 5
    assert best == max(scores) > 0


def test_flatten_merges_plain_ors_only() -> None:
    a, b, c = (WhooshTerm("title", w) for w in "abc")
    boosted = Or([b, c], boost=2.0)
    assert flatten(Or([Or([a, b]), c])) == Or([a, b, c])
    assert flatten(Or([a, boosted])) == Or([a, boosted])
    assert flatten(a) is a
