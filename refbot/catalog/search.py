"""Searching the catalog index: the blocking :class:`CatalogIndex` and the async :class:`CatalogSource`.

``CatalogIndex`` serves whatever generation CURRENT names. Before each search it stats the
CURRENT file (cheap); when the file has changed — a build switched generations, or an update
rewrote it — the index is reopened. Searches already running keep the searcher they started
with, which is closed when the last of them finishes.

Where the store records a served generation (several nodes, one build), the index is told to
:meth:`~CatalogIndex.follow` it instead (:mod:`refbot.catalog.serving`): it then stats that
generation's ``manifest.json`` — rewritten by an update, or by a fresh copy — and keeps
serving the generation it has open while the recorded one is not (yet) in ``index_dir``.

Whoosh searchers are not shared between threads: each generation keeps a small pool, and a
search borrows one for its duration. A search plans its query (:mod:`refbot.catalog.query`),
runs it — feedback's first search too — on :class:`refbot.catalog.execution.Execution`, and
reads the stored record of only the hits it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import index as whoosh_index
from whoosh.scoring import BM25F

from refbot.catalog import neighbours
from refbot.catalog.execution import Execution, GenerationCache
from refbot.catalog.generations import CURRENT, MANIFEST
from refbot.catalog.maintenance import NOT_BUILT
from refbot.catalog.proximity import rerank
from refbot.catalog.query import Plan, QueryOptions, plan
from refbot.catalog.record import SOURCE_NAME, CatalogRecord
from refbot.errors import CatalogError, SourceError, SourceTimeout
from refbot.models import Candidate, InformationNeed

if TYPE_CHECKING:
    from refbot.catalog.serving import GenerationFollower

log = logging.getLogger(__name__)

_Stamp = tuple[int, int, int, int]
_RETRY_UNOPENABLE = 30.0


class _Generation:
    """One opened generation and its pool of searchers."""

    def __init__(self, path: Path, stamp: _Stamp) -> None:
        self.name = path.name
        self.stamp = stamp
        self._ix = whoosh_index.open_dir(str(path))
        self.cache = GenerationCache()
        self.words = neighbours.RecordWords()
        # Opened now, so a generation whose files are incomplete (a copy still arriving) fails
        # here, where the one being served can be kept, rather than in a search.
        self._idle: list[Any] = [self._ix.searcher(weighting=BM25F())]
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
    """The catalog index in ``index_dir``, following CURRENT — or the generation it is told to follow — as it changes.

    ``options`` chooses the query techniques (:class:`refbot.catalog.query.QueryOptions`);
    by default all of them are on.
    """

    def __init__(self, index_dir: Path | str, options: QueryOptions | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.options = options or QueryOptions()
        self._lock = threading.Lock()
        self._generation: _Generation | None = None
        self._followed: str | None = None
        self._unopenable: tuple[_Stamp, float] | None = None
        """The stamp of a generation that failed to open, and when to try it again."""

    @property
    def generation(self) -> str | None:
        """The generation last opened, if any."""
        return self._generation.name if self._generation else None

    def follow(self, name: str | None) -> str | None:
        """Serve generation ``name`` — the one the store records — from now on; None: follow CURRENT.

        While ``name`` is not in ``index_dir`` (its folder not copied to this node yet) or
        cannot be opened, the generation already open stays served; with none open, the one
        CURRENT names is.

        Returns:
            the generation now served, or None when there is none to serve.
        """
        self._followed = name
        try:
            return self._current().name
        except CatalogError:  # nothing built here, nothing open
            return self.generation
        except Exception as error:  # nothing open, and what there is cannot be opened
            log.warning("the catalog index in %s cannot be opened: %s: %s", self.index_dir, type(error).__name__, error)
            return self.generation

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
            planned = plan(need, searcher, self.options, execution.top)
            if planned is None:
                return []
            regularised = self.options.neighbours and self.options.neighbour_weight > 0
            best = execution.top(planned.query, max(limit, neighbours.POOL) if regularised else limit)
            # Only the records shown (and, with neighbours, the first hundred) are read from the stored fields.
            stored = [searcher.stored_fields(docnum) for docnum, _ in best]
            ordered = self._reorder(planned, best, stored, searcher)
            if regularised:
                ordered = neighbours.rerank(ordered, stored, searcher, generation.words, self.options.neighbour_weight)
            return [_candidate(stored[i]["record"], score, rank)
                    for rank, (_, score, i) in enumerate(ordered[:limit], start=1)]

    def _reorder(self, planned: Plan, best: list[tuple[int, float]], stored: list[dict[str, Any]], searcher: Any) -> list[tuple[int, float, int]]:
        """The results reordered by proximity when it is on; (document, score, index into ``stored``)."""
        share = self.options.proximity_weight if self.options.proximity else 0.0
        if share <= 0:
            return [(docnum, score, i) for i, (docnum, score) in enumerate(best)]
        weights = {w.word: w.weight for w in planned.words}
        telling = {w.word: t for w, t in zip(planned.words, planned.telling, strict=True)}
        return rerank(best, stored, weights, telling, searcher.schema["summary"].analyzer, share)

    def _current(self) -> _Generation:
        generation = self._generation
        if generation is not None:
            wanted = self._locate(generation)
            if wanted is None or wanted[1] == generation.stamp or self._skip(wanted[1]):
                return generation
        return self._reopen(force=False)

    def _reopen(self, force: bool) -> _Generation:
        with self._lock:
            old = self._generation
            wanted = self._locate(old)
            if wanted is None or (old is not None and not force and (wanted[1] == old.stamp or self._skip(wanted[1]))):
                assert old is not None  # _locate keeps what is open only when something is
                return old  # nothing new, or another thread reopened it while we waited
            path, stamp = wanted
            try:
                self._generation = _Generation(path, stamp)
            except Exception as error:
                if old is None or self._followed is None:
                    raise
                # A copy still arriving, or a broken one: never stop serving what was served.
                again = self._unopenable is not None and self._unopenable[0] == stamp
                self._unopenable = (stamp, time.monotonic() + _RETRY_UNOPENABLE)
                log.log(logging.DEBUG if again else logging.WARNING,
                        "catalog generation %s in %s cannot be opened (%s: %s); still serving %s",
                        path.name, self.index_dir, type(error).__name__, error, old.name)
                return old
        if old is not None:
            old.retire()
        return self._generation

    def _skip(self, stamp: _Stamp) -> bool:
        """Whether ``stamp`` failed to open a moment ago (tried again every :data:`_RETRY_UNOPENABLE` s)."""
        failed = self._unopenable
        return failed is not None and failed[0] == stamp and time.monotonic() < failed[1]

    def _locate(self, serving: _Generation | None) -> tuple[Path, _Stamp] | None:
        """The generation to serve and its stamp; None: keep serving the one open.

        Raises:
            CatalogError: nothing is open and no index has been built.
        """
        if self._followed is not None:
            path = self.index_dir / self._followed
            try:
                return path, _stat(path / MANIFEST)
            except FileNotFoundError:  # not on this node yet
                if serving is not None:
                    return None
        try:
            stamp = _stat(self.index_dir / CURRENT)
        except FileNotFoundError:
            raise CatalogError(f"{NOT_BUILT} (no {CURRENT} in {self.index_dir})") from None
        name = (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        return self.index_dir / name, stamp


def _stat(path: Path) -> _Stamp:
    # ctime too: a copy keeps the original's mtime (cp -p, rsync -a) and may land on a freed inode.
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


def _candidate(record: str, score: float, rank: int) -> Candidate:
    return CatalogRecord.from_json(record).to_candidate(score=score, rank=rank)


class CatalogSource:
    """The catalog as a search source: the blocking search runs in a thread, under a time budget.

    With a ``follower``, each search first lets it look (every few seconds at most) which
    generation the store says to serve.
    """

    name = SOURCE_NAME

    def __init__(self, index: CatalogIndex, timeout: float, follower: GenerationFollower | None = None) -> None:
        self.index = index
        self.timeout = timeout
        self.follower = follower

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        """Search the catalog for a need.

        Raises:
            SourceTimeout: the search took longer than the timeout.
            SourceError: the index is missing or cannot be read.
        """
        try:
            return await asyncio.wait_for(self._search(need, limit), self.timeout)
        except TimeoutError:
            raise SourceTimeout(self.name, f"no answer within {self.timeout:g} s") from None
        except CatalogError as error:
            raise SourceError(self.name, str(error)) from error
        except Exception as error:
            # Whatever else Whoosh raises, a failing catalog must become a note on the
            # draft, never a failed question.
            raise SourceError(self.name, f"search failed: {type(error).__name__}: {error}") from error

    async def _search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        if self.follower is not None:
            await self.follower.check()
        return await asyncio.to_thread(self.index.search, need, limit)
