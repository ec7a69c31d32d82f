"""A week at the desk with quiet nights: questions at night and on a holiday wait for one morning digest.

refbot's worker runs for real (journal, intake, sender, chores) over a SQLite store whose clock
the test moves, with the demo catalog as its source and the Graph API stand-in on loopback as
WhatsApp: what a phone shows is what the stand-in recorded for its number. Patrons' messages go
in as Meta delivers them, through the webhook journal. The desk is open Monday to Friday
08:00-16:00 in Jakarta; Wednesday 9 December 2026 is a holiday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from connectors.whatsapp import WhatsAppChannel
from refbot.config import DeskSettings, Settings
from refbot.desk.routing import Desk
from refbot.ports import Journal
from refbot.sandbox.graph import create_graph_standin
from refbot.sandbox.payloads import BusinessNumber, encode, text_message
from refbot.sandbox.postgres import free_port
from refbot.services.library import NoLibrarySystem
from refbot.store import Store
from refbot.wiring import default_sources, desk_services, open_journal
from refbot.worker.loops import Worker
from tests.conftest import (
    APP_SECRET,
    LIBRARIAN,
    LIBRARIAN_2,
    PATRON,
    PHONE_NUMBER_ID,
    TOKEN,
    eventually,
    make_settings,
    serve,
)
from tests.store.conftest import Clock

JAKARTA = ZoneInfo("Asia/Jakarta")
WITHIN = 60.0
"""Seconds to wait for what a phone should show: generous, the machine may be busy."""


def wib(day: int, hour: int, minute: int = 0) -> float:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=JAKARTA).timestamp()


@dataclass
class Week:
    """The desk, its clock, and the phones."""

    settings: Settings
    store: Store
    clock: Clock
    desk: Desk
    channel: WhatsAppChannel
    journal: Journal
    http: aiohttp.ClientSession
    graph_url: str
    worker: Worker | None = None

    async def start_worker(self) -> None:
        self.worker = Worker(self.store, self.desk, self.channel, self.settings, self.journal)
        await self.worker.start()

    async def stop_worker(self) -> None:
        """Stop the worker once it has sent what it had (the stand-in sends no status webhooks to settle a cut-off send)."""
        async def all_sent() -> bool:
            return not [r for r in await self.store.outbox_rows() if r["state"] in ("pending", "sending", "unsure")]

        await eventually(all_sent, what="the outbox to be sent", within=WITHIN)
        assert self.worker is not None
        await self.worker.stop()

    async def says(self, sender: str, text: str) -> None:
        """A message as Meta delivers it: written down in the webhook journal, then the worker is woken."""
        await self.journal.append(encode(text_message(BusinessNumber(PHONE_NUMBER_ID), sender, text)))
        assert self.worker is not None
        self.worker.wake()

    async def phone(self, number: str) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.graph_url}/_sent", params={"to": number}) as resp:
            return list((await resp.json())["messages"])

    async def drafts(self, n: int) -> list[int]:
        async def made() -> list[int]:
            ids = await self.store.draft_ids()
            return ids if len(ids) >= n else []

        return list(await eventually(made, what=f"{n} drafts", within=WITHIN))

    async def settled(self, draft_id: int) -> None:
        """Wait until the sender has dealt with every librarian's copy of the draft (sent or kept quiet)."""
        async def done() -> bool:
            rows = [r for r in await self.store.outbox_rows() if r["draft_id"] == draft_id and ":librarian:" in r["idem_key"]]
            return bool(rows) and all(r["state"] in ("quiet", "sent", "delivered", "read") for r in rows)

        await eventually(done, what=f"draft {draft_id}'s review copies to be dealt with", within=WITHIN)

    async def received(self, number: str, fragment: str) -> list[dict[str, Any]]:
        async def found() -> list[dict[str, Any]]:
            return [m for m in await self.phone(number) if fragment in m["text"]]

        return list(await eventually(found, what=f"a message to {number} containing {fragment!r}", within=WITHIN))


def digests(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if "Selamat pagi" in m["text"]]


def full_drafts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if any(b["id"].startswith("approve:") for b in m.get("buttons") or [])]


@pytest.fixture
async def week(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Week]:
    graph_runner, graph_url = await serve(create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID))
    base = make_settings(tmp_path, catalog_dir, port=free_port(), graph=graph_url, crossref="http://127.0.0.1:9")
    settings = replace(
        base,
        crossref=replace(base.crossref, enabled=False),
        worker=replace(base.worker, chore_interval=0.1),
        desk=DeskSettings(office_hours=("mon-fri 08:00-16:00",), holidays=("2026-12-09",)),
    )
    clock = Clock(wib(8, 22))  # Tuesday, ten at night
    store = await Store.open(settings.store.path, clock)
    journal = open_journal(settings, store)
    async with aiohttp.ClientSession() as http:
        channel = WhatsAppChannel(settings.whatsapp, settings.secrets.whatsapp_token,
                                  settings.secrets.whatsapp_app_secret, http)
        services = desk_services(settings, store, channel, NoLibrarySystem(), clock=clock)
        desk = Desk(store, default_sources(settings, store), settings, clock=clock, services=services)
        w = Week(settings, store, clock, desk, channel, journal, http, graph_url)
        try:
            yield w
        finally:
            if w.worker is not None:
                await w.worker.stop()
            await journal.close()
            await store.close()
            await graph_runner.cleanup()


async def test_nights_and_a_holiday_wait_for_one_morning_digest(week: Week) -> None:
    await week.start_worker()

    # Tuesday 22:00: the patron is told when a librarian answers; no librarian's phone rings.
    await week.says(PATRON, "buku tentang manajemen perpustakaan sekolah")
    await week.received(PATRON, "di luar jam layanan")
    [night] = await week.drafts(1)
    await week.settled(night)

    # Wednesday 10:00 is a holiday: closed all day, so this one waits too.
    week.clock.now = wib(9, 10)
    await week.says(PATRON, "literasi informasi untuk siswa")
    holiday = (await week.drafts(2))[-1]
    await week.settled(holiday)
    assert await week.phone(LIBRARIAN) == [] and await week.phone(LIBRARIAN_2) == []

    # Thursday 08:00: one digest each, naming both drafts, instead of two full drafts.
    week.clock.now = wib(10, 8)
    for librarian in (LIBRARIAN, LIBRARIAN_2):
        [digest] = digests(await week.received(librarian, "Selamat pagi"))
        assert "2 draft" in digest
        assert f"#{night} · buku tentang manajemen perpustakaan sekolah · 34 jam" in digest, digest
        assert f"#{holiday} · literasi informasi untuk siswa · 22 jam" in digest
        assert full_drafts(await week.phone(librarian)) == []

    # A restart a few minutes later (a second worker, more chore rounds): no second digest.
    await week.stop_worker()
    week.clock.now = wib(10, 8, 5)
    await week.start_worker()
    week.clock.now = wib(10, 8, 10)
    await week.says(LIBRARIAN, f"#{night} lihat")  # Dewi asks for the full review copy

    async def full_copy() -> dict[str, Any] | None:
        return next(iter(full_drafts(await week.phone(LIBRARIAN))), None)

    copy = await eventually(full_copy, what=f"draft {night}'s full review copy on Dewi's phone", within=WITHIN)
    assert {b["id"] for b in copy["buttons"]} >= {f"approve:{night}", f"reject:{night}"}
    assert full_drafts(await week.phone(LIBRARIAN_2)) == [], "only the librarian who asked gets it"
    week.clock.now = wib(10, 9)
    # Thursday 09:00, office hours: a new question's draft reaches both librarians whole, at once.
    await week.says(PATRON, "arsip dinamis")
    third = (await week.drafts(3))[-1]
    for librarian in (LIBRARIAN, LIBRARIAN_2):
        async def whole(number: str = librarian) -> bool:
            return any(b["id"] == f"approve:{third}" for m in await week.phone(number) for b in m.get("buttons") or [])

        await eventually(whole, what=f"draft {third} on {librarian}'s phone", within=WITHIN)
    for librarian in (LIBRARIAN, LIBRARIAN_2):
        assert len(digests(await week.phone(librarian))) == 1, "the digest went once"
