"""The pipeline in one call: every source at once, ranked; a failing source is named, not fatal."""

from __future__ import annotations

import asyncio

from refbot.config import MatchSettings, SearchSettings
from refbot.errors import SourceError
from refbot.models import Candidate, InformationNeed, Kind, Term
from refbot.pipeline.answer import answer


class Shelf:
    name = "catalog"

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        return [Candidate("catalog", str(n), Kind.BOOK, f"Literasi informasi jilid {n}", year=2020)
                for n in range(1, 4)]


class Down:
    name = "crossref"

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        raise SourceError("crossref", "503 Service Unavailable")


class Slow:
    name = "zotero"

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        await asyncio.sleep(30)
        return []


async def test_the_draft_comes_from_the_sources_that_answered_and_names_those_that_did_not() -> None:
    need = InformationNeed(raw="literasi informasi", terms=(Term("literasi"), Term("informasi")))
    found = await answer(need, [Shelf(), Down(), Slow()], SearchSettings(deadline=0.3, draft_size=2), MatchSettings())

    assert [r.candidate.source for r in found.items] == ["catalog", "catalog"], "trimmed to the draft's size"
    assert set(found.failures) == {"crossref", "zotero"}
    assert "0.3" in found.failures["zotero"]
