"""The plain baseline ``refbot eval`` compares against, built and run in the same process.

Whoosh's BM25F with its default English analyzer (``StemmingAnalyzer``: tokenise, lowercase,
English stop words, Porter stems) over two fields, title and text, and a query that OR-s every
word of the question in both fields. No field weights, no parsing, no feedback: what one gets
from Whoosh out of the box.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import Or, Query, Term
from whoosh.scoring import BM25F

from refbot.evaluation.collection import Document

FIELDS = ("title", "text")


def build_baseline(documents: Iterable[Document], folder: Path) -> None:
    """Index the documents into ``folder`` with the baseline schema."""
    analyzer = StemmingAnalyzer()
    schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=analyzer), text=TEXT(analyzer=analyzer))
    folder.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(folder), schema)
    with ix.writer(limitmb=128) as writer:
        for doc in documents:
            writer.add_document(id=doc.id, title=doc.title, text=doc.text)


def baseline_query(text: str, schema: Schema) -> Query | None:
    """Every analysed word of ``text`` in every field, OR-ed; None when no word is left."""
    words = [token.text for token in schema["text"].analyzer(text, mode="query")]
    clauses = [Term(field, word) for word in dict.fromkeys(words) for field in FIELDS]
    return Or(clauses) if clauses else None


def run_baseline(folder: Path, queries: Mapping[str, str], depth: int) -> dict[str, list[str]]:
    """Each query's top ``depth`` document ids, best first."""
    ix = whoosh_index.open_dir(str(folder))
    run: dict[str, list[str]] = {}
    with ix.searcher(weighting=BM25F()) as searcher:
        for qid, text in queries.items():
            query = baseline_query(text, ix.schema)
            hits = searcher.search(query, limit=depth) if query is not None else []
            run[qid] = [hit["id"] for hit in hits]
    return run
