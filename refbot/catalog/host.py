"""The book or journal a catalogued chapter or article sits in: MARC 773 (host item entry).

A library that catalogs chapters of an edited book, or articles of its own journal, links each
to its host in 773: $t the host's title, $g where in it ("Vol. 12, no. 3 (2020), p. 45-60",
"Vol. 5 No. 2 (2019): 101-115", "hlm. 1-20", "12(3):45-60", "Article e0123"). A citation
needs those parts apart: APA writes *Journal*, *12*(3), 45–60, or "In *Book* (pp. 1–20)".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pymarc import Field

from refbot.catalog.isbd import clean

_RANGE = r"\d+\s*(?:-{1,2}|–)\s*\d+"
_VOLUME = re.compile(r"\b(?:vol(?:ume)?|v|jil(?:id)?|jld)\b\.?\s*([0-9A-Za-z]+)", re.IGNORECASE)
_ISSUE = re.compile(r"\b(?:no|nomor|nr|num(?:ber)?|issue|iss|edisi)\b\.?\s*([0-9A-Za-z]+(?:\s*[-/]\s*\d+)?)", re.IGNORECASE)
_PAGES = re.compile(rf"\b(?:pp?|hlm|hal(?:aman)?|pages?)\b\.?\s*({_RANGE}|\d+)", re.IGNORECASE)
_ARTICLE = re.compile(r"\b(?:art(?:icle|ikel)?|e-?locator)\b\.?\s*(?:no\.?\s*)?([A-Za-z]?\d[\w.-]*)", re.IGNORECASE)
_COMPACT = re.compile(rf"^\s*(\d+)\s*\(([^)]+)\)\s*(?::\s*({_RANGE}|\d+))?")
_BARE_RANGE = re.compile(rf"[:,]\s*({_RANGE})\s*\.?$")


@dataclass(frozen=True)
class Host:
    """Where a part sits: its host's title and the numbers that find it there."""

    title: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    article_number: str = ""


def host_of(fields: Sequence[Field]) -> Host:
    """The first 773 with a title ($t, else $a): the host and the parts of its $g."""
    for field in fields:
        title = clean(" ".join(field.get_subfields("t")) or " ".join(field.get_subfields("a")))
        if title:
            return _located(Host(title=title), " ".join(field.get_subfields("g")))
    return Host()


def _located(host: Host, where: str) -> Host:
    where = " ".join(where.split())
    compact = _COMPACT.match(where)
    if compact:
        volume, issue, pages = compact.group(1), compact.group(2), compact.group(3) or ""
    else:
        volume, issue, pages = _group(_VOLUME, where), _group(_ISSUE, where), _group(_PAGES, where)
        pages = pages or _group(_BARE_RANGE, where)
    article = "" if pages else _group(_ARTICLE, where)
    return Host(host.title, volume, issue.replace(" ", ""), pages.replace(" ", ""), article.rstrip("."))


def _group(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    return found.group(1) if found else ""
