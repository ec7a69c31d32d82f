"""What the Crossref tests share: the stand-in on loopback, a client to steer it, needs, a clock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp

from connectors.crossref import CrossrefSource, RetryPolicy
from refbot.config import CrossrefSettings
from refbot.models import InformationNeed, Term
from refbot.store.cache import SourceCache

RECORDED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "crossref" / "habanero"
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2)


def need(*words: str, raw: str = "", **fields: Any) -> InformationNeed:
    return InformationNeed(raw=raw or " ".join(words), terms=tuple(Term(w) for w in words), **fields)


class Clock:
    """A store clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Standin:
    """The Crossref stand-in running on loopback, and a client to steer it."""

    url: str
    http: aiohttp.ClientSession

    def source(
        self,
        timeout: float = 3.0,
        retry: RetryPolicy = FAST_RETRY,
        cache: SourceCache | None = None,
        **settings: Any,
    ) -> CrossrefSource:
        base = replace(CrossrefSettings(), base_url=self.url, timeout=timeout, **settings)
        return CrossrefSource(base, retry=retry, cache=cache)

    async def fault(self, **fault: Any) -> None:
        async with self.http.post(f"{self.url}/_control", json=fault) as resp:
            assert resp.status == 200, await resp.text()

    async def stats(self) -> dict[str, Any]:
        async with self.http.get(f"{self.url}/_stats") as resp:
            return dict(await resp.json())

    async def requests(self) -> dict[str, int]:
        return dict((await self.stats())["requests"])
