"""Crossref as a refbot source: habanero's works search turned into Candidates.

habanero is synchronous, so every call runs in a worker thread, and the whole search —
retries included — runs under one ``asyncio.wait_for`` budget (``crossref.timeout``).
habanero lets many exception types escape (its own ``RequestError``, ``RuntimeError``
wrapping an HTTP-client error, the HTTP client's ``HTTPStatusError``, ``JSONDecodeError``,
``KeyError`` on an answer without a content type); :func:`describe_failure` reads the whole
exception chain and turns any of them into one short reason a librarian can read.
"""

from __future__ import annotations

import asyncio
import email.utils
import html
import logging
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import habanero

from refbot.config import CrossrefSettings
from refbot.errors import SourceError, SourceTimeout
from refbot.models import Candidate, InformationNeed, Kind

log = logging.getLogger(__name__)

SOURCE_NAME = "crossref"

# Only fields work_to_candidate reads. `language` is deliberately absent: Crossref's /works
# route answers 400 select-not-available for it, so it only arrives on unselected answers.
SELECT = (
    "DOI,title,subtitle,author,published,published-print,published-online,issued,container-title,publisher,ISSN,ISBN,"
    "type,abstract,subject,is-referenced-by-count,license,link,resource,update-to,updated-by,relation,score"
)

KIND_BY_TYPE: Mapping[str, Kind] = {
    "journal-article": Kind.ARTICLE,
    "book": Kind.BOOK,
    "monograph": Kind.BOOK,
    "edited-book": Kind.BOOK,
    "reference-book": Kind.BOOK,
    "book-chapter": Kind.CHAPTER,
    "book-section": Kind.CHAPTER,
    "book-part": Kind.CHAPTER,
    "proceedings-article": Kind.PROCEEDINGS,
    "dissertation": Kind.THESIS,
    "journal": Kind.JOURNAL,
}

# A patron asking for "jurnal" almost always means journal articles, not journal records.
TYPES_BY_KIND: Mapping[Kind, tuple[str, ...]] = {
    Kind.ARTICLE: ("journal-article",),
    Kind.JOURNAL: ("journal-article",),
    Kind.BOOK: ("book", "monograph", "edited-book", "reference-book"),
    Kind.EBOOK: ("book", "monograph", "edited-book", "reference-book"),
    Kind.CHAPTER: ("book-chapter", "book-section", "book-part"),
    Kind.PROCEEDINGS: ("proceedings-article",),
    Kind.THESIS: ("dissertation",),
}

RETRACTING_UPDATES = frozenset({"retraction", "partial_retraction", "withdrawal", "removal"})
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
DATE_FIELDS = ("published", "published-print", "published-online", "issued")


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and how patiently, a transient Crossref failure is tried again.

    Attributes:
        attempts: tries in all, the first included.
        base_delay: seconds before the second try; doubled for each later one.
        max_delay: ceiling on one backoff pause.
        jitter: up to this share of a pause is added at random, so many workers do not
            retry in lockstep.
    """

    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 2.0
    jitter: float = 0.5

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        pause = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return pause * (1 + self.jitter * rng.random())


@dataclass(frozen=True)
class WorksQuery:
    """The arguments refbot hands to ``habanero.Crossref.works``."""

    text: str
    rows: int
    filters: tuple[tuple[str, str], ...] = ()

    def filter_dict(self) -> dict[str, Any]:
        """Filters in habanero's shape; a repeated name becomes a list (Crossref ORs them)."""
        out: dict[str, Any] = {}
        for name, value in self.filters:
            out.setdefault(name, []).append(value)
        return {name: values[0] if len(values) == 1 else values for name, values in out.items()}


@dataclass(frozen=True)
class Failure:
    """What went wrong with one Crossref call, in words a librarian can read."""

    reason: str
    transient: bool
    timed_out: bool = False
    retry_after: float | None = None

    def error(self) -> SourceError:
        """The refbot error this failure is reported as."""
        cls = SourceTimeout if self.timed_out else SourceError
        return cls(SOURCE_NAME, self.reason)


class CrossrefSource:
    """Searches Crossref's works through habanero; implements :class:`refbot.ports.Source`."""

    name = SOURCE_NAME

    def __init__(
        self,
        settings: CrossrefSettings,
        *,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """Prepare a source; nothing is contacted until :meth:`search`.

        Args:
            settings: base URL, contact address, time budget and row count.
            retry: how transient failures are retried; the default tries three times.
            rng: randomness for backoff jitter, injectable so a test can pin it.
        """
        self._settings = settings
        # habanero appends "/works/" to the base itself; a trailing slash would double it.
        self._base_url = settings.base_url.rstrip("/")
        self._retry = retry or RetryPolicy()
        self._rng = rng or random.Random()

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        """Search Crossref's works for a need.

        Raises:
            SourceTimeout: Crossref did not answer within ``crossref.timeout`` seconds.
            SourceError: Crossref could not be reached or gave an unusable answer.
        """
        query = build_query(need, min(limit, self._settings.rows))
        if query is None:
            return []
        budget = self._settings.timeout
        try:
            body = await asyncio.wait_for(self._fetch_with_retries(query, budget), budget)
        except TimeoutError as e:
            raise SourceTimeout(self.name, f"Crossref did not answer within {budget:g} s") from e
        return candidates_from(body, query.rows)

    async def _fetch_with_retries(self, query: WorksQuery, budget: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        for attempt in range(1, self._retry.attempts + 1):
            # The thread cannot be cancelled, so it gets no more time than is left.
            remaining = max(deadline - loop.time(), 0.05)
            try:
                return await asyncio.to_thread(self._call, query, remaining)
            except Exception as exc:  # habanero raises many unrelated types; sorted below
                failure = describe_failure(exc, budget)
                log.warning("crossref try %d failed: %s (%r)", attempt, failure.reason, exc)
                pause = self._pause(failure, attempt)
                # Sleeping past the deadline would only turn a clear answer into a timeout.
                if pause is None or loop.time() + pause >= deadline:
                    raise failure.error() from exc
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt always raises")

    def _pause(self, failure: Failure, attempt: int) -> float | None:
        if not failure.transient or attempt >= self._retry.attempts:
            return None
        if failure.retry_after is not None:
            return failure.retry_after
        return self._retry.backoff(attempt, self._rng)

    def _call(self, query: WorksQuery, timeout: float) -> Any:
        # A fresh client per call: habanero keeps the timeout on the instance, and calls
        # from several threads must not share a mutable one.
        client = habanero.Crossref(base_url=self._base_url, mailto=self._settings.mailto or None, timeout=timeout)
        return client.works(
            query_bibliographic=query.text,
            filter=query.filter_dict() or None,
            select=SELECT,
            limit=query.rows,
        )


def build_query(need: InformationNeed, rows: int) -> WorksQuery | None:
    """The works search for a need, or None when the need has no words to search for."""
    text = need.query_text.strip()
    if not text:
        return None
    filters: list[tuple[str, str]] = []
    if need.year_from is not None:
        filters.append(("from-pub-date", f"{need.year_from}-01-01"))
    if need.year_to is not None:
        filters.append(("until-pub-date", f"{need.year_to}-12-31"))
    filters.extend(("type", t) for t in crossref_types(need.kinds))
    return WorksQuery(text=text, rows=max(rows, 1), filters=tuple(filters))


def crossref_types(kinds: frozenset[Kind]) -> tuple[str, ...]:
    """Crossref work types for wanted kinds; empty (no filter) when any kind has none."""
    if not kinds or any(k not in TYPES_BY_KIND for k in kinds):
        return ()
    return tuple(sorted({t for k in kinds for t in TYPES_BY_KIND[k]}))


def candidates_from(body: Any, limit: int) -> list[Candidate]:
    """Candidates from a work-list answer, best first.

    Raises:
        SourceError: the answer has no list of works in it.
    """
    message = body.get("message") if isinstance(body, dict) else None
    items = message.get("items") if isinstance(message, dict) else None
    if not isinstance(items, list):
        raise SourceError(SOURCE_NAME, "Crossref's answer held no list of works")
    works = (work_to_candidate(item, rank) for rank, item in enumerate(items, start=1))
    return [c for c in works if c.title or c.doi][:limit]


# --- one work item → Candidate ---------------------------------------------------------


def work_to_candidate(item: dict[str, Any], rank: int) -> Candidate:
    """Convert one Crossref work item into a Candidate; any field may be missing or odd."""
    if not isinstance(item, dict):
        item = {}
    doi = _text(item.get("DOI")).lower()
    return Candidate(
        source=SOURCE_NAME,
        source_id=doi,
        kind=KIND_BY_TYPE.get(_text(item.get("type")), Kind.OTHER),
        title=_title(item),
        authors=tuple(_authors(item.get("author"))),
        year=_year(item),
        container=_clean(_first(item.get("container-title"))),
        publisher=_text(item.get("publisher")),
        isbn=_texts(item.get("ISBN")),
        issn=_texts(item.get("ISSN")),
        doi=doi,
        url=_url(item),
        abstract=strip_markup(_text(item.get("abstract"))),
        subjects=_texts(item.get("subject")),
        language=_text(item.get("language")).lower(),
        retracted=is_retracted(item),
        open_access=_has_open_licence(item.get("license")),
        citations=_int(item.get("is-referenced-by-count")),
        source_score=_float(item.get("score")),
        source_rank=rank,
    )


def strip_markup(text: str) -> str:
    """Plain text from JATS/HTML markup: tags dropped, entities decoded, spaces collapsed."""
    plain = html.unescape(re.sub(r"<[^>]+>", " ", text))
    plain = " ".join(plain.split())
    # JATS abstracts often open with a section title that says only "Abstract".
    return re.sub(r"^(abstract|abstrak)\s*[:.]?\s+", "", plain, flags=re.IGNORECASE)


def is_retracted(item: Mapping[str, Any]) -> bool:
    """Whether Crossref marks a work as retracted or withdrawn, or as such a notice."""
    updates = [*_dicts(item.get("updated-by")), *_dicts(item.get("update-to"))]
    if any(_text(u.get("type")).lower() in RETRACTING_UPDATES for u in updates):
        return True
    relation = item.get("relation")
    if isinstance(relation, dict) and any("retract" in str(key) for key in relation):
        return True
    return _title(item).upper().startswith(("RETRACTED", "WITHDRAWN"))


def _title(item: Mapping[str, Any]) -> str:
    title = _clean(_first(item.get("title")))
    subtitle = _clean(_first(item.get("subtitle")))
    if subtitle and subtitle.lower() not in title.lower():
        return f"{title}: {subtitle}" if title else subtitle
    return title


def _authors(value: Any) -> Iterator[str]:
    for person in _dicts(value):
        family, given = _text(person.get("family")), _text(person.get("given"))
        name = f"{family}, {given}" if family and given else family or given
        name = name or _text(person.get("name"))
        if name:
            yield name


def _year(item: Mapping[str, Any]) -> int | None:
    for field in DATE_FIELDS:
        date = item.get(field)
        parts = date.get("date-parts") if isinstance(date, dict) else None
        try:
            year = int(parts[0][0])  # type: ignore[index]  # shape checked by the except
        except (TypeError, ValueError, IndexError, KeyError):
            continue
        if 1000 <= year <= 2999:
            return year
    return None


def _url(item: Mapping[str, Any]) -> str:
    resource = item.get("resource")
    primary = resource.get("primary") if isinstance(resource, dict) else None
    if isinstance(primary, dict) and _text(primary.get("URL")):
        return _text(primary.get("URL"))
    links = list(_dicts(item.get("link")))
    # Links meant for text-mining crawlers are a poorer choice for a patron than the rest.
    links.sort(key=lambda link: link.get("intended-application") != "unspecified")
    return next((_text(link.get("URL")) for link in links if _text(link.get("URL"))), "")


def _has_open_licence(value: Any) -> bool:
    return any("creativecommons.org" in _text(lic.get("URL")).lower() for lic in _dicts(value))


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clean(value: Any) -> str:
    return strip_markup(_text(value))


def _texts(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(dict.fromkeys(t for t in map(_text, values) if t))


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, dict))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else 0.0


# --- habanero's exceptions → one Failure -----------------------------------------------


def describe_failure(exc: BaseException, budget: float) -> Failure:
    """Read what habanero raised — and what that wraps — as one short, human reason.

    Args:
        exc: whatever escaped ``habanero.Crossref.works``.
        budget: the search's time budget in seconds, for the timeout wording.
    """
    chain = list(_chain(exc))
    status, headers = _status(chain)
    if status is not None and status >= 400:
        return _http_failure(status, headers, exc)
    if status is not None and status >= 300:
        return Failure(f"Crossref answered {status}; check crossref.base_url", transient=False)
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
    return Failure(reason, status in TRANSIENT_STATUSES, retry_after=retry_after)


def _unreachable(chain: list[BaseException]) -> str:
    refused = any(isinstance(e, ConnectionRefusedError) or "refused" in str(e) for e in chain)
    return "Crossref could not be reached" + (" (connection refused)" if refused else "")


def parse_retry_after(value: str) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    value = value.strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = email.utils.parsedate_to_datetime(email.utils.formatdate(usegmt=True))
    return max((when - now).total_seconds(), 0.0)


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
