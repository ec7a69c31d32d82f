"""pyzotero, made dependable: bounded time, honest errors, retries that honour Retry-After.

pyzotero is synchronous, so every operation runs in a worker thread (``asyncio.to_thread``).
Left to itself it misbehaves in three ways this module corrects:

* a 429 on a read makes it ``time.sleep`` the whole Retry-After inside the thread, up to three
  times; a 429 on ``create_items`` / ``create_collections`` is not retried at all — its error
  handler records the back-off and returns, and the method then parses the text body
  ("Too Many Requests") as JSON and crashes with ``JSONDecodeError``;
* it sets a 30-second timeout on every read, whatever the client was given;
* with an API base that has a path (a stand-in under ``/sandbox/zotero``) it follows ``Link:
  rel="next"`` to the wrong place, because it joins the link's full path onto that base.

So the HTTP client pyzotero is given has a transport (:class:`GuardedTransport`) that applies
``zotero.timeout`` to every request and turns any 429 or 5xx into :class:`ZoteroStatus`
before pyzotero sees it; :class:`ZoteroClient` runs each operation with retries (Retry-After
first, else backoff with jitter) and reads every failure as one :class:`Failure`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx2
from pyzotero import zotero

from connectors._http import parse_retry_after
from refbot.config import Secret, ZoteroSettings
from refbot.errors import SourceError, SourceTimeout

log = logging.getLogger(__name__)

SOURCE_NAME = "zotero"
T = TypeVar("T")


class ZoteroStatus(Exception):
    """Zotero answered 429 or 5xx; raised by the transport so pyzotero never handles it."""

    def __init__(self, status: int, retry_after: float | None, body: str = "") -> None:
        super().__init__(f"Zotero answered {status}")
        self.status = status
        self.retry_after = retry_after
        self.body = body


class BadAnswer(Exception):
    """Zotero answered 200 with something other than what the route returns."""


class GuardedTransport(httpx2.BaseTransport):
    """An HTTP transport that bounds every request's time and raises on 429 and 5xx."""

    def __init__(self, timeout: float, inner: httpx2.BaseTransport | None = None) -> None:
        self._timeout = httpx2.Timeout(timeout).as_dict()
        self._inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send one request under refbot's timeout; 429 and 5xx become :class:`ZoteroStatus`."""
        request.extensions["timeout"] = self._timeout
        response = self._inner.handle_request(request)
        if response.status_code == 429 or response.status_code >= 500:
            body = response.read().decode("utf-8", "replace")[:200]
            response.close()
            header = response.headers.get("Retry-After") or response.headers.get("Backoff") or ""
            raise ZoteroStatus(response.status_code, parse_retry_after(header), body)
        return response

    def close(self) -> None:
        """Close the connections."""
        self._inner.close()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transient Zotero failure is tried again.

    Attributes:
        attempts: tries in all, the first included.
        base_delay: seconds before the second try, doubled for each later one.
        max_delay: ceiling on one backoff pause.
        max_wait: the longest Retry-After refbot waits out; a longer one ends the operation.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_wait: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based), with jitter."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * (1 + 0.5 * rng.random())


@dataclass(frozen=True)
class Failure:
    """What went wrong with one Zotero operation, in words a librarian can read."""

    reason: str
    transient: bool
    retry_after: float | None = None
    timed_out: bool = False

    def error(self) -> SourceError:
        """The refbot error this failure is reported as."""
        return (SourceTimeout if self.timed_out else SourceError)(SOURCE_NAME, self.reason)


class ZoteroClient:
    """Runs blocking pyzotero operations on one library, off the event loop, with retries."""

    def __init__(
        self,
        settings: ZoteroSettings,
        api_key: Secret | str = "",
        *,
        retry: RetryPolicy | None = None,
        transport: httpx2.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """Prepare a client; nothing is contacted until :meth:`run`.

        Args:
            settings: library id and type, API base URL, per-request timeout.
            api_key: the Zotero API key (``REFBOT_ZOTERO_API_KEY``).
            retry: how transient failures are retried.
            transport: the HTTP transport under the guard (a test may pass a mock).
            rng: randomness for backoff jitter.
        """
        self.settings = settings
        self._api_key = api_key.get() if isinstance(api_key, Secret) else api_key
        self.retry = retry or RetryPolicy()
        self._transport = transport
        self._rng = rng or random.Random()
        self.library = f"{settings.library_type}s/{settings.library_id}"

    def connect(self) -> zotero.Zotero:
        """A fresh pyzotero client (one per operation: pyzotero keeps per-call state on itself)."""
        client = httpx2.Client(
            transport=GuardedTransport(self.settings.timeout, self._transport),
            follow_redirects=True,
            timeout=self.settings.timeout,
        )
        zot = zotero.Zotero(self.settings.library_id, self.settings.library_type, self._api_key or None, client=client)
        zot.endpoint = self.settings.api_base.rstrip("/")
        return zot

    async def run(self, operation: Callable[[zotero.Zotero], T], what: str) -> T:
        """Run ``operation`` on a fresh client in a thread, retrying what may pass.

        Raises:
            SourceError: the operation failed for good; ``reason`` says why.
        """
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return await asyncio.to_thread(self._once, operation)
            except Exception as exc:  # pyzotero and httpx2 raise many unrelated types; sorted below
                failure = describe_failure(exc, self.settings.timeout)
                log.warning("zotero %s, try %d: %s (%r)", what, attempt, failure.reason, exc)
                pause = self._pause(failure, attempt)
                if pause is None:
                    raise failure.error() from exc
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt always raises")

    def _once(self, operation: Callable[[zotero.Zotero], T]) -> T:
        zot = self.connect()
        try:
            return operation(zot)
        finally:
            if zot.client is not None:
                zot.client.close()

    def _pause(self, failure: Failure, attempt: int) -> float | None:
        if not failure.transient or attempt >= self.retry.attempts:
            return None
        pause = failure.retry_after if failure.retry_after is not None else self.retry.backoff(attempt, self._rng)
        return pause if pause <= self.retry.max_wait else None


def everything(zot: zotero.Zotero, first: Any) -> list[Any]:
    """Every page of a listing, following ``Link: rel="next"`` as the API base allows.

    pyzotero joins a next link's whole path onto its endpoint; when the endpoint has a path of
    its own (``/sandbox/zotero``) that path would appear twice, so it is taken off the link.

    Raises:
        BadAnswer: a page is not a list (a proxy's HTML page, say).
    """
    prefix = urlsplit(zot.endpoint).path.rstrip("/")
    found = _as_list(first)
    while zot.links and zot.links.get("next"):
        link = zot.links["next"]
        if prefix and link.startswith(prefix + "/"):
            zot.links["next"] = link[len(prefix):]
        found.extend(_as_list(zot.follow()))
    return found


def library_version(zot: zotero.Zotero) -> int:
    """``Last-Modified-Version`` of the last answer pyzotero received (0 if none)."""
    request = zot.request
    value = request.headers.get("Last-Modified-Version", "0") if request is not None else "0"
    return int(value) if str(value).isdigit() else 0


def _as_list(page: Any) -> list[Any]:
    if not isinstance(page, list):
        raise BadAnswer(f"expected a list of objects, got {type(page).__name__}")
    return page


def describe_failure(exc: BaseException, timeout: float) -> Failure:
    """Read whatever escaped pyzotero or httpx2 as one short reason."""
    if isinstance(exc, SourceError):
        return Failure(exc.reason, exc.transient)
    if isinstance(exc, ZoteroStatus):
        if exc.status == 429:
            reason = "Zotero is limiting how fast refbot may ask (429)"
            if exc.retry_after is not None:
                reason += f"; it asked to wait {exc.retry_after:g} s"
            return Failure(reason, True, exc.retry_after)
        return Failure(f"Zotero answered {exc.status}", True, exc.retry_after)
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"TimeoutException", "ReadTimeout", "ConnectTimeout", "TimeoutError"}:
        return Failure(f"Zotero did not answer within {timeout:g} s", True, timed_out=True)
    if names & {"ConnectError", "ConnectionError", "NetworkError", "RemoteProtocolError", "ReadError"}:
        return Failure("Zotero could not be reached", True)
    if isinstance(exc, BadAnswer | ValueError) or "DecodingError" in names:
        # A body cut short or a proxy's error page: worth one more try.
        return Failure("Zotero answered with something that is not JSON", True)
    if "UserNotAuthorisedError" in names:
        return Failure("Zotero refused the API key (403); check REFBOT_ZOTERO_API_KEY and its permissions", False)
    if "ResourceNotFoundError" in names:
        return Failure("Zotero has no such library or object (404); check zotero.library_id", False)
    if "PyZoteroError" in names:
        return Failure(f"Zotero refused the request: {str(exc)[:160]}", False)
    return Failure(f"Zotero gave an answer refbot could not read ({type(exc).__name__})", False)
