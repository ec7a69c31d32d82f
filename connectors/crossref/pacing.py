"""Keeping refbot a polite Crossref client however many questions arrive at once.

Three pieces, each shared by every question a source serves:

* :class:`Gate` — at most N requests in flight, each in a thread of a pool of N. A request
  abandoned by its question (the time budget ran out) keeps its slot until its thread really
  ends, so Crossref never sees more than N connections from refbot.
* :class:`RateLimiter` — a token bucket: at most ``limit`` request starts per ``interval``,
  as Crossref's ``X-Rate-Limit-Limit`` / ``X-Rate-Limit-Interval`` headers ask, divided among
  the live workers, and nothing at all while a 429's ``Retry-After`` is running.
* :class:`SingleFlight` — questions asking the very same thing at the same time share one
  request instead of sending one each.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from refbot.pacing import TokenBucket as RateLimiter

T = TypeVar("T")

__all__ = ["Gate", "RateLimiter", "SingleFlight"]


class Gate:
    """At most ``limit`` blocking calls running at once, in a pool of their own."""

    def __init__(self, limit: int, name: str = "crossref") -> None:
        self.limit = max(limit, 1)
        self._slots = asyncio.Semaphore(self.limit)
        self._name = name
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.in_flight = 0
        self.peak = 0

    async def run(self, fn: Callable[..., T], *args: Any, before: Callable[[], Awaitable[None]] | None = None) -> T:
        """Run ``fn(*args)`` in the pool once a slot is free; the slot is held until it returns.

        ``before`` is awaited once the slot is held, just before the call starts (a rate limiter).
        """
        await self._slots.acquire()
        loop = asyncio.get_running_loop()
        try:
            if before is not None:
                await before()
            future = self._executor().submit(fn, *args)
        except BaseException:
            self._slots.release()
            raise
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        future.add_done_callback(lambda _: self._release_from_thread(loop))
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Let the pool's threads end; calls still running finish on their own."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(self.limit, thread_name_prefix=self._name)
        return self._pool

    def _release_from_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed while the call ran on
            loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        self.in_flight -= 1
        self._slots.release()


class SingleFlight:
    """Concurrent callers asking under one key share one running call.

    The shared call runs as its own task: a caller that gives up (its question's budget ran
    out) stops waiting, but the call goes on for the others, and its result still reaches
    whatever the call itself does with it (the cache).
    """

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Task[Any]] = {}
        self.shared = 0

    async def run(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """The result of ``make()``, or of the call already running under ``key``."""
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            self._running[key] = task
            task.add_done_callback(lambda t: self._forget(key, t))
        else:
            self.shared += 1
        return await asyncio.shield(task)

    def _forget(self, key: str, task: asyncio.Task[Any]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        # Nobody may be left waiting; reading the outcome keeps asyncio from calling it lost.
        with contextlib.suppress(asyncio.CancelledError):
            task.exception()
