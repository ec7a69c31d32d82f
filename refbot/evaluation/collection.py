"""A test collection in the BEIR layout: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``.

Each corpus line is ``{"_id", "title", "text", "metadata": {"authors": [...]}}``; each query
line ``{"_id", "text"}``; the qrels file is tab-separated ``query-id, corpus-id, score`` with
a header line. Nothing here knows any particular collection.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refbot.errors import RefbotError


class CollectionError(RefbotError):
    """A collection folder is missing a file or holds one that cannot be read."""


@dataclass(frozen=True)
class Document:
    """One corpus entry."""

    id: str
    title: str
    text: str
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Collection:
    """Documents, the judged queries, and the judgments.

    Attributes:
        documents: every corpus entry, in file order.
        queries: query id → text, only for queries that have at least one relevant document.
        qrels: query id → {document id: grade}.
    """

    documents: tuple[Document, ...]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_collection(folder: Path | str, split: str = "test") -> Collection:
    """Read a BEIR-layout folder.

    Raises:
        CollectionError: a file is missing, or a line is not what the layout says.
    """
    folder = Path(folder)
    qrels = _read_qrels(_need(folder / "qrels" / f"{split}.tsv"))
    documents = tuple(_document(row, path) for row, path in _jsonl(_need(folder / "corpus.jsonl")))
    texts = {str(row["_id"]): str(row.get("text", "")) for row, _ in _jsonl(_need(folder / "queries.jsonl"))}
    judged = {qid: texts[qid] for qid, docs in qrels.items() if qid in texts and any(g > 0 for g in docs.values())}
    return Collection(documents=documents, queries=judged, qrels=qrels)


def check_layout(folder: Path | str, split: str = "test") -> None:
    """Check that a folder holds the BEIR layout's files, without reading them.

    Raises:
        CollectionError: a file is missing.
    """
    folder = Path(folder)
    for path in (folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv"):
        _need(path)


def _need(path: Path) -> Path:
    if not path.is_file():
        raise CollectionError(f"{path} is missing (expected the BEIR layout: corpus.jsonl, queries.jsonl, qrels/)")
    return path


def _jsonl(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise CollectionError(f"{path}:{number}: not JSON ({error.msg})") from None
            if not isinstance(row, dict) or "_id" not in row:
                raise CollectionError(f"{path}:{number}: expected an object with an _id")
            yield row, f"{path}:{number}"


def _document(row: dict[str, Any], where: str) -> Document:
    metadata = row.get("metadata") or {}
    authors = metadata.get("authors", ()) if isinstance(metadata, dict) else ()
    if isinstance(authors, str):
        authors = [authors]
    return Document(
        id=str(row["_id"]),
        title=str(row.get("title") or ""),
        text=str(row.get("text") or ""),
        authors=tuple(str(a) for a in authors if str(a).strip()),
    )


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as stream:
        for number, row in enumerate(csv.reader(stream, delimiter="\t"), start=1):
            if not row or (number == 1 and not row[-1].strip().lstrip("-").isdigit()):
                continue  # blank line, or the header
            if len(row) < 3:
                raise CollectionError(f"{path}:{number}: expected query-id, corpus-id, score")
            try:
                grade = int(float(row[2]))
            except ValueError:
                raise CollectionError(f"{path}:{number}: score is not a number: {row[2]!r}") from None
            qrels.setdefault(row[0].strip(), {})[row[1].strip()] = grade
    return qrels
