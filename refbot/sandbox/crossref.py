"""A Crossref REST API stand-in on loopback, for the demo and the tests.

It speaks Crossref's wire format — the ``status / message-type / message`` envelope, 400
``validation-failure`` bodies, ``Resource not found.`` 404s with Crossref's content types —
from one of two data sets:

* **demo**: work items from a fixture (by default the bundled ``refbot/data/crossref_demo.json``)
  searched by term overlap on title, subjects and abstract, honouring ``filter``, ``select``,
  ``rows``, ``offset``, ``sort`` and ``cursor`` on ``/works``, ``/works/{doi}``, ``/journals``,
  ``/journals/{issn}`` and ``/journals/{issn}/works`` (``facet`` is accepted but counts nothing);
* **replay**: recorded real answers listed in a ``manifest.json``, served for requests whose
  path and parameters match a recorded URL (order and ``mailto`` ignored).

``POST /_control`` injects faults (delay, error status, Retry-After, broken body, for N
requests); ``GET /_stats`` counts requests per path. Every route is resolved relative to where
the app is mounted, so ``http://host:port/sandbox/crossref`` works as a base URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from aiohttp import web

JSON = "application/json"
JSON_UTF8 = "application/json;charset=utf-8"
NOT_FOUND = "Resource not found."
MAX_ROWS, MAX_OFFSET = 1000, 10000

# Crossref's own vocabularies, as its API states them in validation failures.
WORK_SELECTS = (  # noqa: SIM905 - a word list reads better as words
    "abstract URL resource member posted score created degree update-policy short-title license "
    "ISSN container-title issued update-to issue prefix approved indexed article-number "
    "clinical-trial-number accepted author group-title DOI is-referenced-by-count updated-by "
    "event chair standards-body original-title funder translator published archive "
    "published-print alternative-id subject subtitle published-online publisher-location "
    "content-domain reference title link type publisher volume references-count ISBN issn-type "
    "assertion deposited page contributor content-created short-container-title relation editor"
).split()
WORK_TYPES = (  # noqa: SIM905 - a word list reads better as words
    "book-section monograph report-component report peer-review book-track journal-article "
    "book-part other book journal-volume book-set reference-entry proceedings-article journal "
    "component book-chapter proceedings-series report-series proceedings database standard "
    "reference-book posted-content journal-issue dissertation grant dataset book-series "
    "edited-book"
).split()
FIELD_QUERIES = (  # noqa: SIM905 - a word list reads better as words
    "affiliation author bibliographic chair container-title contributor degree description editor "
    "event-acronym event-location event-name event-sponsor event-theme funder-name "
    "publisher-location publisher-name standards-body-acronym standards-body-name title "
    "translator"
).split()
SORT_FIELDS = {
    "score": "score",
    "relevance": "score",
    "updated": "deposited",
    "deposited": "deposited",
    "indexed": "indexed",
    "created": "created",
    "published": "published",
    "published-print": "published-print",
    "published-online": "published-online",
    "issued": "issued",
    "is-referenced-by-count": "is-referenced-by-count",
    "references-count": "references-count",
}
KNOWN_PARAMS = {"query", "rows", "offset", "sample", "facet", "filter", "sort", "order", "cursor", "select", "mailto"}
DATE_FILTERS = {
    "from-pub-date": ("published", 1),
    "until-pub-date": ("published", -1),
    "from-issued-date": ("issued", 1),
    "until-issued-date": ("issued", -1),
}
FLAG_FILTERS = {
    "has-abstract": "abstract",
    "has-license": "license",
    "has-full-text": "link",
    "has-orcid": "ORCID",
    "has-references": "reference",
}


# --- the answers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One HTTP answer before it becomes an aiohttp response (faults may still bend it)."""

    status: int
    body: bytes
    content_type: str | None = JSON
    headers: tuple[tuple[str, str], ...] = ()

    def response(self) -> web.Response:
        """The aiohttp response, with the content type exactly as Crossref writes it."""
        headers = dict(self.headers)
        if self.content_type:
            headers["Content-Type"] = self.content_type
        return web.Response(status=self.status, body=self.body, headers=headers)


def _json(payload: Any, status: int = 200, content_type: str = JSON) -> Answer:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Answer(status, text.encode("utf-8"), content_type)


def ok(message_type: str, message: Any) -> Answer:
    """Crossref's success envelope."""
    envelope = {"status": "ok", "message-type": message_type, "message-version": "1.0.0"}
    return _json({**envelope, "message": message})


def failed(failures: list[dict[str, str]], message_type: str = "validation-failure") -> Answer:
    """Crossref's 400 answer listing what is wrong with a request."""
    body = {"status": "failed", "message-type": message_type, "message": failures}
    return _json(body, 400, JSON_UTF8)


def not_found(content_type: str = "text/plain") -> Answer:
    """Crossref's 404: plain text, though some routes label it JSON."""
    return Answer(404, NOT_FOUND.encode(), content_type)


# --- request validation, after Crossref's rules ----------------------------------------


@dataclass(frozen=True)
class Rules:
    """What a route accepts; anything else is a validation failure as Crossref words it."""

    singleton: bool = False
    works: bool = False  # filter, select, facet, field queries, sort, sample, cursor


LIST_OF_WORKS, SINGLETON, LIST_OF_JOURNALS = Rules(works=True), Rules(singleton=True), Rules()


def validate(rules: Rules, params: Mapping[str, str]) -> list[dict[str, str]]:
    """Every way a request breaks a route's rules, in the order Crossref reports them."""
    fails: list[dict[str, str]] = []

    def fail(kind: str, value: str, message: str) -> None:
        fails.append({"type": kind, "value": value, "message": message})

    def refuse(name: str) -> None:
        fail("parameter-not-allowed", name, f"This route does not support {name}")

    for name in params:
        if name not in KNOWN_PARAMS and not name.startswith("query."):
            fail(
                "unknown-parameter",
                name,
                f"Parameter {name} specified but there is no such parameter available on any route",
            )
    for name in ("rows", "sample", "offset") if rules.singleton else ():
        if name in params:
            refuse(name)
    if not rules.singleton:
        _check_paging(params, rules, fail, refuse)
    for name in ("cursor", "order", "sort", "select", "facet", "filter"):
        if name in params and not rules.works:
            refuse(name)
    if rules.works:
        _check_works_params(params, fail)
    if rules.singleton and "query" in params:
        refuse("query")
    if any(n.startswith("query.") for n in params) and not rules.works:
        fail("parameter-not-allowed", "query.*", "This route does not support field query parameters")
    return fails


def _check_paging(params: Mapping[str, str], rules: Rules, fail: Any, refuse: Any) -> None:
    if "sample" in params and not rules.works:
        refuse("sample")
    limits = {
        "rows": (MAX_ROWS, ""),
        "sample": (100, ""),
        "offset": (MAX_OFFSET, " Use the cursor parameter to page further into result sets."),
    }
    for name, (ceiling, hint) in limits.items():
        value = params.get(name)
        if value is not None and not (value.isdigit() and int(value) <= ceiling):
            fail(
                "integer-not-valid",
                value,
                f"Integer specified as {value} but must be a positive integer less than or equal to {ceiling}. {hint}",
            )


def _check_works_params(params: Mapping[str, str], fail: Any) -> None:
    if params.get("order", "desc") not in ("asc", "desc", "1", "-1"):
        fail(
            "sort-order-not-valid",
            params["order"],
            f"Sort order specified as {params['order']} but must be one of: asc, desc, 1, -1",
        )
    if params.get("sort", "score") not in SORT_FIELDS:
        fail(
            "sort-field-not-valid",
            params["sort"],
            f"Sort field specified as {params['sort']} but must be one of: {', '.join(SORT_FIELDS)}",
        )
    for name in [s for s in params.get("select", "").split(",") if s]:
        if name not in WORK_SELECTS:
            fail(
                "select-not-available",
                name,
                f"Select '{name}' specified but there is no such "
                f"select for this route. Valid selects for this route are: {', '.join(WORK_SELECTS)}",
            )
    for name in params:
        if name.startswith("query.") and name[6:] not in FIELD_QUERIES:
            fail(
                "field-query-not-available",
                name,
                f"Field query {name} specified but there is no such field query for this route",
            )
    for name, value in parse_filters(params.get("filter", "")):
        problem = _filter_problem(name, value)
        if problem:
            fail(*problem)


def parse_filters(text: str) -> list[tuple[str, str]]:
    """``name:value,name:value`` as pairs; a repeated name means any of its values."""
    pairs = (part.split(":", 1) for part in text.split(",") if part)
    return [(p[0], p[1] if len(p) > 1 else "") for p in pairs]


def _filter_problem(name: str, value: str) -> tuple[str, str, str] | None:
    if name in DATE_FILTERS and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        return (
            "date-not-valid",
            value,
            f"Date specified as {value} but must be of the form: yyyy or yyyy-MM or yyyy-MM-dd",
        )
    if name == "type" and value not in WORK_TYPES:
        return ("type-not-valid", value, f"Type specified as {value} but must be one of: {', '.join(WORK_TYPES)}")
    if name in FLAG_FILTERS and value not in ("t", "true", "1", "f", "false", "0"):
        return ("boolean-not-valid", value, f"Boolean specified as {value} but must be one of: t, true, 1, f, false, 0")
    if name not in {*DATE_FILTERS, *FLAG_FILTERS, "type", "issn"}:
        # Crossref knows many more filters; the stand-in says plainly it does not.
        return (
            "filter-not-available",
            name,
            f"Filter {name} specified but there is no such "
            "filter for this route in the refbot stand-in. Valid filters for this route are: "
            f"{', '.join([*DATE_FILTERS, *FLAG_FILTERS, 'type', 'issn'])}",
        )
    return None


# --- demo mode: a fixture searched by term overlap -------------------------------------


def words(text: str) -> set[str]:
    """Lower-cased words of three letters or more."""
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 3}


def _plain(value: Any) -> str:
    parts = value if isinstance(value, list) else [value]
    return " ".join(re.sub(r"<[^>]+>", " ", p) for p in parts if isinstance(p, str))


def relevance(item: Mapping[str, Any], terms: set[str]) -> float:
    """Term-overlap score: a title word weighs 3, a subject word 2, any other field's 1."""
    title = words(_plain(item.get("title")) + " " + _plain(item.get("subtitle")))
    subjects = words(_plain(item.get("subject")))
    people = " ".join(f"{a.get('given', '')} {a.get('family', '')} {a.get('name', '')}" for a in item.get("author", []))
    rest = words(" ".join([_plain(item.get("abstract")), _plain(item.get("container-title")), people]))
    return float(sum(3 * (t in title) + 2 * (t in subjects) + (t in rest) for t in terms))


def date_of(item: Mapping[str, Any], field_name: str) -> tuple[int, ...]:
    """A date field's parts as a tuple, () when absent."""
    try:
        return tuple(int(p) for p in item[field_name]["date-parts"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return ()


def passes(item: Mapping[str, Any], filters: list[tuple[str, str]]) -> bool:
    """Whether an item meets every filter name (values of one name are alternatives)."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for name, value in filters:
        wanted[name].append(value)
    return all(any(_meets(item, name, v) for v in values) for name, values in wanted.items())


def _meets(item: Mapping[str, Any], name: str, value: str) -> bool:
    if name in DATE_FILTERS:
        field_name, direction = DATE_FILTERS[name]
        bound = tuple(int(p) for p in value.split("-"))
        got = date_of(item, field_name)[: len(bound)]
        return bool(got) and (got >= bound if direction > 0 else got <= bound)
    if name in FLAG_FILTERS:
        return (FLAG_FILTERS[name] in item) == (value in ("t", "true", "1"))
    if name == "issn":
        return value in item.get("ISSN", [])
    return item.get("type") == value


class DemoWorks:
    """Demo mode: Crossref's routes over a list of work items."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        """Index the items by DOI and derive journal records from them."""
        self.items = items
        self.by_doi = {str(i.get("DOI", "")).lower(): i for i in items}
        self.journals = journals_from(items)

    @classmethod
    def load(cls, fixture: str | Path | None) -> DemoWorks:
        """Read a fixture: a list of items, ``{"items": [...]}``, or a recorded work-list."""
        if fixture is None:
            text = (resources.files("refbot") / "data" / "crossref_demo.json").read_text("utf-8")
        else:
            text = Path(fixture).read_text("utf-8")
        data = json.loads(text)
        if isinstance(data, dict):
            data = data.get("items", data.get("message", {}).get("items"))
        if not isinstance(data, list):
            raise ValueError(f"{fixture}: no list of work items found")
        return cls(data)

    async def answer(self, path: str, params: Mapping[str, str]) -> Answer:
        """Route a GET the way Crossref does."""
        parts = path.strip("/").split("/")
        if parts == ["works"]:
            return self._checked(LIST_OF_WORKS, params, lambda: self._works(self.items, params))
        if parts[0] == "works" and len(parts) > 1:
            return self._checked(SINGLETON, params, lambda: self._work("/".join(parts[1:])))
        if parts == ["journals"]:
            return self._checked(LIST_OF_JOURNALS, params, lambda: self._journal_list(params))
        if parts[0] == "journals" and len(parts) == 2:
            return self._checked(SINGLETON, params, lambda: self._journal(parts[1]))
        if parts[0] == "journals" and parts[2:] == ["works"]:
            return self._checked(LIST_OF_WORKS, params, lambda: self._journal_works(parts[1], params))
        return not_found()

    @staticmethod
    def _checked(rules: Rules, params: Mapping[str, str], then: Callable[[], Answer]) -> Answer:
        fails = validate(rules, params)
        return failed(fails) if fails else then()

    def _works(self, items: list[dict[str, Any]], params: Mapping[str, str]) -> Answer:
        cursor = params.get("cursor")
        if cursor is not None and not re.fullmatch(r"\*|refbot-\d+", cursor):
            fail = {"type": "cursor-invalid", "value": cursor, "message": "Cursor specified but it is invalid"}
            return dataclasses.replace(failed([fail], "resource-failure"), status=404, content_type=JSON)
        terms = words(" ".join(v for k, v in params.items() if k == "query" or k.startswith("query.")))
        filters = parse_filters(params.get("filter", ""))
        scored = [{**i, "score": relevance(i, terms) if terms else 1.0} for i in items if passes(i, filters)]
        found = _sorted([i for i in scored if i["score"] > 0], params, bool(terms))
        if "sample" in params:
            found = random.sample(found, min(int(params["sample"]), len(found)))
        rows = int(params.get("rows", 20))
        start = int(cursor[7:]) if cursor and cursor != "*" else int(params.get("offset", 0))
        page = [_selected(i, params.get("select")) for i in found[start : start + rows]]
        message: dict[str, Any] = {
            "facets": {},
            "total-results": len(found),
            "items": page,
            "items-per-page": rows,
            "query": {"start-index": start, "search-terms": params.get("query")},
        }
        if cursor is not None:
            message["next-cursor"] = f"refbot-{start + rows}"
        return ok("work-list", message)

    def _work(self, doi: str) -> Answer:
        item = self.by_doi.get(doi.lower())
        if item is None:
            return not_found()
        # The singleton route spells out empty lists the list route leaves out.
        empties: dict[str, list[str]] = {k: [] for k in ("subject", "subtitle", "short-title", "original-title")}
        return ok("work", {**empties, **item, "score": 1})

    def _journal_list(self, params: Mapping[str, str]) -> Answer:
        terms = words(params.get("query", ""))
        found = [j for j in self.journals.values() if not terms or terms & words(j["title"])]
        rows, start = int(params.get("rows", 20)), int(params.get("offset", 0))
        return ok(
            "journal-list",
            {
                "items-per-page": rows,
                "query": {"start-index": start, "search-terms": params.get("query")},
                "total-results": len(found),
                "items": found[start : start + rows],
            },
        )

    def _journal(self, issn: str) -> Answer:
        journal = self.journals.get(issn.upper())
        return ok("journal", journal) if journal else not_found()

    def _journal_works(self, issn: str, params: Mapping[str, str]) -> Answer:
        journal = self.journals.get(issn.upper())
        if journal is None:
            return not_found(JSON_UTF8)
        issns = set(journal["ISSN"])
        return self._works([i for i in self.items if issns & set(i.get("ISSN", []))], params)


def _sorted(items: list[dict[str, Any]], params: Mapping[str, str], queried: bool) -> list[dict[str, Any]]:
    sort = SORT_FIELDS[params.get("sort", "score" if queried else "deposited")]
    descending = params.get("order", "desc") in ("desc", "-1")

    def key(item: dict[str, Any]) -> tuple[Any, ...]:
        value = item.get(sort)
        # Equal scores or counts go newest first, as they tend to on Crossref.
        return (value, date_of(item, "published")) if isinstance(value, int | float) else date_of(item, sort)

    return sorted(items, key=key, reverse=descending)


def _selected(item: dict[str, Any], select: str | None) -> dict[str, Any]:
    if not select:
        return item
    fields = set(select.split(","))
    return {k: v for k, v in item.items() if k in fields}


COVERAGE = (  # noqa: SIM905 - a word list reads better as words
    "affiliations abstracts orcids licenses references funders similarity-checking "
    "award-numbers ror-ids update-policies resource-links descriptions"
).split()
COVERAGE_FIELD = {"abstracts": "abstract", "licenses": "license", "resource-links": "link"}


def journals_from(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Journal records in Crossref's shape, derived from journal articles, keyed by each ISSN."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        if item.get("type") == "journal-article" and item.get("ISSN"):
            groups[tuple(item["ISSN"])].append(item)
    journals: dict[str, dict[str, Any]] = {}
    for issns, articles in groups.items():
        record = _journal_record(articles)
        journals.update({issn.upper(): record for issn in issns})
    return journals


def _journal_record(articles: list[dict[str, Any]]) -> dict[str, Any]:
    first = articles[0]
    checked = max(i.get("indexed", {}).get("timestamp", 0) for i in articles)
    newest = max(date_of(i, "issued")[:1] or (0,) for i in articles)[0]
    current = [i for i in articles if date_of(i, "issued")[:1] >= (newest - 2,)]
    backfile = [i for i in articles if i not in current]
    periods = {"current": current, "backfile": backfile, "all": articles}
    share = {p: {c: _share(arts, COVERAGE_FIELD.get(c)) for c in COVERAGE} for p, arts in periods.items()}
    years = Counter(date_of(i, "issued")[0] for i in articles if date_of(i, "issued"))
    return {
        "last-status-check-time": checked,
        "counts": {"current-dois": len(current), "backfile-dois": len(backfile), "total-dois": len(articles)},
        "breakdowns": {"dois-by-issued-year": [list(pair) for pair in years.most_common()]},
        "publisher": first.get("publisher", ""),
        "coverage": {f"{c}-{p}": share[p][c] for c in COVERAGE for p in ("current", "backfile")},
        "title": (first.get("container-title") or [""])[0],
        "subjects": [],
        "coverage-type": {p: {"last-status-check-time": checked, **share[p]} for p in periods},
        "flags": {
            "deposits": True,
            "deposits-articles": True,
            **{f"deposits-{c}-{p}": share[p][c] > 0 for c in COVERAGE for p in ("current", "backfile")},
        },
        "ISSN": list(first["ISSN"]),
        "issn-type": first.get("issn-type", []),
    }


def _share(items: list[dict[str, Any]], key: str | None) -> float:
    return sum(1 for i in items if key in i) / len(items) if items and key else 0.0


# --- replay mode: recorded real answers ------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """One recorded answer: which file holds the body, with what status and content type."""

    file: Path
    status: int
    content_type: str


def replay_key(path: str, params: Iterable[tuple[str, str]]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What a request is matched on: its decoded path and its parameters, order and mailto aside."""
    kept = sorted((k, v) for k, v in params if k != "mailto")
    return path.rstrip("/") or "/", tuple(kept)


class Replay:
    """Replay mode: answers recorded from the real API, served again in recorded order."""

    def __init__(self, recordings: Mapping[Any, list[Recording]]) -> None:
        """Serve these recordings; a key recorded twice answers with each in turn."""
        self._recordings = recordings
        self._served: Counter[Any] = Counter()

    @classmethod
    def load(cls, directory: str | Path) -> Replay:
        """Read ``manifest.json`` (entries with file, method, url, status, content_type)."""
        directory = Path(directory)
        recordings: dict[Any, list[Recording]] = defaultdict(list)
        for entry in json.loads((directory / "manifest.json").read_text("utf-8")):
            if entry.get("method", "GET") != "GET":
                continue
            url = urlsplit(entry["url"])
            key = replay_key(unquote(url.path), parse_qsl(url.query, keep_blank_values=True))
            recording = Recording(directory / entry["file"], int(entry["status"]), entry.get("content_type", ""))
            recordings[key].append(recording)
        return cls(recordings)

    async def answer(self, path: str, params: Mapping[str, str]) -> Answer:
        """The recorded answer for this request, or a 404 that says nothing was recorded."""
        key = replay_key(path, params.items())
        recorded = self._recordings.get(key)
        if not recorded:
            return dataclasses.replace(not_found(), headers=(("X-Refbot-Standin", "no recording"),))
        turn = min(self._served[key], len(recorded) - 1)
        self._served[key] += 1
        body = await asyncio.to_thread(recorded[turn].file.read_bytes)
        return Answer(recorded[turn].status, body, recorded[turn].content_type or None)


# --- faults, counts and the app --------------------------------------------------------


class Responder(Protocol):
    """Demo or replay: what answers Crossref's own routes."""

    async def answer(self, path: str, params: Mapping[str, str]) -> Answer: ...


@dataclass(frozen=True)
class Fault:
    """A misbehaviour the stand-in shows for the next ``times`` requests (None: until reset)."""

    delay: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    body: str | None = None
    times: int | None = None

    @classmethod
    def parse(cls, data: Any) -> Fault | None:
        """A fault from ``POST /_control`` JSON; None when it asks for no misbehaviour.

        Raises:
            ValueError: a key is unknown or a value of the wrong kind.
        """
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; known: {sorted(known)}")
        fault = cls(**{k: v for k, v in data.items() if v is not None})
        fault.check()
        wanted = (fault.delay or fault.status or fault.body) and fault.times != 0
        return fault if wanted else None

    def check(self) -> None:
        """Raise ValueError when a field holds something the stand-in cannot act on."""
        numbers = (self.delay, self.retry_after or 0, self.times or 0)
        if not all(isinstance(n, int | float) and not isinstance(n, bool) and n >= 0 for n in numbers):
            raise ValueError("delay, retry_after and times must be non-negative numbers")
        if self.status is not None and not (isinstance(self.status, int) and 400 <= self.status <= 599):
            raise ValueError("status must be an HTTP error status, 400-599")
        if self.body not in (None, "truncated", "not-json"):
            raise ValueError('body must be "truncated", "not-json" or null')

    def spent(self) -> Fault | None:
        """This fault after one more request: None once its ``times`` are used up."""
        if self.times is None:
            return self
        return dataclasses.replace(self, times=self.times - 1) if self.times > 1 else None

    def error(self) -> Answer | None:
        """The error answer given instead of a real one, if this fault has a status."""
        if self.status is None:
            return None
        extra = (("Retry-After", f"{self.retry_after:g}"),) if self.retry_after is not None else ()
        return Answer(self.status, _reason(self.status).encode(), "text/plain", extra)

    def spoil(self, answer: Answer) -> Answer:
        """The real answer with its body spoiled as this fault asks."""
        if self.body == "not-json":
            # What a proxy in front of an API tends to send while the API is down.
            page = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
            return Answer(200, page, "text/html;charset=utf-8")
        if self.body == "truncated":
            cut = len(answer.body) // 2
            while cut and answer.body[cut] & 0xC0 == 0x80:  # never split a UTF-8 character
                cut -= 1
            return dataclasses.replace(answer, body=answer.body[:cut])
        return answer


def _reason(status: int) -> str:
    with contextlib.suppress(ValueError):
        return HTTPStatus(status).phrase
    return "Error"


@dataclass
class Standin:
    """The stand-in's mutable state: what answers, the fault in force, and request counts."""

    responder: Responder
    fault: Fault | None = None
    requests: Counter[str] = field(default_factory=Counter)
    last: dict[str, Any] = field(default_factory=dict)
    released: asyncio.Event = field(default_factory=asyncio.Event)


STANDIN = web.AppKey("crossref_standin", Standin)


def create_crossref_standin(fixture: str | Path | None = None, replay_dir: str | Path | None = None) -> web.Application:
    """Build the stand-in app, in demo mode (default) or replay mode.

    Args:
        fixture: a JSON file of work items; None: the bundled demo fixture.
        replay_dir: a directory with ``manifest.json`` and recorded bodies; replay mode.

    Raises:
        ValueError: both a fixture and a replay directory were given, or the fixture holds no items.
    """
    if fixture is not None and replay_dir is not None:
        raise ValueError("give a fixture or a replay directory, not both")
    responder: Responder = Replay.load(replay_dir) if replay_dir is not None else DemoWorks.load(fixture)
    app = web.Application()
    app[STANDIN] = Standin(responder)
    app.router.add_post("/_control", _control)
    app.router.add_get("/_stats", _stats)
    app.router.add_get("/{tail:.*}", _crossref)
    app.on_shutdown.append(_release_delayed)
    return app


async def _crossref(request: web.Request) -> web.Response:
    state = request.app[STANDIN]
    path = "/" + request.match_info["tail"]
    state.requests[path] += 1
    state.last = {"path": path, "params": [[k, v] for k, v in request.query.items()]}
    fault, state.fault = state.fault, state.fault.spent() if state.fault else None
    if fault and fault.delay:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.released.wait(), fault.delay)
    error = fault.error() if fault else None
    if error is not None:
        return error.response()
    answer = await state.responder.answer(path, request.query)
    return (fault.spoil(answer) if fault else answer).response()


async def _control(request: web.Request) -> web.Response:
    try:
        fault = Fault.parse(await request.json())
    except (ValueError, TypeError) as e:
        return web.json_response({"error": str(e)}, status=400)
    request.app[STANDIN].fault = fault
    return web.json_response({"fault": dataclasses.asdict(fault) if fault else None})


async def _stats(request: web.Request) -> web.Response:
    state = request.app[STANDIN]
    return web.json_response({"requests": dict(state.requests), "last": state.last})


async def _release_delayed(app: web.Application) -> None:
    # Delayed answers return at once on shutdown, so stopping never waits out a delay.
    app[STANDIN].released.set()
