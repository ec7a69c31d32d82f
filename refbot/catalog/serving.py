"""One catalog generation, built once, served by every node.

Several web and worker processes ("nodes", on one machine or many) share one store. A build
(``refbot index build|update|delete|serve``) records its generation there; each node's
:class:`GenerationFollower` reads that record every few seconds while the node searches, tells
its :class:`~refbot.catalog.search.CatalogIndex` to follow it, and reports what the node
serves, so ``refbot index status`` shows who is behind::

    served_indexes   library → generation, set_at, set_by        (written by the index commands)
    node_indexes     node, library → generation, seen_at         (written by each node)

A node switches as soon as the recorded generation's folder is in its ``catalog.index_dir``
(a shared path, or a copy); until then it keeps serving the one it has, and says so. Without a
record (a single machine that has not built since) CURRENT is followed as it always was.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from refbot.catalog.generations import MANIFEST
from refbot.catalog.search import CatalogIndex
from refbot.store import Store
from refbot.store.indexes import NodeIndex, ServedIndex

log = logging.getLogger(__name__)

LIBRARY = "default"
"""The one library's id, until refbot serves several."""
FOLLOW_EVERY = 10.0
"""Seconds between a node's looks at the served generation (only while it searches)."""
REPORT_EVERY = 60.0
"""Seconds after which a node reports again even when nothing changed."""
FORGET_NODES_AFTER = 7 * 86400.0
"""Reports older than this are dropped when a generation is recorded (a restarted process is a new node)."""


def node_name() -> str:
    """This process as a node: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class GenerationFollower:
    """Keeps one node's catalog index on the generation the store says to serve."""

    def __init__(
        self,
        index: CatalogIndex,
        store: Store,
        *,
        node: str | None = None,
        library: str = LIBRARY,
        every: float = FOLLOW_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.index = index
        self.store = store
        self.node = node or node_name()
        self.library = library
        self.every = every
        self._clock = clock
        self._due = 0.0
        self._reported: tuple[str, float] | None = None
        self._reported_at = 0.0
        self._warned: str | None = None

    async def check(self) -> None:
        """Follow the store's record if the last look is ``every`` seconds old; a failing store is logged, not raised."""
        now = self._clock()
        if now < self._due:
            return
        self._due = now + self.every  # set first: searches arriving meanwhile do not look too
        try:
            await self.refresh()
        except Exception:  # the store unreachable for a moment: keep serving what is open
            log.warning("could not read the served catalog generation; still serving %s",
                        self.index.generation, exc_info=True)

    async def refresh(self) -> str | None:
        """Read the served generation, switch to it when it is here, and report what this node serves.

        Returns:
            the generation this node now serves (None: none at all).
        """
        served = await self.store.served_index(self.library)
        wanted = served.generation if served else None
        before = self.index.generation
        serving = await asyncio.to_thread(self.index.follow, wanted)
        if served is None:
            return serving  # nothing recorded: CURRENT, as on a single machine
        if serving != before and serving is not None:
            log.info("serving catalog generation %s", serving)
        if serving != served.generation and self._warned != served.generation:
            self._warned = served.generation
            log.warning("catalog generation %s is the one to serve, but it is not in %s on this node yet"
                        " (or cannot be opened); still serving %s", served.generation, self.index.index_dir,
                        serving or "nothing")
        await self._report(serving or "", served.set_at)
        return serving

    async def _report(self, serving: str, set_at: float) -> None:
        now = self._clock()
        if self._reported == (serving, set_at) and now < self._reported_at + REPORT_EVERY:
            return
        await self.store.report_node_index(self.node, self.library, serving)
        self._reported, self._reported_at = (serving, set_at), now


async def record_served(store: Store, generation: str, set_by: str) -> ServedIndex:
    """Make ``generation`` the one every node serves, and drop reports of nodes long gone."""
    served = await store.record_served_index(LIBRARY, generation, set_by)
    await store.forget_node_indexes_before(served.set_at - FORGET_NODES_AFTER)
    return served


async def served_generation(store: Store) -> str | None:
    """The generation the store says to serve, or None when none is recorded."""
    served = await store.served_index(LIBRARY)
    return served.generation if served else None


async def serving_status(store: Store, index_dir: Path) -> dict[str, Any]:
    """The served generation and every node's report, for ``refbot index status``.

    ``served`` is None when no generation is recorded; otherwise it has ``generation``,
    ``set_at``, ``set_by`` and ``here`` (whether its folder is in ``index_dir`` on this
    machine). Each of ``nodes`` has ``node``, ``generation`` (empty: nothing served),
    ``seen_at``, ``behind`` and ``state``: ``current``; ``missing`` (it looked after the
    generation was recorded, and lacks it); or ``unchecked`` (it has not searched since, and
    switches at its next search).
    """
    served = await store.served_index(LIBRARY)
    nodes = await store.node_indexes(LIBRARY)
    if served is None:
        return {"served": None, "nodes": [_node(n, None) for n in nodes]}
    return {
        "served": {
            "generation": served.generation,
            "set_at": served.set_at,
            "set_by": served.set_by,
            "here": (index_dir / served.generation / MANIFEST).is_file(),
        },
        "nodes": [_node(n, served) for n in nodes],
    }


def _node(node: NodeIndex, served: ServedIndex | None) -> dict[str, Any]:
    if served is None or node.generation == served.generation:
        state = "current"
    else:
        state = "missing" if node.seen_at >= served.set_at else "unchecked"
    return {"node": node.node, "generation": node.generation, "seen_at": node.seen_at,
            "behind": state != "current", "state": state}
