"""Searching the catalog index: the blocking :class:`CatalogIndex` and the async :class:`CatalogSource`.

``CatalogIndex`` serves whatever generation CURRENT names. Before each search it stats the
CURRENT file (cheap); when the file has changed — a build switched generations, or an update
rewrote it — the index is reopened. Searches already running keep the searcher they started
with, which is closed when the last of them finishes.

Whoosh searchers are not shared between threads: each generation keeps a small pool, and a
search borrows one for its duration. A search plans its query (:mod:`refbot.catalog.query`),
runs it — feedback's first search too — on :class:`refbot.catalog.execution.Execution`, and
reads the stored record of only the hits it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.scoring import BM25F

from refbot.catalog.execution import Execution, GenerationCache
from refbot.catalog.generations import CURRENT
from refbot.catalog.maintenance import NOT_BUILT
from refbot.catalog.query import QueryOptions, plan_query
from refbot.catalog.record import SOURCE_NAME, CatalogRecord
from refbot.errors import CatalogError, SourceError, SourceTimeout
from refbot.models import Candidate, InformationNeed

_Stamp = tuple[int, int, int]


class _Generation:
    """One opened generation and its pool of searchers."""

    def __init__(self, path: Path, stamp: _Stamp) -> None:
        self.name = path.name
        self.stamp = stamp
        self._ix = whoosh_index.open_dir(str(path))
        self.cache = GenerationCache()
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._retired = False

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Any]:
        """Borrow a searcher for the length of one search."""
        with self._lock:
            searcher = self._idle.pop() if self._idle else None
        if searcher is None:
            searcher = self._ix.searcher(weighting=BM25F())
        try:
            yield searcher
        finally:
            with self._lock:
                keep = not self._retired
                if keep:
                    self._idle.append(searcher)
            if not keep:
                searcher.close()

    def retire(self) -> None:
        """Close idle searchers now; busy ones close when their search ends."""
        with self._lock:
            self._retired = True
            idle, self._idle = self._idle, []
        for searcher in idle:
            searcher.close()


class CatalogIndex:
    """The catalog index in ``index_dir``, following CURRENT as it changes.

    ``options`` chooses the query techniques (:class:`refbot.catalog.query.QueryOptions`);
    by default all of them are on.
    """

    def __init__(self, index_dir: Path | str, options: QueryOptions | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.options = options or QueryOptions()
        self._lock = threading.Lock()
        self._generation: _Generation | None = None

    @property
    def generation(self) -> str | None:
        """The generation last opened, if any."""
        return self._generation.name if self._generation else None

    def search(self, need: InformationNeed, limit: int = 20) -> list[Candidate]:
        """The best-matching records for a need, best first, as candidates.

        Raises:
            CatalogError: no index has been built, or it cannot be read.
        """
        try:
            return self._search_once(need, limit)
        except (OSError, whoosh_index.IndexError) as error:
            # The generation may have been pruned under us between the stat and the open.
            self._reopen(force=True)
            try:
                return self._search_once(need, limit)
            except (OSError, whoosh_index.IndexError) as again:
                raise CatalogError(f"the catalog index in {self.index_dir} cannot be read: {again}") from error

    def close(self) -> None:
        """Close every searcher this index holds."""
        with self._lock:
            generation, self._generation = self._generation, None
        if generation is not None:
            generation.retire()

    def _search_once(self, need: InformationNeed, limit: int) -> list[Candidate]:
        generation = self._current()
        with generation.searcher() as searcher:
            execution = Execution(searcher, generation.cache)
            query = plan_query(need, searcher, self.options, execution.top)
            if query is None:
                return []
            best = execution.top(query, limit)
            # Only the records shown are read from the stored fields.
            return [_candidate(searcher.stored_fields(docnum)["record"], score, rank) for rank, (docnum, score) in enumerate(best, start=1)]

    def _current(self) -> _Generation:
        generation = self._generation
        if generation is not None and generation.stamp == self._stamp():
            return generation
        return self._reopen(force=False)

    def _reopen(self, force: bool) -> _Generation:
        with self._lock:
            stamp = self._stamp()
            old = self._generation
            if old is not None and old.stamp == stamp and not force:
                return old  # another thread reopened it while we waited
            name = (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
            self._generation = _Generation(self.index_dir / name, stamp)
        if old is not None:
            old.retire()
        return self._generation

    def _stamp(self) -> _Stamp:
        try:
            st = os.stat(self.index_dir / CURRENT)
        except FileNotFoundError:
            raise CatalogError(f"{NOT_BUILT} (no {CURRENT} in {self.index_dir})") from None
        return (st.st_ino, st.st_mtime_ns, st.st_size)


def _candidate(record: str, score: float, rank: int) -> Candidate:
    return CatalogRecord.from_json(record).to_candidate(score=score, rank=rank)


class CatalogSource:
    """The catalog as a search source: the blocking search runs in a thread, under a time budget."""

    name = SOURCE_NAME

    def __init__(self, index: CatalogIndex, timeout: float) -> None:
        self.index = index
        self.timeout = timeout

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        """Search the catalog for a need.

        Raises:
            SourceTimeout: the search took longer than the timeout.
            SourceError: the index is missing or cannot be read.
        """
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.index.search, need, limit), self.timeout)
        except TimeoutError:
            raise SourceTimeout(self.name, f"no answer within {self.timeout:g} s") from None
        except CatalogError as error:
            raise SourceError(self.name, str(error)) from error
        except Exception as error:
            # Whatever else Whoosh raises, a failing catalog must become a note on the
            # draft, never a failed question.
            raise SourceError(self.name, f"search failed: {type(error).__name__}: {error}") from error
