"""The chores the worker does because time passed: warnings before a patron's window shuts, templates for
parked messages, and forgetting what people wrote once the retention period is over."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from refbot.config import Librarian, Settings, load_settings
from refbot.decisions import drafts
from refbot.delivery.chores import Chores
from refbot.delivery.sender import Sender
from refbot.models import OutgoingMessage
from refbot.store import Store
from tests.store.conftest import PATRON, Clock, ask, message

LIBRARIANS = (Librarian("Dewi", "6281300000001"), Librarian("Budi", "6281300000002"))
TEMPLATE = "refbot_pesan_menunggu"
HOUR = 3600.0
DAY = 86400.0


@dataclass
class FakeChannel:
    """The messaging channel, as far as the sender uses it: it takes whatever it is given."""

    sent: list[OutgoingMessage] = field(default_factory=list)

    def verify_signature(self, body: bytes, signature_header: str) -> bool:
        return True

    def parse_updates(self, payload: Any) -> list[Any]:
        return []

    async def send(self, message: OutgoingMessage, *, callback_data: str = "") -> str:
        self.sent.append(message)
        return f"wamid.out{len(self.sent)}"

    async def download_media(self, media_id: str, *, max_bytes: int, allowed_types: Collection[str]) -> tuple[bytes, str]:
        raise AssertionError("no chore downloads anything")


@dataclass
class Rig:
    store: Store
    clock: Clock
    channel: FakeChannel
    chores: Chores
    media: Path


def make_settings(tmp_path: Path, *, template: str = TEMPLATE, retention_days: int = 365) -> Settings:
    base = load_settings(None, env={})
    return replace(
        base,
        store=replace(base.store, path=str(tmp_path / "refbot.sqlite3")),
        librarians=LIBRARIANS,
        whatsapp=replace(base.whatsapp, window_template=template, window_warning_minutes=60,
                         messages_per_second=1000.0),
        privacy=replace(base.privacy, retention_days=retention_days),
    )


async def open_rig(tmp_path: Path, **over: Any) -> Rig:
    settings = make_settings(tmp_path, **over)
    clock = Clock()
    store = await Store.open(settings.store.path, clock)
    channel = FakeChannel()
    sender = Sender(store, channel, settings)  # as refbot.worker.loops.Worker builds them
    return Rig(store, clock, channel, Chores(store, sender, settings), tmp_path / "media")


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    r = await open_rig(tmp_path)
    yield r
    await r.store.close()


async def warnings(store: Store) -> list[Any]:
    return [r for r in await store.outbox_rows() if r["idem_key"].startswith("window-warning:")]


# -- warnings before a waiting patron's window shuts ----------------------------------------------


async def test_librarians_are_warned_once_per_draft_before_the_window_shuts(rig: Rig) -> None:
    draft_id = await ask(rig.store)  # the patron wrote now: their window shuts in 24 hours
    rig.clock.advance(DAY - HOUR - 1)
    await rig.chores.run_once()
    assert await warnings(rig.store) == [], "not yet: more than an hour is left"

    rig.clock.advance(1 + 15 * 60)  # 45 minutes left
    await rig.chores.run_once()
    rows = await warnings(rig.store)
    assert sorted(r["recipient"] for r in rows) == sorted(lib.phone for lib in LIBRARIANS)
    for row in rows:
        assert f"Draft #{draft_id}" in row["message"] and "45 menit" in row["message"]

    rig.clock.advance(10 * 60)
    await rig.chores.run_once()
    rig.clock.advance(10 * 60)
    assert await rig.chores.warn_closing_windows() == 0
    assert len(await warnings(rig.store)) == len(LIBRARIANS), "each librarian is warned once, not every minute"


async def test_no_warning_for_a_decided_draft_or_a_window_already_shut(rig: Rig) -> None:
    decided = await ask(rig.store, "wamid.q1")
    await drafts.approve(rig.store, decided, LIBRARIANS[0].phone)
    rig.clock.advance(DAY - 30 * 60)
    assert await rig.chores.warn_closing_windows() == 0

    rig.clock.advance(HOUR)  # a draft waiting past the window: too late to warn
    await ask(rig.store, "wamid.q2", sender="6281200000009")
    rig.clock.advance(DAY + 1)
    assert await rig.chores.warn_closing_windows() == 0
    assert await warnings(rig.store) == []


async def test_a_patron_writing_again_reopens_the_window_and_the_warning_waits(rig: Rig) -> None:
    await ask(rig.store, "wamid.q1")
    rig.clock.advance(12 * HOUR)
    await rig.store.record_inbound(message("wamid.thanks", text="terima kasih"))
    rig.clock.advance(12 * HOUR - 30 * 60)  # 30 minutes before the first window would have shut
    assert await rig.chores.warn_closing_windows() == 0


# -- templates for messages parked behind a shut window ------------------------------------------


async def park(rig: Rig, text: str = "Daftar bacaan Anda") -> None:
    """The patron wrote two days ago; a message for them is held because their window is shut."""
    await rig.store.record_inbound(message("wamid.old"))
    rig.clock.advance(2 * DAY)
    async with rig.store.tx() as db:
        await rig.store.enqueue(db, "reply:1", OutgoingMessage(to=PATRON, text=text))
    await rig.chores.sender.send_due()
    assert [r["state"] for r in await rig.store.outbox_rows()] == ["held"]
    assert rig.channel.sent == [], "no free text outside the window"


async def test_a_template_goes_once_to_someone_with_held_messages(rig: Rig) -> None:
    await park(rig)
    await rig.chores.run_once()
    await rig.chores.run_once()
    templates = [r for r in await rig.store.outbox_rows(PATRON) if r["idem_key"].startswith("template:")]
    assert len(templates) == 1
    await rig.chores.sender.send_due()
    [sent] = rig.channel.sent
    assert sent.to == PATRON and sent.template is not None and sent.template.name == TEMPLATE

    # The patron answers the template: the held list goes out after it, and no further template is queued.
    await rig.store.record_inbound(message("wamid.reply", text="ya"))
    await rig.chores.sender.send_due()
    assert [m.text for m in rig.channel.sent[1:]] == ["Daftar bacaan Anda"]
    await rig.chores.run_once()
    assert len([r for r in await rig.store.outbox_rows() if r["idem_key"].startswith("template:")]) == 1


async def test_without_a_configured_template_nothing_is_queued(tmp_path: Path) -> None:
    r = await open_rig(tmp_path, template="")
    try:
        await r.store.record_inbound(message("wamid.old"))
        async with r.store.tx() as db:
            await r.store.enqueue(db, "reply:1", OutgoingMessage(to=PATRON, text="x"))
        [row] = await r.store.claim_outbox(1)
        await r.store.hold(row, "131047")
        await r.chores.run_once()
        assert [x["idem_key"] for x in await r.store.outbox_rows()] == ["reply:1"]
    finally:
        await r.store.close()


# -- the retention purge -------------------------------------------------------------------------


async def test_the_retention_purge_forgets_old_words_and_files_and_keeps_recent_ones(rig: Rig) -> None:
    old_draft = await ask(rig.store, "wamid.old")  # inbox row 1
    await drafts.approve(rig.store, old_draft, LIBRARIANS[0].phone)
    await rig.chores.sender.send_due()
    [old_list] = await rig.store.outbox_rows(PATRON)
    assert old_list["state"] == "sent" and "Buku 0" in old_list["message"]
    rig.media.mkdir()
    screenshot = rig.media / "1-0123456789abcdef.jpg"  # the name refbot gives what it saved for inbox row 1
    screenshot.write_bytes(b"\xff\xd8")
    not_refbots = rig.media / "notes.txt"
    not_refbots.write_text("kept")

    rig.clock.advance(200 * DAY)
    recent_draft = await ask(rig.store, "wamid.new", sender="6281200000009")
    rig.clock.advance(200 * DAY)  # the first question is now 400 days old, the second 200
    await rig.chores.run_once()

    gone = await rig.store.get_draft(old_draft)
    assert gone is not None
    assert gone.question == "" and gone.patron.startswith("erased:") and PATRON not in gone.patron
    assert gone.status.value == "sent", "statistics keep what happened"
    [forgotten] = [r for r in await rig.store.outbox_rows() if r["id"] == old_list["id"]]
    assert forgotten["recipient"].startswith("erased:")
    assert "Buku 0" not in forgotten["message"] and PATRON not in forgotten["message"]
    assert await rig.store.outbox_rows(PATRON) == []
    assert not screenshot.exists() and not_refbots.exists()

    kept = await rig.store.get_draft(recent_draft)
    assert kept is not None and (kept.question, kept.patron) == ("buku literasi informasi", "6281200000009")
    assert [e["kind"] for e in await rig.store.events() if e["actor"] == "retention"] == ["purge"]


async def test_the_purge_does_not_forget_what_is_still_to_be_sent(rig: Rig) -> None:
    await rig.store.record_inbound(message("wamid.old"))
    async with rig.store.tx() as db:
        await rig.store.enqueue(db, "reply:1", OutgoingMessage(to=PATRON, text="Daftar bacaan Anda"))
    rig.clock.advance(400 * DAY)
    await rig.chores.run_once()
    [row] = await rig.store.outbox_rows(PATRON)
    assert "Daftar bacaan Anda" in row["message"]
    assert await rig.store.inbox_counts() == {"pending": 1}
    [claimed] = await rig.store.claim_inbox(1)
    assert claimed.message.sender == PATRON and claimed.message.text == "buku literasi informasi"


async def test_nothing_is_purged_within_the_retention_period(rig: Rig) -> None:
    draft_id = await ask(rig.store)
    rig.clock.advance(364 * DAY)
    await rig.chores.run_once()
    draft = await rig.store.get_draft(draft_id)
    assert draft is not None and (draft.question, draft.patron) == ("buku literasi informasi", PATRON)
    assert not [e for e in await rig.store.events() if e["kind"] == "purge"]
