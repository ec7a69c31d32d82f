"""habanero's exceptions, whatever their type, read as one short reason a librarian can act on.

habanero lets many exception types escape (its own ``RequestError``, ``RuntimeError`` wrapping
an HTTP-client error, the HTTP client's ``HTTPStatusError``, ``JSONDecodeError``, ``KeyError``
on an answer without a content type); :func:`describe_failure` reads the whole exception
chain, and the HTTP response inside it when there is one, into a :class:`Failure`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from connectors._http import parse_retry_after
from refbot.errors import SourceError, SourceTimeout

SOURCE_NAME = "crossref"
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


@dataclass(frozen=True)
class RateLimit:
    """Crossref's own statement of its pace: ``limit`` requests per ``interval`` seconds."""

    limit: int
    interval: float


@dataclass(frozen=True)
class Failure:
    """What went wrong with one Crossref call, in words a librarian can read."""

    reason: str
    transient: bool
    timed_out: bool = False
    retry_after: float | None = None
    status: int | None = None
    rate_limit: RateLimit | None = None

    def error(self) -> SourceError:
        """The refbot error this failure is reported as."""
        cls = SourceTimeout if self.timed_out else SourceError
        return cls(SOURCE_NAME, self.reason)


def describe_failure(exc: BaseException, budget: float) -> Failure:
    """Read what habanero raised — and what that wraps — as one short, human reason.

    Args:
        exc: whatever escaped a ``habanero.Crossref`` call.
        budget: the search's time budget in seconds, for the timeout wording.
    """
    chain = list(_chain(exc))
    status, headers = _status(chain)
    if status is not None and status >= 400:
        return _http_failure(status, headers, exc)
    if status is not None and status >= 300:
        return Failure(f"Crossref answered {status}; check crossref.base_url", transient=False, status=status)
    if status is not None or any(_named(e, "DecodeError", "DecodingError") for e in chain):
        return Failure("Crossref answered with something that is not JSON", transient=False)
    if any(isinstance(e, TimeoutError) or _named(e, "Timeout") for e in chain):
        return Failure(f"Crossref did not answer within {budget:g} s", True, timed_out=True)
    if any(isinstance(e, ConnectionError) or _named(e, "ConnectError") for e in chain):
        return Failure(_unreachable(chain), transient=True)
    if any(_named(e, "ProtocolError", "NetworkError", "TransportError") for e in chain):
        return Failure("the connection to Crossref broke off mid-answer", transient=True)
    if isinstance(exc, ValueError):
        return Failure(f"refbot built a Crossref query habanero refused: {exc}", False)
    return Failure(f"Crossref gave an answer refbot could not read ({type(exc).__name__})", False)


def _http_failure(status: int, headers: Mapping[str, str], exc: BaseException) -> Failure:
    retry_after = parse_retry_after(headers.get("Retry-After", "")) if headers else None
    detail = getattr(exc, "error", None)
    reason = f"Crossref answered {status}"
    if status == 429:
        reason = "Crossref is limiting how fast refbot may ask (429)"
    elif status == 400 and detail:
        reason = f"Crossref refused the query (400: {str(detail)[:120]})"
    if retry_after is not None:
        reason += f"; it asked to wait {retry_after:g} s"
    return Failure(
        reason,
        status in TRANSIENT_STATUSES,
        retry_after=retry_after,
        status=status,
        rate_limit=parse_rate_limit(headers) if headers else None,
    )


def _unreachable(chain: list[BaseException]) -> str:
    refused = any(isinstance(e, ConnectionRefusedError) or "refused" in str(e) for e in chain)
    return "Crossref could not be reached" + (" (connection refused)" if refused else "")


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """Crossref's ``X-Rate-Limit-Limit`` and ``X-Rate-Limit-Interval`` ("50", "1s"), or None."""
    limit_text = str(headers.get("X-Rate-Limit-Limit", "")).strip()
    interval = _INTERVAL.match(str(headers.get("X-Rate-Limit-Interval", "1s")))
    if not limit_text.isdigit() or int(limit_text) < 1 or interval is None:
        return None
    seconds = float(interval[1]) * _UNIT_SECONDS[interval[2]]
    return RateLimit(int(limit_text), seconds) if seconds > 0 else None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _status(chain: list[BaseException]) -> tuple[int | None, Mapping[str, str]]:
    """The HTTP status (and headers, when a response object is at hand) in a chain.

    habanero's ``RequestError`` carries only ``status_code``; it is raised inside the handler
    of the HTTP client's status error, whose ``response`` still has the headers.
    """
    status: int | None = None
    for e in chain:
        response = getattr(e, "response", None)
        code = getattr(response, "status_code", None)
        if isinstance(code, int):
            return code, getattr(response, "headers", None) or {}
        own = getattr(e, "status_code", None)
        if status is None and isinstance(own, int):
            status = own
    return status, {}


def _named(exc: BaseException, *fragments: str) -> bool:
    # Matching on class names spans requests, httpx and httpx2, which habanero has used in
    # turn, without importing any of them.
    names = [cls.__name__ for cls in type(exc).__mro__]
    return any(fragment in name for fragment in fragments for name in names)
