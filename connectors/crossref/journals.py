"""A Crossref journal record → a Candidate of kind ``journal``, for "is this journal legit?".

Crossref cannot say whether a journal is accredited (SINTA) or predatory; what it can say,
and what a librarian checks first, is that the journal is registered under its ISSNs, who
publishes it, how many DOIs it has deposited and how recently. That goes into the abstract.
``accreditation`` is left empty here on purpose: it is filled from DOAJ and the library's SINTA
list while the draft is made (:mod:`refbot.catalog.journals.accredited`), never from Crossref.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.crossref.failures import SOURCE_NAME
from connectors.crossref.works import title_of, year_of
from refbot.models import Candidate, Kind

ISSN_PORTAL = "https://portal.issn.org/resource/ISSN/{issn}"


def journal_to_candidate(record: Mapping[str, Any], rank: int, recent: list[Mapping[str, Any]] | None = None) -> Candidate:
    """Convert one ``/journals`` record (and optionally its newest works) into a Candidate."""
    if not isinstance(record, Mapping):
        record = {}
    issns = _issns(record)
    return Candidate(
        source=SOURCE_NAME,
        source_id=f"issn:{issns[0]}" if issns else _text(record.get("title")).lower(),
        kind=Kind.JOURNAL,
        title=_text(record.get("title")),
        publisher=_text(record.get("publisher")),
        issn=issns,
        url=ISSN_PORTAL.format(issn=issns[0]) if issns else "",
        abstract=summary(record, recent or []),
        subjects=tuple(_subjects(record.get("subjects"))),
        year=_latest_year(record),
        source_rank=rank,
    )


def journals_from(body: Any) -> list[Mapping[str, Any]]:
    """The journal records in a ``journal`` or ``journal-list`` answer."""
    message = body.get("message") if isinstance(body, Mapping) else None
    if isinstance(message, Mapping) and isinstance(message.get("items"), list):
        return [m for m in message["items"] if isinstance(m, Mapping)]
    return [message] if isinstance(message, Mapping) and message.get("title") else []


def works_from(body: Any) -> list[Mapping[str, Any]]:
    """The work items in a ``work-list`` answer (empty when it has none)."""
    message = body.get("message") if isinstance(body, Mapping) else None
    items = message.get("items") if isinstance(message, Mapping) else None
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def summary(record: Mapping[str, Any], recent: list[Mapping[str, Any]]) -> str:
    """What Crossref knows of a journal's standing, in one line a librarian can scan."""
    counts = record.get("counts")
    counts = counts if isinstance(counts, Mapping) else {}
    parts = ["Registered with Crossref"]
    total = counts.get("total-dois")
    if isinstance(total, int):
        parts.append(f"{total} DOIs ({counts.get('current-dois', 0)} in the last three years)")
    years = _years(record)
    if years:
        parts.append(f"publishing {min(years)}–{max(years)}")
    types = [f"{_text(t.get('value'))} ({_text(t.get('type'))})" for t in _dicts(record.get("issn-type"))]
    if types:
        parts.append("ISSN " + ", ".join(types))
    dois = [f"{_text(w.get('DOI')).lower()} ({year_of(w) or 'n.d.'})" for w in recent if _text(w.get("DOI"))]
    if dois:
        parts.append("recent: " + "; ".join(dois))
    titles = [title_of(w) for w in recent[:1] if title_of(w)]
    if titles:
        parts.append(f"latest: “{titles[0]}”")
    return " · ".join(parts)


def _issns(record: Mapping[str, Any]) -> tuple[str, ...]:
    values = record.get("ISSN")
    values = values if isinstance(values, list) else [values]
    return tuple(dict.fromkeys(v.strip().upper() for v in values if isinstance(v, str) and v.strip()))


def _subjects(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    names = (s.get("name") if isinstance(s, Mapping) else s for s in value)
    return [n.strip() for n in names if isinstance(n, str) and n.strip()]


def _years(record: Mapping[str, Any]) -> list[int]:
    breakdowns = record.get("breakdowns")
    pairs = breakdowns.get("dois-by-issued-year") if isinstance(breakdowns, Mapping) else None
    if not isinstance(pairs, list):
        return []
    years = (p[0] for p in pairs if isinstance(p, list) and p and isinstance(p[0], int))
    return [y for y in years if 1000 <= y <= 2999]


def _latest_year(record: Mapping[str, Any]) -> int | None:
    years = _years(record)
    return max(years) if years else None


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
