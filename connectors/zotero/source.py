"""The store's copy of a Zotero library, searched as a refbot Source — no network per question.

Items are analysed with the catalog's bilingual analyser (Indonesian roots, English stems),
so "pengelolaan perpustakaan" finds a guide titled "Mengelola perpustakaan". A term weighs
most in the title, then in the names of the collections (subject guides) the item is in and
its tags, then in its creators and abstract. The analysed copy is rebuilt only when a sync
has moved the library's version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from connectors.zotero.items import SOURCE_NAME, item_to_candidate
from refbot.catalog.analysis import analyze, catalog_analyzer
from refbot.errors import SourceError
from refbot.models import Candidate, InformationNeed
from refbot.store import Store

FIELD_WEIGHTS: Mapping[str, float] = {"title": 3.0, "guides": 2.0, "tags": 2.0, "creators": 1.0, "abstract": 1.0}
PHRASE_BONUS = 2.0


@dataclass(frozen=True)
class _Entry:
    candidate: Candidate
    fields: Mapping[str, frozenset[str]]


class ZoteroSource:
    """Searches the copy of one Zotero library; implements :class:`refbot.ports.Source`."""

    name = SOURCE_NAME

    def __init__(self, store: Store, library: str) -> None:
        """Search ``library`` ("groups/2501") as copied into ``store`` by :class:`ZoteroSync`."""
        self._store = store
        self.library = library
        self._analyzer = catalog_analyzer()
        self._entries: list[_Entry] = []
        self._version: int | None = None
        self._lock = asyncio.Lock()

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        """The copied items that best match the need.

        Raises:
            SourceError: the library has never been copied because Zotero could not be read.
        """
        entries = await self._current()
        if not entries or not need.terms:
            return []
        stems, phrases = await asyncio.to_thread(self._stems, need)
        scored = [(score, e) for e in entries if (score := _score(e, stems, phrases)) > 0]
        scored.sort(key=lambda pair: (-pair[0], pair[1].candidate.title))
        return [
            _with_rank(e.candidate, rank, score) for rank, (score, e) in enumerate(scored[:limit], start=1)
        ]

    async def _current(self) -> list[_Entry]:
        state = await self._store.zotero_state(self.library)
        if state is None or state.synced_at is None:
            if state is not None and state.error:
                raise SourceError(self.name, f"the library has not been copied yet ({state.error})")
            return []
        async with self._lock:
            if self._version != state.version:
                self._entries = await self._load()
                self._version = state.version
        return self._entries

    async def _load(self) -> list[_Entry]:
        names = await self._store.zotero_collection_names(self.library)
        items = await self._store.zotero_item_data(self.library)
        return await asyncio.to_thread(lambda: [self._entry(i, names) for i in items])

    def _entry(self, data: dict[str, Any], names: Mapping[str, str]) -> _Entry:
        guides = [names[k] for k in data.get("collections", []) if k in names]
        c = item_to_candidate(data, guides)
        tags = [t.get("tag", "") for t in data.get("tags", []) if isinstance(t, dict)]
        fields = {
            "title": self._set(c.title),
            "guides": self._set(" ".join(guides)),
            "tags": self._set(" ".join(tags)),
            "creators": self._set(" ".join(c.authors)),
            "abstract": self._set(c.abstract),
        }
        return _Entry(c, fields)

    def _set(self, text: str) -> frozenset[str]:
        return frozenset(analyze(self._analyzer, text))

    def _stems(self, need: InformationNeed) -> tuple[list[tuple[str, float]], list[frozenset[str]]]:
        stems = [(stem, t.weight) for t in need.terms for stem in analyze(self._analyzer, t.text)]
        phrases = [frozenset(analyze(self._analyzer, p)) for p in need.phrases]
        return stems, [p for p in phrases if len(p) > 1]


def _score(entry: _Entry, stems: list[tuple[str, float]], phrases: list[frozenset[str]]) -> float:
    score = sum(weight * w for stem, w in stems for f, weight in FIELD_WEIGHTS.items() if stem in entry.fields[f])
    if score and any(phrase <= entry.fields["title"] for phrase in phrases):
        score += PHRASE_BONUS
    return score


def _with_rank(c: Candidate, rank: int, score: float) -> Candidate:
    return replace(c, source_rank=rank, source_score=round(score, 3))
