"""Crossref's request rules and answer envelopes, as its REST API states and writes them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from refbot.sandbox.faults import JSON, Answer

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

