"""A stand-in for DOAJ's public search API, on loopback, for the demo and the tests.

It answers ``GET /api/search/journals/{query}`` (and under ``/api/v3/`` and ``/api/v4/``) in
the shape of DOAJ's recorded real answers (``../shared/data/doaj/``): the envelope
``{"timestamp", "page", "pageSize", "query", "total", "results", "last"}`` and journal records
``{"id", "created_date", "last_updated", "bibjson": {…}, "admin": {"seal", "ticked"}}``.

- ``issn:NNNN-NNNC`` (also ``bibjson.pissn:`` / ``bibjson.eissn:``) finds the journal with that
  print or electronic ISSN; an ISSN DOAJ does not list is ``200`` with ``"total": 0`` and no
  results, as DOAJ answers it;
- any other query matches words of the journals' titles and keywords;
- an empty query is ``400`` with ``{"error": …}``; ``GET /api/journals/{id}`` is the record, or
  ``404`` (that body is the stand-in's own);
- ``POST /_control`` / ``GET /_stats``: faults on demand (delay, an error status, Retry-After,
  a broken body, for N requests; :mod:`refbot.sandbox.faults`).

Its journals are the demo's (:data:`DEMO_JOURNALS`: invented, the journals of the Crossref
stand-in's demo data), plus, when given, the journal records in recorded answers
(``records=[…]``: single records or search answers, as DOAJ wrote them).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from refbot.sandbox.faults import FAULTS, Answer, install

_ISSN_QUERY = re.compile(r"^(?:issn|bibjson\.pissn|bibjson\.eissn)\s*:\s*\"?(\d{4}-\d{3}[\dXx])\"?$", re.IGNORECASE)
PAGE_SIZE = 10

# Invented demo journals (title, print ISSN, electronic ISSN, publisher, keywords, DOAJ seal):
# the Crossref stand-in's demo journals that the demo has DOAJ list. The others are not in DOAJ.
DEMO_JOURNALS = (
    ("Berkala Literasi Informasi", "1907-4239", "2503-1864", "Universitas Cendana Raya",
     ("literasi informasi", "perpustakaan sekolah"), False),
    ("Jurnal Kepustakawanan Nusantara", "2301-5578", "2548-771X", "Ikatan Pustakawan Perguruan Tinggi Nusantara",
     ("kepustakawanan", "perpustakaan perguruan tinggi"), False),
    ("Asia-Pacific Journal of Digital Libraries", "2187-445X", "2187-4530", "Kedai Ilmu Scholarly Press",
     ("digital libraries", "repositories"), True),
    ("Information Literacy Quarterly", "2049-6036", "2049-6117", "Meridian Academic Publishing",
     ("information literacy", "instruction"), False),
)


@dataclass
class DoajState:
    """The journals the stand-in lists, by id; reachable as ``app[DOAJ_STATE]``."""

    journals: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> None:
        """List one journal record (DOAJ's shape)."""
        self.journals[str(record.get("id") or len(self.journals))] = record

    def by_issn(self, issn: str) -> list[dict[str, Any]]:
        """The records whose own print or electronic ISSN is ``issn``."""
        wanted = issn.upper()
        return [r for r in self.journals.values()
                if wanted in {str(r.get("bibjson", {}).get(k, "")).upper() for k in ("pissn", "eissn")}]

    def by_words(self, text: str) -> list[dict[str, Any]]:
        """The records whose title or keywords hold every word of ``text``."""
        words = re.findall(r"\w+", text.lower())
        return [r for r in self.journals.values() if all(w in _searchable(r) for w in words)]


DOAJ_STATE = web.AppKey("doaj_state", DoajState)


def create_doaj_standin(records: Iterable[Path] = (), *, demo: bool = True) -> web.Application:
    """Build the stand-in app: the demo journals (unless ``demo`` is False) and those in ``records``.

    Raises:
        ValueError: a records file holds no DOAJ journal record.
    """
    state = DoajState()
    if demo:
        for n, journal in enumerate(DEMO_JOURNALS, start=1):
            state.add(demo_record(n, *journal))
    for path in records:
        found = journal_records(json.loads(path.read_text(encoding="utf-8")))
        if not found:
            raise ValueError(f"{path} holds no DOAJ journal record")
        for record in found:
            state.add(record)
    app = web.Application()
    app[DOAJ_STATE] = state
    install(app)
    for prefix in ("/api", "/api/v3", "/api/v4"):
        app.router.add_get(prefix + "/search/journals/{query:.*}", _search)
        app.router.add_get(prefix + "/journals/{id}", _journal)
    return app


def journal_records(body: Any) -> list[dict[str, Any]]:
    """The journal records in a recorded answer: a search answer's results, or one record."""
    if not isinstance(body, dict):
        return []
    results = body.get("results")
    items: list[Any] = results if isinstance(results, list) else [body]
    return [r for r in items if isinstance(r, dict) and _is_journal(r.get("bibjson"))]


def _is_journal(bibjson: Any) -> bool:
    # An article's bibjson has "journal" and "identifier" instead of the journal's own ISSNs.
    return isinstance(bibjson, dict) and bool(bibjson.get("pissn") or bibjson.get("eissn"))


def demo_record(n: int, title: str, pissn: str, eissn: str, publisher: str, keywords: tuple[str, ...],
                seal: bool) -> dict[str, Any]:
    """An invented journal in DOAJ's record shape, as the recorded answers have it."""
    home = "https://jurnal.example.ac.id/" + re.sub(r"\W+", "-", title.lower()).strip("-")
    return {
        "id": f"demo{n:028d}",
        "created_date": "2019-03-12T08:00:00Z",
        "last_updated": "2026-06-01T08:00:00Z",
        "bibjson": {
            "boai": True, "pissn": pissn, "eissn": eissn, "title": title, "publication_time_weeks": 12,
            "apc": {"has_apc": False}, "copyright": {"author_retains": True, "url": home + "/hak-cipta"},
            "editorial": {"review_process": ["Double blind peer review"], "review_url": home + "/review",
                          "board_url": home + "/redaksi"},
            "plagiarism": {"detection": True, "url": home + "/plagiarisme"},
            "publisher": {"name": publisher, "country": "ID"},
            "ref": {"journal": home, "oa_statement": home + "/akses-terbuka"},
            "keywords": list(keywords), "language": ["ID", "EN"],
            "license": [{"type": "CC BY-SA", "BY": True, "NC": False, "ND": False, "SA": True}],
            "subject": [{"code": "Z665-718.8", "scheme": "LCC", "term": "Library science. Information science"}],
        },
        "admin": {"seal": seal, "ticked": True},
    }


async def _search(request: web.Request) -> web.Response:
    query = request.match_info["query"].strip()
    fault = await request.app[FAULTS].take("/search/journals", request)
    error = fault.error() if fault else None
    if error is not None:
        return error.response()
    answer = _search_answer(request.app[DOAJ_STATE], query, request)
    return (fault.spoil(answer) if fault else answer).response()


def _search_answer(state: DoajState, query: str, request: web.Request) -> Answer:
    if not query:
        return _json(400, {"error": "Query string is empty"})
    issn = _ISSN_QUERY.match(query)
    found = state.by_issn(issn[1]) if issn else state.by_words(query)
    page_size = _int(request.query.get("pageSize"), PAGE_SIZE)
    body: dict[str, Any] = {
        "timestamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "page": 1, "pageSize": page_size, "query": query, "total": len(found), "results": found[:page_size],
    }
    if found:
        body["last"] = str(request.url.with_query({"page": "1", "pageSize": str(page_size)}))
    return _json(200, body)


async def _journal(request: web.Request) -> web.Response:
    fault = await request.app[FAULTS].take("/journals", request)
    error = fault.error() if fault else None
    if error is not None:
        return error.response()
    record = request.app[DOAJ_STATE].journals.get(request.match_info["id"])
    answer = _json(200, record) if record else _json(404, {"error": "Journal not found"})
    return (fault.spoil(answer) if fault else answer).response()


def _json(status: int, body: Any) -> Answer:
    return Answer(status, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) <= 100 else default


def _searchable(record: dict[str, Any]) -> str:
    bibjson = record.get("bibjson", {})
    return " ".join([str(bibjson.get("title", "")), *map(str, bibjson.get("keywords", []))]).lower()
