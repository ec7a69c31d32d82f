"""Demo mode: Crossref's routes answered from a fixture of work items, searched by term overlap."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from refbot.sandbox.crossref.rules import (
    DATE_FILTERS,
    FLAG_FILTERS,
    JSON,
    JSON_UTF8,
    LIST_OF_JOURNALS,
    LIST_OF_WORKS,
    SINGLETON,
    SORT_FIELDS,
    Rules,
    failed,
    not_found,
    ok,
    parse_filters,
    validate,
)
from refbot.sandbox.faults import Answer


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


