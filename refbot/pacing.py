"""A token bucket shared out among the workers of a deployment (Crossref's rate limit, WhatsApp's pace)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """A token bucket of ``limit`` starts per ``interval`` seconds, retunable, shared out among workers.

    The limits refbot keeps are for the whole deployment however many workers it runs —
    Crossref's per client, WhatsApp's per sending number: with a share of N (:meth:`set_share`,
    N live workers) a bucket allows ``limit / N`` per ``interval``.
    """

    def __init__(self, limit: float, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = asyncio.Lock()
        self._not_before = 0.0
        self.limit, self.interval = max(limit, 0.001), max(interval, 0.001)
        self.share = 1
        self._tokens = float(self.limit)
        self._stamp = clock()

    @property
    def allowed(self) -> float:
        """Starts this bucket allows per ``interval``: its share of the limit."""
        return self.limit / self.share

    def update(self, limit: float, interval: float) -> None:
        """Adopt the pace Crossref announces (``X-Rate-Limit-Limit`` per ``X-Rate-Limit-Interval``)."""
        if (limit, interval) == (self.limit, self.interval) or limit < 1 or interval <= 0:
            return
        self._refill()
        self.limit, self.interval = limit, interval
        self._tokens = min(self._tokens, self._capacity())

    def set_share(self, workers: int) -> None:
        """Take one share of the limit among ``workers`` processes (at least 1) that each draw on it."""
        workers = max(workers, 1)
        if workers == self.share:
            return
        self._refill()
        self.share = workers
        self._tokens = min(self._tokens, self._capacity())

    def hold(self, seconds: float) -> None:
        """Start nothing for ``seconds`` (a 429's Retry-After applies to every caller)."""
        self._not_before = max(self._not_before, self._clock() + seconds)

    def wait_needed(self) -> float:
        """Seconds the next start would have to wait, ignoring others already waiting."""
        self._refill()
        # Within a rounding error of a whole token is a token: a pause of 1e-17 s would never end.
        refill = 0.0 if self._tokens >= 1 - 1e-9 else (1 - self._tokens) * self.interval / self.allowed
        return max(refill, self._not_before - self._clock(), 0.0)

    async def acquire(self) -> None:
        """Wait for the right to start one more; waiters are served in arrival order."""
        async with self._lock:
            # Each pause ends when a token is due; a hold set meanwhile is seen on the next pass.
            pause = self.wait_needed()
            while pause > 0:
                await asyncio.sleep(pause)
                pause = self.wait_needed()
            self._tokens -= 1

    def _capacity(self) -> float:
        # A bucket must hold at least one token, or a share below one start per interval never starts any.
        return max(self.allowed, 1.0)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity(), self._tokens + (now - self._stamp) * self.allowed / self.interval)
        self._stamp = now
