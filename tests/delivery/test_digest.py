"""Quiet nights for librarians: notices that come due while the desk is closed wait for one morning digest.

The desk here is open Monday to Friday 08:00-16:00 in Jakarta; 7-11 December 2026 is a
Monday-to-Friday week. What a librarian's phone shows is what the channel was given.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from refbot import codec
from refbot.config import DeskSettings, Librarian, Settings, load_settings
from refbot.decisions import drafts, fanout
from refbot.delivery.chores import Chores
from refbot.delivery.quiet import QuietHours
from refbot.delivery.sender import Sender
from refbot.desk.routing import Desk
from refbot.errors import ConfigError
from refbot.models import Button, OutgoingMessage
from refbot.store import Store
from refbot.wiring import check_settings
from tests.delivery.test_chores import FakeChannel
from tests.store.conftest import PATRON, Clock, ask

JAKARTA = ZoneInfo("Asia/Jakarta")
DEWI, BUDI = Librarian("Dewi", "6281300000001"), Librarian("Budi", "6281300000002")
LIBRARIANS = (DEWI, BUDI)


def wib(day: int, hour: int, minute: int = 0) -> float:
    """A moment in December 2026, Jakarta time, as the store's clock reads it."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=JAKARTA).timestamp()


TUESDAY_NIGHT = wib(8, 22)
WEDNESDAY_OPENING = wib(9, 8)


def make_settings(location: str, **desk: Any) -> Settings:
    base = load_settings(None, env={})
    return replace(
        base,
        store=replace(base.store, path=location),
        librarians=LIBRARIANS,
        whatsapp=replace(base.whatsapp, messages_per_second=1000.0),
        desk=replace(DeskSettings(), **desk),
    )


@dataclass
class Worker:
    """What one worker process brings to the night: a sender (with quiet hours) and the chores."""

    store: Store
    channel: FakeChannel
    sender: Sender
    chores: Chores

    async def tick(self) -> None:
        """One chores round, then send everything due (as the worker's loops do)."""
        await self.chores.run_once()
        while await self.sender.send_due():
            pass

    def received(self, phone: str) -> list[OutgoingMessage]:
        return [m for m in self.channel.sent if m.to == phone]


def worker(store: Store, settings: Settings, name: str = "w1") -> Worker:
    channel = FakeChannel()
    sender = Sender(store, channel, settings, worker=name, quiet=QuietHours.from_settings(settings.desk))
    return Worker(store, channel, sender, Chores(store, sender, settings))


@dataclass
class Rig:
    store: Store
    clock: Clock
    settings: Settings
    desk: Desk
    first: Worker

    async def new_draft(self, wamid: str) -> int:
        """A patron's question ("buku literasi informasi") became a draft; its review copy is queued to every librarian."""
        draft_id = await ask(self.store, wamid)
        await self.desk.notify_librarians(draft_id)
        return draft_id

    async def new_request(self, inbox_id: int, kind: str = "snap") -> int:
        """A service request, announced to every librarian as the services do (its text, then buttons)."""
        async with self.store.tx() as db:
            request_id = await self.store.create_service_request(
                db, inbox_id=inbox_id, kind=kind, patron=PATRON, language="id", detail={}, suggestion="")
            assert request_id is not None
            notice = [OutgoingMessage(to="", text=f"📷 Snap #{request_id} dari pemustaka"),
                      OutgoingMessage(to="", text="Jawab?", buttons=(Button(f"snap-reject:{request_id}", "Tolak"),))]
            await fanout.to_librarians(self.store, db, LIBRARIANS, f"svc:{request_id}:new", notice)
        return request_id


async def open_rig(location: str, **desk: Any) -> Rig:
    settings = make_settings(location, **desk)
    clock = Clock(TUESDAY_NIGHT)
    store = await Store.open(location, clock)
    return Rig(store, clock, settings, Desk(store, [], settings, clock=clock), worker(store, settings))


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    r = await open_rig(str(tmp_path / "refbot.sqlite3"))
    yield r
    await r.store.close()


def digests(messages: list[OutgoingMessage]) -> list[str]:
    return [m.text for m in messages if "Selamat pagi" in m.text]


def full_drafts(messages: list[OutgoingMessage], draft_id: int) -> list[OutgoingMessage]:
    return [m for m in messages if any(b.id == f"approve:{draft_id}" for b in m.buttons)]


# -- at night ----------------------------------------------------------------------------------------


async def test_a_draft_at_night_rings_no_phone_and_the_digest_names_it_at_opening(rig: Rig) -> None:
    draft_id = await rig.new_draft("wamid.q1")
    await rig.first.tick()
    assert rig.first.channel.sent == [], "22:00 on a Tuesday: no librarian's phone rings"

    rig.clock.now = WEDNESDAY_OPENING - 60
    await rig.first.tick()
    assert rig.first.channel.sent == [], "07:59: still closed"

    rig.clock.now = WEDNESDAY_OPENING
    await rig.first.tick()
    for librarian in LIBRARIANS:
        received = rig.first.received(librarian.phone)
        [digest] = digests(received)
        assert f"#{draft_id} · buku literasi informasi · 10 jam" in digest, digest
        assert "1 draft" in digest and f'"#{draft_id} lihat"' in digest
        assert full_drafts(received, draft_id) == [], "one short message instead of the full draft"


async def test_the_digest_goes_once_however_many_ticks_and_workers(rig: Rig) -> None:
    await rig.new_draft("wamid.q1")
    await rig.first.tick()
    rig.clock.now = WEDNESDAY_OPENING + 5 * 60
    second = worker(rig.store, rig.settings, "w2")
    await asyncio.gather(rig.first.tick(), second.tick())
    rig.clock.advance(3600)
    await rig.first.tick()
    await second.tick()
    for librarian in LIBRARIANS:
        both = rig.first.received(librarian.phone) + second.received(librarian.phone)
        assert len(digests(both)) == 1, both


async def test_several_workers_on_postgresql_make_one_digest(postgres: Any) -> None:
    url = await postgres.fresh_url()
    rig = await open_rig(url)
    others = [await Store.open(url, rig.clock) for _ in range(2)]
    try:
        draft_id = await rig.new_draft("wamid.q1")
        await rig.first.tick()
        rig.clock.now = WEDNESDAY_OPENING
        workers = [rig.first] + [worker(store, rig.settings, f"w{n}") for n, store in enumerate(others, 2)]
        await asyncio.gather(*(w.tick() for w in workers))
        await asyncio.gather(*(w.tick() for w in workers))
        for librarian in LIBRARIANS:
            sent = [m for w in workers for m in w.received(librarian.phone)]
            assert [f"#{draft_id} ·" in text for text in digests(sent)] == [True], sent
    finally:
        for store in others:
            await store.close()
        await rig.store.close()


async def test_a_draft_decided_overnight_is_not_listed(rig: Rig) -> None:
    decided = await rig.new_draft("wamid.q1")
    waiting = await rig.new_draft("wamid.q2")
    await rig.first.tick()
    await drafts.approve(rig.store, decided, DEWI.phone)  # on the console, late in the evening
    rig.clock.now = WEDNESDAY_OPENING
    await rig.first.tick()
    [digest] = digests(rig.first.received(BUDI.phone))
    assert f"#{waiting} ·" in digest and f"#{decided} ·" not in digest
    assert "1 draft" in digest


async def test_nothing_left_waiting_means_no_digest_at_all(rig: Rig) -> None:
    decided = await rig.new_draft("wamid.q1")
    await rig.first.tick()
    await drafts.reject(rig.store, decided, DEWI.phone)
    rig.clock.now = WEDNESDAY_OPENING
    await rig.first.tick()
    librarians = [m for m in rig.first.channel.sent if m.to in (DEWI.phone, BUDI.phone)]
    assert librarians == [], "an empty digest would be noise too"


async def test_a_service_request_is_listed_and_its_full_notice_follows_the_digest(rig: Rig) -> None:
    draft_id = await rig.new_draft("wamid.q1")
    request_id = await rig.new_request(inbox_id=1)
    await rig.first.tick()
    assert rig.first.channel.sent == []
    rig.clock.now = WEDNESDAY_OPENING
    await rig.first.tick()
    received = rig.first.received(DEWI.phone)
    texts = [m.text for m in received]
    assert "Selamat pagi" in texts[0]
    assert "1 draft dan 1 permintaan layanan" in texts[0]
    assert f"Foto/tangkapan layar #{request_id} · 10 jam" in texts[0]
    assert texts[1:] == [f"📷 Snap #{request_id} dari pemustaka", "Jawab?"], "the request's notice, after the digest"
    assert received[2].buttons[0].id == f"snap-reject:{request_id}"
    assert full_drafts(received, draft_id) == []


# -- what is not held ----------------------------------------------------------------------------------


async def test_in_office_hours_a_draft_goes_out_whole_as_before(rig: Rig) -> None:
    rig.clock.now = wib(9, 10, 30)
    draft_id = await rig.new_draft("wamid.q1")
    await rig.first.tick()
    for librarian in LIBRARIANS:
        received = rig.first.received(librarian.phone)
        assert len(full_drafts(received, draft_id)) == 1
        assert digests(received) == []


async def test_a_holiday_counts_as_closed(tmp_path: Path) -> None:
    rig = await open_rig(str(tmp_path / "refbot.sqlite3"), holidays=("2026-12-09",))
    try:
        rig.clock.now = wib(9, 10)  # a Wednesday, at ten — but the library is closed today
        draft_id = await rig.new_draft("wamid.q1")
        await rig.first.tick()
        assert rig.first.channel.sent == []
        rig.clock.now = wib(10, 8)
        await rig.first.tick()
        [digest] = digests(rig.first.received(DEWI.phone))
        assert f"#{draft_id} · buku literasi informasi · 22 jam" in digest
    finally:
        await rig.store.close()


async def test_with_the_setting_off_drafts_go_out_at_night_as_before(tmp_path: Path) -> None:
    rig = await open_rig(str(tmp_path / "refbot.sqlite3"), hold_librarian_notices=False)
    try:
        draft_id = await rig.new_draft("wamid.q1")
        await rig.first.tick()
        assert len(full_drafts(rig.first.received(DEWI.phone), draft_id)) == 1
        rig.clock.now = WEDNESDAY_OPENING
        await rig.first.tick()
        assert digests(rig.first.channel.sent) == []
    finally:
        await rig.store.close()


async def test_patrons_messages_go_out_at_night(rig: Rig) -> None:
    async with rig.store.tx() as db:
        await rig.store.enqueue(db, "ack:1:patron", OutgoingMessage(to=PATRON, text="Pertanyaan Anda kami terima."))
    await rig.first.tick()
    assert [m.text for m in rig.first.received(PATRON)] == ["Pertanyaan Anda kami terima."]


# -- the digest's time -------------------------------------------------------------------------------


async def test_a_digest_at_half_past_seven_and_a_draft_after_it_goes_out_at_the_opening(tmp_path: Path) -> None:
    rig = await open_rig(str(tmp_path / "refbot.sqlite3"), digest_at="07:30")
    try:
        night = await rig.new_draft("wamid.q1")
        await rig.first.tick()
        rig.clock.now = wib(9, 7, 30)
        await rig.first.tick()
        [digest] = digests(rig.first.received(DEWI.phone))
        assert f"#{night} ·" in digest

        rig.clock.now = wib(9, 7, 45)  # after the digest, still before the opening
        early = await rig.new_draft("wamid.q2")
        await rig.first.tick()
        assert full_drafts(rig.first.received(DEWI.phone), early) == []
        rig.clock.now = WEDNESDAY_OPENING
        await rig.first.tick()
        assert len(full_drafts(rig.first.received(DEWI.phone), early)) == 1, "sent as it is once the desk opens"
        assert len(digests(rig.first.received(DEWI.phone))) == 1
    finally:
        await rig.store.close()


async def test_a_digest_missed_all_day_is_not_sent_in_the_evening(rig: Rig) -> None:
    draft_id = await rig.new_draft("wamid.q1")
    await rig.first.tick()
    rig.clock.now = wib(9, 16, 30)  # no worker ran on Wednesday; now the desk has closed again
    await rig.first.tick()
    assert rig.first.channel.sent == []
    rig.clock.now = wib(10, 8, 1)
    await rig.first.tick()
    [digest] = digests(rig.first.received(DEWI.phone))
    assert f"#{draft_id} · buku literasi informasi · 34 jam" in digest


async def test_turning_the_setting_off_sends_what_was_kept_quiet(tmp_path: Path) -> None:
    location = str(tmp_path / "refbot.sqlite3")
    rig = await open_rig(location)
    try:
        draft_id = await rig.new_draft("wamid.q1")
        await rig.first.tick()
        assert rig.first.channel.sent == []
        off = worker(rig.store, make_settings(location, hold_librarian_notices=False))
        await off.tick()
        assert len(full_drafts(off.received(DEWI.phone), draft_id)) == 1
    finally:
        await rig.store.close()


async def test_the_outbox_tells_which_notices_were_replaced_by_the_digest(rig: Rig) -> None:
    draft_id = await rig.new_draft("wamid.q1")
    await rig.first.tick()
    states = {r["state"] for r in await rig.store.outbox_rows(DEWI.phone)}
    assert states == {"quiet"}
    rig.clock.now = WEDNESDAY_OPENING
    await rig.first.tick()
    rows = await rig.store.outbox_rows(DEWI.phone)
    review = [r for r in rows if r["idem_key"].startswith(f"draft:{draft_id}:v1:")]
    assert {r["state"] for r in review} == {"digested"}
    [digest] = [r for r in rows if r["idem_key"].startswith("digest:")]
    assert digest["idem_key"] == f"digest:desk:2026-12-09:librarian:{DEWI.phone}:0"
    assert codec.loads(OutgoingMessage, digest["message"]).to == DEWI.phone


@pytest.mark.parametrize("value", ["pagi", "25:00", "7.30", ""])
def test_a_digest_time_refbot_cannot_read_stops_start_up_naming_the_key(tmp_path: Path, value: str) -> None:
    settings = make_settings(str(tmp_path / "refbot.sqlite3"), digest_at=value)
    with pytest.raises(ConfigError, match=r"desk\.digest_at"):
        check_settings(settings)
    check_settings(make_settings(str(tmp_path / "refbot.sqlite3"), digest_at="07:30"))  # a time it can read
