"""Pseudo-relevance feedback learns most from the first search's best records."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.scoring import BM25F

from refbot.catalog.generations import current_name
from refbot.catalog.index import build_index
from refbot.catalog.query import QueryOptions, Weighted, feedback_words
from tests.catalog.conftest import csv_rows, write

# Two records on quantum chemistry found first, two on its history found lower; filler keeps
# "kuantum" and "sejarah" rare enough to be feedback words.
ROWS = (
    "f1,Kimia kuantum dasar,,2020,,,,Kimia,Orbital kuantum molekul,540,id,buku,1,1,,",
    "f2,Kimia kuantum terapan,,2021,,,,Kimia,Orbital kuantum spektrum,540,id,buku,1,1,,",
    "f3,Kimia dan sejarah,,2019,,,,Kimia,Sejarah laboratorium kimia,540,id,buku,1,1,,",
    "f4,Kimia sejarah ilmu,,2018,,,,Kimia,Sejarah penemuan kimia,540,id,buku,1,1,,",
    *(f"x{i},Buku lain {i},,2000,,,,Umum,Catatan umum,000,id,buku,1,1,," for i in range(30)),
)


def learned(tmp_path: Path, options: QueryOptions) -> dict[str, float]:
    build_index([write(tmp_path / "c.csv", csv_rows(*ROWS))], tmp_path / "ix")
    ix = whoosh_index.open_dir(str(tmp_path / "ix" / str(current_name(tmp_path / "ix"))))
    with ix.searcher(weighting=BM25F()) as searcher:
        number = {searcher.stored_fields(d)["id"]: d for d in range(searcher.doc_count())}
        # The first search put the quantum records first; the history ones score 60 % of the best.
        hits = [(number["f1"], 10.0), (number["f2"], 9.5), (number["f3"], 6.0), (number["f4"], 6.0)]
        words = feedback_words(searcher, hits, [Weighted("kimia", 1.0, ("kimia",))], options)
    return {w.word: w.weight for w in words}


def test_sharp_feedback_learns_most_from_the_best_records(tmp_path: Path) -> None:
    sharp = learned(tmp_path / "sharp", QueryOptions())
    plain = learned(tmp_path / "plain", dataclasses.replace(QueryOptions(), sharp_feedback=False))
    assert {"kuantum", "sejarah"} <= set(sharp) and {"kuantum", "sejarah"} <= set(plain)
    # By plain score share the history word weighs over half the quantum word; sharp, far less.
    assert plain["sejarah"] / plain["kuantum"] > 0.5
    assert sharp["sejarah"] / sharp["kuantum"] < 0.3
    # The patron's own word keeps its share either way.
    assert sharp["kimia"] == plain["kimia"] > sharp["kuantum"]
