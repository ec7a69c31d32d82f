"""Searching the app's own sources from the console: the search page and the draft's "add" box.

A result a librarian adds travels back in the form as JSON with a signature, so the server
only ever adds what a source returned and never a candidate a browser made up.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from refbot import codec
from refbot.config import Settings
from refbot.models import Candidate, InformationNeed
from refbot.pipeline.parse import parse_need
from refbot.pipeline.search import search_all
from refbot.ports import Source
from refbot.web.console.sessions import SessionSigner

MAX_QUERY = 300


@dataclass(frozen=True)
class Found:
    """One search result with the signed token that adds it to a draft."""

    candidate: Candidate
    token: str
    signature: str


@dataclass(frozen=True)
class Lookup:
    """What a console search found, source by source, and which sources failed."""

    text: str
    source: str
    need: InformationNeed | None
    results: tuple[tuple[str, tuple[Found, ...]], ...] = ()
    failures: tuple[tuple[str, str], ...] = ()

    @property
    def count(self) -> int:
        """How many results in all."""
        return sum(len(found) for _name, found in self.results)


async def look_up(
    sources: Sequence[Source], text: str, source: str, settings: Settings, signer: SessionSigner
) -> Lookup:
    """Search ``source`` (or every source when it is empty or unknown) for the librarian's words."""
    text = " ".join(text.split())[:MAX_QUERY]
    chosen = [s for s in sources if s.name == source] or list(sources)
    if not text:
        return Lookup(text, source, None)
    year = datetime.date.today().year
    need = parse_need(text, settings.language.default, current_year=year)
    outcome = await search_all(need, chosen, settings.search.per_source, settings.search.deadline)
    results = tuple(
        (name, tuple(_found(c, signer) for c in outcome.results[name]))
        for name in (s.name for s in chosen)
        if name in outcome.results
    )
    return Lookup(text, source, need, results, tuple(sorted(outcome.failures.items())))


def _found(candidate: Candidate, signer: SessionSigner) -> Found:
    token = codec.dumps(candidate)
    return Found(candidate, token, signer.sign_value(token))


def candidate_from_form(token: str, signature: str, signer: SessionSigner) -> Candidate | None:
    """The candidate a form sent back, or None when it was not one the server handed out."""
    if not token or not signer.value_ok(token, signature):
        return None
    try:
        return codec.loads(Candidate, token)
    except (ValueError, TypeError, KeyError):
        return None
