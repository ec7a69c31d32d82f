"""refbot's side of ``refbot eval``: index the corpus as a catalog, answer each query as the desk would.

The corpus becomes a CSV export (``title`` → title, ``text`` → summary, ``metadata.authors`` →
authors) and goes through :func:`refbot.catalog.index.build_index`, the cataloger's own path.
Each query is read by :func:`refbot.pipeline.parse.parse_need`, searched with
:class:`refbot.catalog.search.CatalogIndex` and ordered by :func:`refbot.pipeline.rank.rank`,
with the catalog as the only source (no network). The baseline is built and run beside it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from refbot.catalog.index import build_index
from refbot.catalog.query import QueryOptions
from refbot.catalog.record import SOURCE_NAME
from refbot.catalog.search import CatalogIndex
from refbot.config import MatchSettings
from refbot.evaluation.baseline import build_baseline, run_baseline
from refbot.evaluation.collection import Collection, Document, load_collection
from refbot.evaluation.metrics import evaluate
from refbot.evaluation.plain import need_from_text
from refbot.models import InformationNeed
from refbot.pipeline.parse import parse_need
from refbot.pipeline.rank import rank

DEPTH = 100
"""How many records each query retrieves (MAP@100 and Recall@100 need a hundred)."""

UNTITLED = "[untitled]"
"""The title a document without one is catalogued under (a catalog record needs a title)."""

Reader = Callable[[str], InformationNeed]


@dataclass(frozen=True)
class Setup:
    """One way of running refbot: which techniques are on.

    Attributes:
        options: the catalog query techniques.
        match: the ranking weights.
        understanding: read queries with the pipeline's parser; off, every word of the query
            counts alike (the catalog's plain reader).
    """

    options: QueryOptions = field(default_factory=QueryOptions)
    match: MatchSettings = field(default_factory=MatchSettings)
    understanding: bool = True


TECHNIQUES: dict[str, str] = {
    "understanding": "reading the need: request phrasing out, repeated words weigh more",
    "term_selection": "terms merged by stem, the most telling kept (weight × idf), common words out",
    "field_weights": "fields balanced so a title, subject or summary match counts alike",
    "phrases": "extra score for a short need's words standing together",
    "expansion": "Indonesian ↔ English library vocabulary for subjects the catalog lacks in the patron's words",
    "feedback": "pseudo-relevance feedback (RM3) from a first search's best records",
    "sharp_feedback": "feedback: a first-search record counts by (its score / the best score) cubed, not its plain score",
    "combined_fields": "BM25F proper: a word's title, subject and summary matches saturate together, not each alone",
    "proximity": "results reordered by how near the need's words stand in each record (BM25TP)",
    "neighbours": "scores regularised: a record the other best records resemble rises (cluster hypothesis)",
    "similarity": "ranking: fuzzy similarity of the need to title, subjects and abstract",
}
"""Every technique ``refbot eval`` can switch on or off, and what it is."""


def is_on(setup: Setup, technique: str) -> bool:
    """Whether a technique is on in ``setup``.

    Raises:
        KeyError: the technique is not one of :data:`TECHNIQUES`.
    """
    if technique not in TECHNIQUES:
        raise KeyError(technique)
    if technique == "understanding":
        return setup.understanding
    if technique == "similarity":
        return setup.match.title_weight > 0
    return bool(getattr(setup.options, technique))


def switched(setup: Setup, technique: str, on: bool) -> Setup:
    """``setup`` with one technique switched on or off.

    Raises:
        KeyError: the technique is not one of :data:`TECHNIQUES`.
    """
    if is_on(setup, technique) == on:
        return setup
    if technique == "understanding":
        return dataclasses.replace(setup, understanding=on)
    if technique == "similarity":
        weight = MatchSettings().title_weight if on else 0.0
        return dataclasses.replace(setup, match=dataclasses.replace(setup.match, title_weight=weight))
    return dataclasses.replace(setup, options=dataclasses.replace(setup.options, **{technique: on}))


@dataclass(frozen=True)
class Outcome:
    """What one evaluation measured: each measure averaged over the judged queries."""

    refbot: dict[str, float]
    baseline: dict[str, float]
    documents: int
    queries: int
    seconds: float
    ablations: dict[str, dict[str, float]] = field(default_factory=dict)
    setup: Setup = field(default_factory=Setup)


def evaluate_folder(
    folder: Path | str,
    setup: Setup,
    *,
    split: str = "test",
    ablate: Sequence[str] = (),
    language: str = "id",
) -> Outcome:
    """Build both indexes in a temporary folder, run every judged query, measure both runs.

    Args:
        folder: a BEIR-layout collection.
        setup: how refbot runs.
        split: which qrels file to judge by (``qrels/<split>.tsv``).
        ablate: techniques to also measure switched the other way (off when on), one at a time.
        language: the default language the parser assumes.
    """
    started = time.monotonic()
    collection = load_collection(folder, split)
    with tempfile.TemporaryDirectory(prefix="refbot-eval-") as tmp:
        work = Path(tmp)
        index_dir = build_catalog(collection.documents, work / "refbot")
        build_baseline(collection.documents, work / "baseline")
        baseline = evaluate(run_baseline(work / "baseline", collection.queries, DEPTH), collection.qrels)
        refbot = _measure(index_dir, collection, setup, language)
        ablations = {
            name: _measure(index_dir, collection, switched(setup, name, not is_on(setup, name)), language)
            for name in ablate
        }
    return Outcome(
        refbot=refbot,
        baseline=baseline,
        documents=len(collection.documents),
        queries=len(collection.queries),
        seconds=time.monotonic() - started,
        ablations=ablations,
        setup=setup,
    )


def _measure(index_dir: Path, collection: Collection, setup: Setup, language: str) -> dict[str, float]:
    return evaluate(run_refbot(index_dir, collection.queries, setup, language=language), collection.qrels)


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
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "corpus.csv"
    write_export(documents, export)
    index_dir = folder / "catalog"
    build_index([export], index_dir, keep=1, max_reject_ratio=1.0)
    return index_dir


def run_refbot(
    index_dir: Path,
    queries: Mapping[str, str],
    setup: Setup,
    *,
    language: str = "id",
    current_year: int | None = None,
) -> dict[str, list[str]]:
    """Each query's top :data:`DEPTH` record ids after parse → catalog search → rank."""
    year = current_year or datetime.date.today().year
    read: Reader = (
        (lambda text: parse_need(text, language, current_year=year))
        if setup.understanding
        else (lambda text: need_from_text(text, language))
    )
    index = CatalogIndex(index_dir, options=setup.options)
    run: dict[str, list[str]] = {}
    try:
        for qid, text in queries.items():
            need = read(text)
            found = index.search(need, limit=DEPTH)
            ranked = rank(need, {SOURCE_NAME: found}, setup.match, DEPTH)
            run[qid] = [r.candidate.source_id for r in ranked]
    finally:
        index.close()
    return run


def _one_line(text: str) -> str:
    return " ".join(text.split())
