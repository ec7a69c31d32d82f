"""The sender and the outbox when a send's outcome is unknown: a crash mid-send, or a send that
went out and got no answer. WhatsApp may have taken it; its status webhook, which echoes the
send's callback data, settles the row. Only when no status comes is the message sent again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from connectors.whatsapp.channel import parse_updates
from refbot.config import Settings, load_settings
from refbot.delivery.sender import Sender
from refbot.errors import SendInDoubt
from refbot.models import OutgoingMessage, StatusUpdate
from refbot.sandbox.payloads import BusinessNumber, new_wamid, status_update
from refbot.store import Store

PATRON = "6281200000001"
WAIT = 60.0
GIVE_UP = 30 * 60.0  # whatsapp.unsure_give_up_minutes, by default
BUSINESS = BusinessNumber("100000000000009")


@dataclass
class Clock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Cloud:
    """WhatsApp as the sender meets it: takes messages, and reports on them in status webhooks."""

    taken: list[tuple[str, OutgoingMessage, str]] = field(default_factory=list)  # (wamid, message, callback data)
    unanswered: int = 0  # the next sends are taken, but their answers are lost on the way back

    def verify_signature(self, body: bytes, signature_header: str) -> bool:
        return True

    def parse_updates(self, payload: Any) -> list[Any]:
        return parse_updates(payload)

    async def send(self, message: OutgoingMessage, *, callback_data: str = "") -> str:
        wamid = new_wamid()
        self.taken.append((wamid, message, callback_data))
        if self.unanswered:
            self.unanswered -= 1
            raise SendInDoubt("WhatsApp did not answer within 10 s")
        return wamid

    def statuses(self, *states: str) -> list[StatusUpdate]:
        """The status webhooks Meta posts about what it took, as refbot's parser reads them."""
        return [update for wamid, message, callback in self.taken for state in states
                for update in parse_updates(status_update(BUSINESS, wamid, state, message.to, callback_data=callback))]


def settings(**whatsapp: Any) -> Settings:
    base = load_settings(None, env={})
    return replace(base, whatsapp=replace(base.whatsapp, unsure_wait_seconds=WAIT, messages_per_second=1000.0,
                                          **whatsapp))


async def queued(store: Store, *texts: str) -> None:
    async with store.tx() as db:
        for i, text in enumerate(texts):
            await store.enqueue(db, f"reply:{i}", OutgoingMessage(to=PATRON, text=text))


async def crashed_mid_send(path: Path, clock: Clock, cloud: Cloud, *, left: bool = True, taken: bool) -> None:
    """A service killed after claiming a row, before recording how its send went.

    ``left``: the request had gone out (or was about to); ``taken``: WhatsApp took it.
    """
    store = await Store.open(path, clock)
    await queued(store, "Daftar bacaan Anda")
    [row] = await store.claim_outbox(10)
    if left:
        await store.mark_sending(row)
    if taken:
        await cloud.send(row.message, callback_data=row.callback_data)
    await store.close()  # SIGKILL: mark_sent never ran


async def state_of(store: Store) -> tuple[str, str | None, int]:
    [row] = await store.outbox_rows()
    return row["state"], row["wamid"], row["attempts"]


@pytest.mark.parametrize("status_came", ["while it was being sent", "after the restart"])
async def test_a_send_cut_off_by_a_crash_is_settled_by_its_status_and_never_sent_again(
    tmp_path: Path, status_came: str
) -> None:
    clock, cloud, path = Clock(), Cloud(), tmp_path / "refbot.sqlite3"
    await crashed_mid_send(path, clock, cloud, taken=True)
    if status_came == "while it was being sent":
        store = await Store.open(path, clock)
        for status in cloud.statuses("sent"):
            assert not await store.record_status(status)  # kept: its send had not returned yet
        await store.close()
    store = await Store.open(path, clock)
    try:
        assert await store.reset_in_flight() == 1
        sender = Sender(store, cloud, settings())
        assert await sender.send_due() == 0, "not sent again while a status may still come"
        clock.now += WAIT / 2
        for status in cloud.statuses("sent", "delivered"):
            await store.record_status(status)
        clock.now += 10 * WAIT
        assert await sender.send_due() == 0
        [(wamid, _, callback)] = cloud.taken
        assert await state_of(store) == ("delivered", wamid, 1)
        assert callback == "refbot.outbox.1", "an id: no phone number in the callback data"
    finally:
        await store.close()


async def test_a_send_cut_off_by_a_crash_before_it_reached_whatsapp_goes_after_the_long_wait(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock, cloud, path = Clock(), Cloud(), tmp_path / "refbot.sqlite3"
    await crashed_mid_send(path, clock, cloud, taken=False)
    store = await Store.open(path, clock)
    try:
        await store.reset_in_flight()
        sender = Sender(store, cloud, settings())
        clock.now += GIVE_UP - 1
        assert await sender.send_due() == 0, "no evidence it was lost: it waits"
        assert await state_of(store) == ("unsure", None, 1)
        clock.now += 1
        with caplog.at_level(logging.WARNING, logger="refbot.delivery.sender"):
            assert await sender.send_due() == 1
        assert "at-least-once" in caplog.text
        [(wamid, message, _)] = cloud.taken
        assert message.text == "Daftar bacaan Anda"
        assert await state_of(store) == ("sent", wamid, 2)
        assert await store.resends_without_evidence(clock.now - GIVE_UP) == 1
    finally:
        await store.close()


async def test_a_send_in_doubt_goes_again_at_once_when_a_later_send_was_reported(tmp_path: Path) -> None:
    clock, cloud = Clock(), Cloud(unanswered=1)
    store = await Store.open(tmp_path / "refbot.sqlite3", clock)
    try:
        await queued(store, "Terima kasih")
        sender = Sender(store, cloud, settings())
        await sender.send_due()
        clock.now += 1
        async with store.tx() as db:
            await store.enqueue(db, "other:0", OutgoingMessage(to="6281200000002", text="Halo"))
        await sender.send_due()
        for status in cloud.statuses("delivered")[1:]:  # only the later send is reported on
            assert await store.record_status(status)
        clock.now += WAIT
        assert await sender.send_due() == 1
        assert [m.text for _, m, _ in cloud.taken] == ["Terima kasih", "Halo", "Terima kasih"]
        assert await store.resends_without_evidence(0) == 0
        assert "resend_on_evidence" in [e["kind"] for e in await store.events()]
    finally:
        await store.close()


async def test_a_late_status_while_nothing_else_was_sent_means_no_second_send(tmp_path: Path) -> None:
    clock, cloud = Clock(), Cloud(unanswered=1)
    store = await Store.open(tmp_path / "refbot.sqlite3", clock)
    try:
        await queued(store, "Terima kasih")
        sender = Sender(store, cloud, settings())
        await sender.send_due()
        clock.now += 5 * WAIT  # a busy machine: the status is late, well past the unsure wait
        assert await sender.send_due() == 0
        for status in cloud.statuses("sent", "delivered"):
            await store.record_status(status)
        clock.now += 2 * GIVE_UP
        assert await sender.send_due() == 0
        assert len(cloud.taken) == 1
        assert (await state_of(store))[0] == "delivered"
        assert await store.resends_without_evidence(0) == 0
    finally:
        await store.close()


async def test_a_claimed_row_whose_request_never_left_goes_at_once_after_a_crash(tmp_path: Path) -> None:
    clock, cloud, path = Clock(), Cloud(), tmp_path / "refbot.sqlite3"
    await crashed_mid_send(path, clock, cloud, left=False, taken=False)
    store = await Store.open(path, clock)
    try:
        assert await store.reset_in_flight() == 1
        assert await Sender(store, cloud, settings()).send_due() == 1
        [(wamid, _, _)] = cloud.taken
        assert await state_of(store) == ("sent", wamid, 2)
    finally:
        await store.close()


async def test_a_send_with_no_answer_waits_for_its_status(tmp_path: Path) -> None:
    clock, cloud = Clock(), Cloud(unanswered=1)
    store = await Store.open(tmp_path / "refbot.sqlite3", clock)
    try:
        await queued(store, "Terima kasih")
        sender = Sender(store, cloud, settings())
        assert await sender.send_due() == 1
        assert (await state_of(store))[0] == "unsure"
        assert [e["kind"] for e in await store.events()] == ["send_unsure"]
        clock.now += WAIT / 2
        assert await sender.send_due() == 0
        [failed] = cloud.statuses("failed")  # a status settles the row whatever it says
        assert await store.record_status(replace(failed, errors=("131026: Message undeliverable",)))
        assert [e["kind"] for e in await store.events()] == ["send_unsure", "send_settled"]
        clock.now += 10 * WAIT
        assert await sender.send_due() == 0
        assert len(cloud.taken) == 1
        [row] = await store.outbox_rows()
        assert (row["state"], row["error"]) == ("failed", "131026: Message undeliverable")
    finally:
        await store.close()


async def test_a_last_try_with_no_status_is_given_up_after_the_wait(tmp_path: Path) -> None:
    clock, cloud = Clock(), Cloud(unanswered=2)
    store = await Store.open(tmp_path / "refbot.sqlite3", clock)
    try:
        await queued(store, "Terima kasih")
        sender = Sender(store, cloud, settings(max_attempts=1))
        for _ in range(3):
            await sender.send_due()
            clock.now += GIVE_UP
        assert len(cloud.taken) == 2, "sent again once in doubt, then no more"
        [row] = await store.outbox_rows()
        assert row["state"] == "failed" and "no word from WhatsApp" in row["error"]
        # Should the status of either try come after all, it still says the message arrived.
        for status in cloud.statuses("delivered")[:1]:
            assert await store.record_status(status)
        assert (await state_of(store))[0] == "delivered"
    finally:
        await store.close()


async def test_callback_data_that_is_not_refbots_settles_nothing(tmp_path: Path) -> None:
    clock, cloud = Clock(), Cloud(unanswered=1)
    store = await Store.open(tmp_path / "refbot.sqlite3", clock)
    try:
        await queued(store, "Terima kasih")
        await Sender(store, cloud, settings()).send_due()
        [status] = cloud.statuses("sent")
        others = ("some data", "refbot.outbox.", "refbot.outbox.99", "refbot.outbox.1x", "refbot.outbox." + "9" * 40)
        for other in others:
            assert not await store.record_status(replace(status, callback_data=other))
        assert (await state_of(store))[0] == "unsure"
    finally:
        await store.close()
