"""refbot's side of ``refbot eval``: index the corpus as a catalog, answer each query as the desk would.

The corpus becomes a CSV export (``title`` → title, ``text`` → summary, ``metadata.authors`` →
authors) and goes through :func:`refbot.catalog.index.build_index`, the cataloger's own path.
Each query is read by :func:`refbot.pipeline.parse.parse_need`, searched with
:class:`refbot.catalog.search.CatalogIndex` and ordered by :func:`refbot.pipeline.rank.rank`,
with the catalog as the only source (no network).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from refbot.catalog.index import build_index
from refbot.catalog.query import QueryOptions
from refbot.catalog.record import SOURCE_NAME
from refbot.catalog.search import CatalogIndex
from refbot.config import MatchSettings
from refbot.evaluation.collection import Document
from refbot.models import InformationNeed
from refbot.pipeline.parse import parse_need
from refbot.pipeline.rank import rank

UNTITLED = "[untitled]"
"""The title a document without one is catalogued under (a catalog record needs a title)."""


def write_export(documents: Iterable[Document], path: Path) -> int:
    """The corpus as a catalog CSV export; returns how many rows were written."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "title", "authors", "summary"])
        for doc in documents:
            authors = "; ".join(a.replace(";", ",") for a in doc.authors)
            writer.writerow([doc.id, _one_line(doc.title) or UNTITLED, authors, _one_line(doc.text)])
            count += 1
    return count


def build_catalog(documents: Iterable[Document], folder: Path) -> Path:
    """Build a catalog index of the corpus under ``folder``; returns the index directory."""
    export = folder / "corpus.csv"
    write_export(documents, export)
    index_dir = folder / "catalog"
    logging.getLogger("refbot.catalog").setLevel(logging.WARNING)
    build_index([export], index_dir, keep=1, max_reject_ratio=1.0)
    return index_dir


def run_refbot(
    index_dir: Path,
    queries: Mapping[str, str],
    depth: int,
    *,
    match: MatchSettings,
    options: QueryOptions,
    current_year: int,
    read: Callable[[str], InformationNeed] | None = None,
) -> dict[str, list[str]]:
    """Each query's top ``depth`` record ids after parse → catalog search → rank."""
    index = CatalogIndex(index_dir, options=options)
    understand = read or (lambda text: parse_need(text, "en", current_year=current_year))
    run: dict[str, list[str]] = {}
    try:
        for qid, text in queries.items():
            need = understand(text)
            found = index.search(need, limit=depth)
            ranked = rank(need, {SOURCE_NAME: found}, match, depth)
            run[qid] = [r.candidate.source_id for r in ranked]
    finally:
        index.close()
    return run


def _one_line(text: str) -> str:
    return " ".join(text.split())
