"""One request to DOAJ's public search API, with its timeout, its retries and what a failure means.

``GET {base}/search/journals/{query}`` (``base`` is ``https://doaj.org/api``: the current
version, v4; ``…/api/v3`` answers the same for journal searches) needs no key. A search DOAJ
finds nothing for is ``200`` with ``"total": 0``; a query it cannot parse is ``400`` with
``{"error": …}``. Tried again, a few times with growing waits but never past the caller's
patience: a connection that fails or times out, ``429`` (waiting what ``Retry-After`` says, up
to :data:`MAX_RETRY_AFTER`), ``5xx``, and a body that is not JSON (a proxy's page while DOAJ
is down). Anything else fails at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp

from connectors._http import as_dict, as_text, parse_retry_after
from refbot.errors import SourceError

log = logging.getLogger(__name__)

SOURCE = "doaj"
ATTEMPTS = 3
MAX_RETRY_AFTER = 5.0
"""The longest ``Retry-After`` waited; a longer one ends the lookup (the journal shows as unknown)."""


class DoajClient:
    """DOAJ's search API at ``base_url``, through the service's one HTTP session."""

    def __init__(
        self, base_url: str, session: aiohttp.ClientSession, *, timeout: float = 3.0, backoff: float = 0.25,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.backoff = backoff
        self.sleep = sleep

    async def search_journals(self, query: str) -> dict[str, Any]:
        """DOAJ's answer to a journal search (``issn:1907-4239``).

        Raises:
            SourceError: DOAJ refused the query, or still failed after the retries.
        """
        url = f"{self.base}/search/journals/{quote(query, safe=':')}"
        last: SourceError | None = None
        wait = 0.0
        for attempt in range(ATTEMPTS):
            if attempt:
                await self.sleep(wait)
            try:
                return await self._once(url)
            except _Retry as e:
                last, wait = e.error, e.wait if e.wait is not None else self.backoff * 2 ** attempt
                if wait > MAX_RETRY_AFTER:
                    break
        assert last is not None
        raise last

    async def _once(self, url: str) -> dict[str, Any]:
        try:
            async with self.session.get(url, timeout=self.timeout, headers={"Accept": "application/json"}) as response:
                raw = await response.read()
                status, retry_after = response.status, parse_retry_after(response.headers.get("Retry-After", ""))
        except (aiohttp.ClientError, TimeoutError) as e:
            raise _Retry(SourceError(SOURCE, f"unreachable ({type(e).__name__})"), None) from e
        if status == 429 or status >= 500:
            raise _Retry(SourceError(SOURCE, f"HTTP {status}"), retry_after)
        body = _json(raw)
        if status != 200:
            said = as_text(as_dict(body).get("error"))
            raise SourceError(SOURCE, f"HTTP {status}" + (f" ({said[:200]})" if said else ""))
        if not isinstance(body, dict):
            raise _Retry(SourceError(SOURCE, "answered with something that is not DOAJ's JSON"), None)
        return body


class _Retry(Exception):
    """A failure worth another try, after ``wait`` seconds (None: the usual backoff)."""

    def __init__(self, error: SourceError, wait: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
