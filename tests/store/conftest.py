"""A Store on a temporary file with a clock the test moves by hand, and a patron's question turned into a draft."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from refbot.models import Candidate, Holding, InboundMessage, InformationNeed, Kind, Ranked, Score, Term
from refbot.store import Store

PATRON = "6281200000001"
OTHER_PATRON = "6281200000002"
START = 1_700_000_000.0


@dataclass
class Clock:
    """Seconds since the epoch, moved only by the test."""

    now: float = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> AsyncIterator[Store]:
    """The store on each backend: every store test runs on SQLite and on a real PostgreSQL."""
    if request.param == "postgresql":
        location: str | Path = await request.getfixturevalue("postgres").fresh_url()
    else:
        location = tmp_path / "refbot.sqlite3"
    s = await Store.open(location, clock)
    yield s
    await s.close()


def message(wamid: str, sender: str = PATRON, text: str = "buku literasi informasi") -> InboundMessage:
    return InboundMessage(wamid, sender, "text", text=text)


def books(n: int) -> tuple[Ranked, ...]:
    return tuple(
        Ranked(
            Candidate("catalog", f"b{i}", Kind.BOOK, f"Buku {i}", call_number=f"020.{i} LIT",
                      holdings=(Holding("Lantai 2", f"020.{i} LIT"),)),
            Score(1.0 - i / 10, (("source", 0.5),)),
        )
        for i in range(n)
    )


async def ask(store: Store, wamid: str = "wamid.q1", sender: str = PATRON, language: str = "id",
              items: tuple[Ranked, ...] | None = None) -> int:
    """A patron's question, handled as far as a pending draft for the librarians; its draft id."""
    assert await store.record_inbound(message(wamid, sender))
    [row] = [r for r in await store.claim_inbox(10) if r.message.wamid == wamid]
    need = InformationNeed(raw=row.message.text, language=language, terms=(Term("literasi"),))
    request = await store.create_request(row.id, sender, need)
    async with store.tx() as db:
        draft_id = await store.insert_draft(db, request.id, books(3) if items is None else items, ())
        await store.finish_inbox(row.id, db)
    assert draft_id is not None
    return draft_id
