"""A tiny test collection in the BEIR layout, written to tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DOCUMENTS = [
    ("d1", "Reading habits of university students",
     "A survey of the reading habits of university students: how often they read, what they read and why.",
     ["Rahmawati, D."]),
    ("d2", "Reading interest in school libraries",
     "Reading interest among secondary school students and the role of the school library collection.",
     ["Santoso, B."]),
    ("d3", "Please help! A guide to the help desk",
     "Thanks to the help desk, users could find help: please ask and we help you find what you are looking for. "
     "Thanks again, and please come back for more help.", []),
    ("d4", "Information retrieval systems",
     "Indexing, searching and ranking in information retrieval systems; evaluation with test collections.",
     ["Salton, G."]),
    ("d5", "Cataloging rare books",
     "Descriptive cataloging rules for rare books, early printed books and manuscripts.", ["Gorman, M."]),
    ("d6", "Digital libraries",
     "Building digital libraries: repositories, metadata harvesting and digital preservation.", []),
    ("d7", "Library anxiety among students",
     "Library anxiety: why students feel anxious using academic libraries, and how librarians can reduce it.",
     ["Mellon, C."]),
    ("d8", "Bibliometrics and citation analysis",
     "Counting citations: bibliometric indicators, citation analysis and research evaluation.", []),
    ("d9", "Managing archives",
     "Records management and archives: appraisal, arrangement and description of records.", []),
    ("d10", "Teaching information literacy",
     "Information literacy instruction for undergraduate students in academic libraries.", []),
    ("d11", "Open access publishing",
     "Open access journals, repositories and the economics of scholarly publishing.", []),
    ("d12", "Studies of students",
     "Studies, studies and more studies of students: a bibliography of student studies.", []),
]
QUERIES = {
    "q1": "Hi, could you please help me find studies about reading habits of students? Thanks!",
    "q2": "I am looking for information on cataloguing rules for rare books, thank you",
    "q3": "Could you help me find studies about library anxiety among students? Library anxiety is what I need, please.",
    "q4": "kak, ada buku tentang temu kembali informasi?",
    "q5": "an unjudged query",
}
QRELS = [("q1", "d1", 2), ("q1", "d2", 1), ("q2", "d5", 1), ("q3", "d7", 1), ("q4", "d4", 1), ("q5", "d1", 0)]


def write_collection(folder: Path) -> Path:
    """The tiny collection, written in the BEIR layout under ``folder``."""
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as corpus:
        for doc_id, title, text, authors in DOCUMENTS:
            corpus.write(json.dumps({"_id": doc_id, "title": title, "text": text, "metadata": {"authors": authors}}) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as queries:
        for qid, text in QUERIES.items():
            queries.write(json.dumps({"_id": qid, "text": text, "metadata": {}}) + "\n")
    rows = "".join(f"{q}\t{d}\t{g}\n" for q, d, g in QRELS)
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_collection(tmp_path: Path) -> Path:
    return write_collection(tmp_path / "tiny")
