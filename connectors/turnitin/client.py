"""HTTP to the Turnitin Core API: its headers, timeouts, retries and errors.

Every call carries ``Authorization: Bearer <key>`` (an API key from the tenant's Admin Console →
Integrations) and ``X-Turnitin-Integration-Name`` / ``X-Turnitin-Integration-Version``, as TCA
requires. Answers refbot retries here, within one call, a few times with growing waits:
a connection that fails or times out, 429 (waiting what ``Retry-After`` says, up to a cap) and
5xx. Anything else is a :class:`refbot.ports.SimilarityError` at once: 401/403 (a wrong or
revoked key), 404 (no such submission), 409 (the file was already uploaded, or the report is
already requested), 413 (too large), other 4xx. When retries run out the error is transient,
and the check is looked at again at the next chore.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from connectors._http import as_dict, as_text, parse_retry_after
from refbot.ports import SimilarityError

log = logging.getLogger(__name__)

API = "/api/v1"
ATTEMPTS = 3
MAX_RETRY_AFTER = 30.0
"""The longest ``Retry-After`` waited within a call; a longer one ends the call (the next chore tries again)."""
INTEGRATION_VERSION = "1.0"
_MEANING = {
    401: "Turnitin refused the API key (REFBOT_TURNITIN_API_KEY)",
    403: "the API key may not do this (check its integration scope)",
    404: "Turnitin does not know this submission",
    409: "Turnitin says this was done already",
    413: "the file is larger than Turnitin takes",
    415: "Turnitin does not take this type of file",
    429: "Turnitin asked refbot to slow down",
}


class TurnitinClient:
    """One tenant's API: ``base_url`` (``https://kampus.turnitin.com``) and its key."""

    def __init__(
        self, base_url: str, api_key: str, session: aiohttp.ClientSession, *, integration: str = "refbot",
        timeout: float = 30.0, backoff: float = 1.0,
    ) -> None:
        self.base = base_url.rstrip("/") + API
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.backoff = backoff
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "X-Turnitin-Integration-Name": integration,
            "X-Turnitin-Integration-Version": INTEGRATION_VERSION,
        }

    async def json(self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200, 201, 202)) -> dict[str, Any]:
        """Send JSON (or nothing), read JSON back."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        data = json.dumps(body).encode() if body is not None else None
        status, raw, _type = await self.call(method, path, data, headers, ok=ok)
        try:
            return as_dict(json.loads(raw or b"{}"))
        except ValueError as e:
            raise SimilarityError(f"{method} {path}: Turnitin answered {status} with no JSON", transient=True,
                                  status=status) from e

    async def upload(self, path: str, filename: str, data: bytes) -> None:
        """PUT a file as TCA takes it: the bytes, with its name in ``Content-Disposition``."""
        safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._- ") else "_" for ch in filename) or "naskah"
        headers = {"Content-Type": "binary/octet-stream", "Content-Disposition": f'inline; filename="{safe}"'}
        await self.call("PUT", path, data, headers, ok=(200, 201, 202))

    async def binary(self, path: str) -> bytes:
        """GET a file (a report's PDF)."""
        _status, raw, _type = await self.call("GET", path, None, {"Accept": "application/pdf, application/json"}, ok=(200,))
        return raw

    async def call(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str], *, ok: tuple[int, ...],
    ) -> tuple[int, bytes, str]:
        """One request, retried while the failure is transient; returns status, body and type.

        Raises:
            SimilarityError: refused, or still failing after the retries (then transient).
        """
        last: SimilarityError | None = None
        for attempt in range(ATTEMPTS):
            if attempt:
                await asyncio.sleep(self._wait(last, attempt))
            try:
                status, raw, kind, retry_after = await self._once(method, path, data, headers)
            except (aiohttp.ClientError, TimeoutError) as e:
                last = SimilarityError(f"{method} {path}: Turnitin unreachable ({type(e).__name__})", transient=True)
                continue
            if status in ok:
                return status, raw, kind
            last = _error(method, path, status, raw, retry_after)
            if not last.transient or (status == 429 and (retry_after or 0) > MAX_RETRY_AFTER):
                raise last
        assert last is not None
        raise last

    async def _once(self, method: str, path: str, data: bytes | None,
                    headers: dict[str, str]) -> tuple[int, bytes, str, float | None]:
        url = f"{self.base}{path}"
        async with self.session.request(method, url, data=data, headers={**self.headers, **headers},
                                        timeout=self.timeout) as response:
            raw = await response.read()
            return response.status, raw, response.content_type, parse_retry_after(response.headers.get("Retry-After", ""))

    def _wait(self, last: SimilarityError | None, attempt: int) -> float:
        if last is not None and last.retry_after is not None:
            return min(last.retry_after, MAX_RETRY_AFTER)
        return self.backoff * 2 ** (attempt - 1)


def _error(method: str, path: str, status: int, raw: bytes, retry_after: float | None) -> SimilarityError:
    """What an answer that is not success means, with Turnitin's own message when it gave one."""
    try:
        body = as_dict(json.loads(raw or b"{}"))
    except ValueError:
        body = {}
    said = as_text(body.get("message")) or as_text(body.get("error_code")) or as_text(body.get("error"))
    meaning = _MEANING.get(status, "Turnitin failed" if status >= 500 else "Turnitin refused the request")
    reason = f"{method} {path}: HTTP {status} — {meaning}" + (f" ({said[:200]})" if said else "")
    return SimilarityError(reason, transient=status == 429 or status >= 500, status=status, retry_after=retry_after)
