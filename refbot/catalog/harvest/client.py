"""Asking a repository for pages of records, over OAI-PMH, with refbot's own timeouts and retries.

The requests themselves go through `oaipmh-scythe <https://pypi.org/project/oaipmh-scythe/>`_:
its configured HTTP client (connection reuse, user agent, read timeout) and its reading of
an answer's ``<error>`` into an exception whatever the HTTP status (Zenodo answers errors
with 422). Scythe is synchronous, so each request runs in a thread, under a deadline of
``timeout`` seconds (the HTTP client has the same read timeout, so a hung request also ends
in its thread); the answer is parsed in that thread too, so a page of a hundred MARCXML
records never holds up the worker's event loop. Retries are refbot's, not Scythe's: a 503 waits what its ``Retry-After`` says
(capped at ``max_wait``) and other transient failures back off exponentially, all on the
event loop, so a harvest in the worker never blocks it.

Every failure comes out as :class:`HarvestError` (``transient`` when trying later may help);
``badResumptionToken`` as :class:`BadToken`, which the harvest answers by starting over.
``noRecordsMatch`` is not an error here: it is an empty last page ("nothing new").
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx2
from oaipmh_scythe import Scythe, exceptions
from oaipmh_scythe.config import HTTPConfig, RetryConfig
from oaipmh_scythe.response import OAIResponse

from refbot.catalog.harvest.protocol import Identify, OaiError, Page, parse_identify, parse_page
from refbot.errors import CatalogError

USER_AGENT = "refbot-harvester (+https://github.com/refbot; OAI-PMH)"
_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_Answer = TypeVar("_Answer", Identify, Page)


class HarvestError(CatalogError):
    """A repository could not be harvested: unreachable, too slow, or answering what refbot cannot use."""

    def __init__(self, source: str, problem: str, *, transient: bool = True) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
        self.transient = transient


class BadToken(HarvestError):
    """The repository refused a resumption token (expired, or the list changed): start the list again."""


class OaiClient:
    """One repository's OAI-PMH endpoint.

    Args:
        source: the source's name, for errors.
        url: the OAI-PMH base URL.
        timeout: seconds one page may take.
        retries: how many times a failed request is tried again.
        max_wait: the longest wait between tries (a longer Retry-After is cut to this).
        sleep: how to wait (tests pass a recording one).
    """

    def __init__(self, source: str, url: str, *, timeout: float = 60.0, retries: int = 4, max_wait: float = 120.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.source = source
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.waits: list[float] = []
        """Every wait between tries so far, in seconds (what a summary reports)."""
        self._scythe = Scythe(url, http_config=HTTPConfig(timeout=timeout, user_agent=USER_AGENT),
                              retry_config=RetryConfig(max_retries=0))

    def close(self) -> None:
        """Close the HTTP connections."""
        self._scythe.close()

    async def identify(self) -> Identify:
        """The repository's Identify answer."""
        return await self._ask({"verb": "Identify"}, parse_identify)

    async def list_records(self, prefix: str, *, set_spec: str = "", from_: str = "", token: str = "") -> Page:
        """One page of ListRecords: the first (by prefix, set and from) or the one ``token`` names.

        Raises:
            BadToken: the repository refused ``token``.
            HarvestError: anything else that went wrong, after the retries.
        """
        query = {"verb": "ListRecords", "resumptionToken": token} if token else {
            "verb": "ListRecords", "metadataPrefix": prefix, **({"set": set_spec} if set_spec else {}),
            **({"from": from_} if from_ else {})}
        try:
            return await self._ask(query, parse_page)
        except OaiError as error:
            raise HarvestError(self.source, f"the repository's answer: {error}", transient=False) from None

    async def _ask(self, query: dict[str, str], parse: Callable[[bytes], _Answer]) -> _Answer:
        """The answer to ``query``, read by ``parse`` in the request's thread."""
        for attempt in range(self.retries + 1):
            try:
                return await asyncio.wait_for(asyncio.to_thread(lambda: parse(self._get(query))), self.timeout + 5)
            except _Retry as retry:
                if attempt == self.retries:
                    raise HarvestError(self.source, f"{retry.problem} (tried {attempt + 1} times)") from None
                wait = min(self.max_wait, retry.after if retry.after is not None else 2.0 ** attempt)
            except TimeoutError:
                raise HarvestError(self.source, f"no answer within {self.timeout:g} s") from None
            self.waits.append(wait)
            await self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _get(self, query: dict[str, str]) -> bytes:
        """One request, in a thread: the body, or an exception saying what went wrong."""
        try:
            response = self._scythe.client.get(self.url, params=query)
        except httpx2.TimeoutException:
            raise HarvestError(self.source, f"no answer within {self.timeout:g} s") from None
        except httpx2.TransportError as error:
            raise _Retry(f"cannot reach {self.url} ({type(error).__name__}: {error})", None) from None
        # The status first: Scythe 0.16 fails with AttributeError on a body that is not XML,
        # which is what a busy repository's 503 page usually is.
        if response.status_code in _TRANSIENT_STATUS:
            raise _Retry(f"HTTP {response.status_code}", _retry_after(response.headers.get("Retry-After")))
        try:
            # An <error> comes right after <request>: a page of records is not parsed twice.
            if b"<error" in response.content[:4096]:
                OAIResponse(response, params=query).raise_for_oaipmh_error()
        except exceptions.NoRecordsMatch:
            return _EMPTY_LIST
        except exceptions.BadResumptionToken as error:
            raise BadToken(self.source, f"the repository refused the resumption token ({error})",
                           transient=False) from None
        except exceptions.OAIPMHException as error:
            name = type(error).__name__
            code = name[:1].lower() + name[1:]
            raise HarvestError(self.source, f"the repository's answer: {code}: {error}", transient=False) from None
        except AttributeError:
            pass  # not XML; parsing it says so
        if response.is_error:
            raise HarvestError(self.source, f"HTTP {response.status_code} from {self.url}", transient=False)
        return bytes(response.content)


class _Retry(Exception):
    def __init__(self, problem: str, after: float | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.after = after


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_EMPTY_LIST = (b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate></responseDate>'
               b"<ListRecords/></OAI-PMH>")
"""noRecordsMatch, read as what it means: a list with nothing in it."""
