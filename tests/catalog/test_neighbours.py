"""Neighbours: a record the other good records resemble rises; one that matched by accident sinks."""

from __future__ import annotations

import itertools
from pathlib import Path

from refbot.catalog import neighbours
from refbot.catalog.index import build_index
from refbot.catalog.neighbours import FULL_WORDS, RecordWords, likeness, regularise
from refbot.catalog.query import QueryOptions
from refbot.catalog.search import CatalogIndex
from refbot.models import InformationNeed, Term
from tests.catalog.conftest import csv_rows, write


def words(prefix: str, count: int, start: int = 0) -> list[str]:
    """``count`` made-up words of one subject's vocabulary (letters only, so the analyzer keeps them)."""
    syllables = ("ka", "lo", "mi", "nu", "pe", "ri", "su", "ta", "wo", "ze")
    made = (prefix + a + b for a, b in itertools.product(syllables, repeat=2))
    return list(itertools.islice(made, start, start + count))


def unit(*weights: tuple[str, float]) -> dict[str, float]:
    norm = sum(w * w for _, w in weights) ** 0.5
    return {word: w / norm for word, w in weights}


def test_likeness_is_the_cosine_of_shared_words() -> None:
    a, b, c = unit(("x", 1.0), ("y", 1.0)), unit(("x", 1.0), ("z", 1.0)), unit(("q", 1.0))
    like = likeness([a, b, c])
    assert round(like[0][1], 6) == round(like[1][0], 6) == 0.5
    assert like[0][2] == like[2][1] == 0.0 and like[0][0] == 0.0


def test_a_record_resembling_low_scored_records_sinks_below_one_resembling_the_best() -> None:
    many = [(f"w{i}", 1.0) for i in range(FULL_WORDS)]
    on_topic = unit(*many)
    accidental = unit(*((f"v{i}", 1.0) for i in range(FULL_WORDS)))
    # Scores best first: an accidental match first, four on-topic records, then the accidental one's kin.
    scores = [10.0, 9.5, 9.4, 9.3, 9.2, 3.0, 2.9, 2.8]
    vectors = [accidental, on_topic, on_topic, on_topic, on_topic, accidental, accidental, accidental]
    mixed = regularise(scores, vectors, share=0.5)
    assert max(range(len(mixed)), key=mixed.__getitem__) == 1
    assert mixed[0] < min(mixed[1:5])
    assert regularise(scores, vectors, share=0.0) == scores


def test_a_record_like_no_other_keeps_its_score_and_a_short_one_moves_little() -> None:
    long_words = [(f"w{i}", 1.0) for i in range(FULL_WORDS)]
    scores = [10.0, 4.0, 4.0]
    alone = regularise(scores, [unit(("solo", 1.0)), unit(*long_words), unit(*long_words)], share=0.5)
    assert alone[0] == 10.0
    short = unit(("w1", 1.0), ("w2", 1.0))  # two words: 2 / FULL_WORDS of the share
    moved = regularise(scores, [unit(*long_words), short, unit(*long_words)], share=0.5)
    assert 4.0 < moved[1] < moved[2]


def test_an_edited_record_is_read_again(tmp_path: Path) -> None:
    from whoosh.analysis import StandardAnalyzer

    kept = RecordWords(size=2)
    first = kept.words({"id": "r1", "title": "heat transfer"}, StandardAnalyzer())
    assert kept.words({"id": "r1", "title": "heat transfer"}, StandardAnalyzer()) is first
    edited = kept.words({"id": "r1", "title": "mass transfer"}, StandardAnalyzer())
    assert "mass" in edited[0] and "heat" not in edited[0]


def test_a_catalog_search_puts_the_subjects_records_before_an_accidental_match(
        tmp_path: Path, open_index: list[CatalogIndex]) -> None:
    # Five aerodynamics reports mention heat transfer once among their shared vocabulary; a
    # cookery book has "heat transfer" in its title, and four more cookery books mention heat.
    aero = [f"r{n},Boundary layer report {n},,2000,,,,,{' '.join(['heat transfer', *words('vor', 60, 3 * n)])},,en,book,1,1,,"
            for n in range(5)]
    oven = f"oven,Heat transfer in the kitchen,,2000,,,,,{' '.join(words('gul', 60))},,en,book,1,1,,"
    cookery = [f"c{n},Cookery {n},,2000,,,,,{' '.join(['heat', *words('gul', 60, 2 * n)])},,en,book,1,1,,"
               for n in range(4)]
    build_index([write(tmp_path / "mixed.csv", csv_rows(*aero, oven, *cookery))], tmp_path / "ix")
    question = InformationNeed(raw="heat transfer", terms=(Term("heat"), Term("transfer")))
    plain = CatalogIndex(tmp_path / "ix", options=QueryOptions(neighbours=False, feedback=False))
    regularised = CatalogIndex(tmp_path / "ix", options=QueryOptions(feedback=False))
    open_index.extend([plain, regularised])

    assert [c.source_id for c in plain.search(question, limit=1)] == ["oven"]
    found = [c.source_id for c in regularised.search(question, limit=3)]
    assert found[0].startswith("r") and "oven" not in found
    # Only the records asked for come back, though the first hundred were weighed.
    assert len(found) == 3 and neighbours.POOL > 3
