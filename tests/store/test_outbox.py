"""The outbox: each message refbot owes someone is one row, sent once, and its delivery shown as WhatsApp reports it."""

from __future__ import annotations

import pytest

from refbot.models import OutgoingMessage, StatusUpdate
from refbot.store import OutboxRow, Store
from tests.store.conftest import OTHER_PATRON, PATRON, Clock, message

WAIT = 60.0
GIVE_UP = 30 * 60.0


async def queue(store: Store, key: str = "reply:1", text: str = "Daftar bacaan Anda", to: str = PATRON) -> bool:
    async with store.tx() as db:
        return await store.enqueue(db, key, OutgoingMessage(to=to, text=text))


async def state(store: Store, key: str = "reply:1") -> str:
    [row] = [r for r in await store.outbox_rows() if r["idem_key"] == key]
    return str(row["state"])


async def claim_one(store: Store, unsure_wait: float | None = None, give_up: float | None = None) -> OutboxRow:
    [row] = await store.claim_outbox(10, unsure_wait=unsure_wait, unsure_give_up=give_up)
    return row


def status(wamid: str, what: str, *, callback: str = "", errors: tuple[str, ...] = ()) -> StatusUpdate:
    return StatusUpdate(wamid, what, recipient=PATRON, errors=errors, callback_data=callback)


async def test_the_same_key_is_queued_once(store: Store) -> None:
    assert await queue(store, text="Daftar bacaan Anda")
    assert not await queue(store, text="Daftar bacaan Anda (lagi)")
    [row] = await store.outbox_rows()
    assert (row["idem_key"], row["recipient"], row["state"]) == ("reply:1", PATRON, "pending")
    assert "(lagi)" not in row["message"]
    assert await queue(store, key="reply:2")
    assert len(await store.outbox_rows(PATRON)) == 2
    assert await store.outbox_rows(OTHER_PATRON) == []


async def test_a_message_queued_in_a_failed_transaction_is_not_sent(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.tx() as db:
            await store.enqueue(db, "reply:1", OutgoingMessage(to=PATRON, text="x"))
            raise RuntimeError("the decision could not be stored")
    assert await store.outbox_rows() == []
    assert await queue(store), "the key is free again"


async def test_a_message_goes_pending_sending_sent_delivered_read(store: Store) -> None:
    await queue(store)
    row = await claim_one(store)
    assert (row.message.text, row.attempts, row.in_doubt) == ("Daftar bacaan Anda", 1, False)
    assert await state(store) == "sending"
    assert await store.claim_outbox(10) == [], "a message being sent is not handed out again"

    await store.mark_sent(row, "wamid.out1")
    [stored] = await store.outbox_rows()
    assert (stored["state"], stored["wamid"]) == ("sent", "wamid.out1")
    assert await store.record_status(status("wamid.out1", "delivered"))
    assert await state(store) == "delivered"
    assert await store.record_status(status("wamid.out1", "read"))
    assert await state(store) == "read"
    assert await store.claim_outbox(10, unsure_wait=0) == []


@pytest.mark.parametrize("late", ["delivered", "sent"])
async def test_statuses_never_move_a_message_backwards(store: Store, late: str) -> None:
    await queue(store)
    await store.mark_sent(await claim_one(store), "wamid.out1")
    assert await store.record_status(status("wamid.out1", "read"))
    assert not await store.record_status(status("wamid.out1", late))
    assert await state(store) == "read"


async def test_a_status_refbot_does_not_know_changes_nothing(store: Store) -> None:
    await queue(store)
    await store.mark_sent(await claim_one(store), "wamid.out1")
    assert not await store.record_status(status("wamid.out1", "deleted"))
    assert await state(store) == "sent"


async def test_a_transient_failure_is_retried_only_when_due(store: Store, clock: Clock) -> None:
    await queue(store)
    row = await claim_one(store)
    await store.mark_unsent(row, "HTTP 503", retry_at=clock.now + 30)
    assert await state(store) == "pending"
    clock.advance(29)
    assert await store.claim_outbox(10) == [], "not before its retry time"
    clock.advance(1)
    again = await claim_one(store)
    assert (again.id, again.attempts) == (row.id, 2)
    await store.mark_sent(again, "wamid.out1")
    assert await state(store) == "sent"
    assert [e["kind"] for e in await store.events("reply:1")] == ["send_retry"]


async def test_a_permanent_failure_is_never_retried(store: Store, clock: Clock) -> None:
    await queue(store)
    await store.mark_unsent(await claim_one(store), "HTTP 400: invalid recipient", retry_at=None)
    [row] = await store.outbox_rows()
    assert (row["state"], row["error"]) == ("failed", "HTTP 400: invalid recipient")
    clock.advance(7 * 86400)
    assert await store.claim_outbox(10, unsure_wait=WAIT) == []
    assert [e["kind"] for e in await store.events("reply:1")] == ["send_failed"]


async def test_a_held_message_waits_until_its_recipient_writes_again(store: Store, clock: Clock) -> None:
    await queue(store)
    await queue(store, key="other:1", to=OTHER_PATRON)
    for row in await store.claim_outbox(10):
        await store.hold(row, "131047: the 24-hour window is shut")
    clock.advance(86400)
    assert await store.claim_outbox(10, unsure_wait=WAIT) == []

    await store.record_inbound(message("wamid.in1", sender=OTHER_PATRON))
    assert (await state(store), await state(store, "other:1")) == ("held", "pending"), "only the writer's own"
    await store.claim_outbox(10)
    await store.record_inbound(message("wamid.in2", sender=PATRON))
    assert await state(store) == "pending"
    row = await claim_one(store)
    assert (row.idem_key, row.attempts) == ("reply:1", 2)


async def test_a_held_message_is_not_released_by_a_redelivered_old_message(store: Store) -> None:
    await store.record_inbound(message("wamid.in1"))
    await queue(store)
    await store.hold(await claim_one(store), "131047")
    assert not await store.record_inbound(message("wamid.in1"))
    assert await state(store) == "held"


async def test_whatsapp_refusing_a_sent_message_for_a_shut_window_parks_it(store: Store) -> None:
    await queue(store)
    await store.mark_sent(await claim_one(store), "wamid.out1")
    assert await store.record_status(status("wamid.out1", "failed", errors=("131047: Re-engagement message",)))
    assert await state(store) == "held"
    await store.record_inbound(message("wamid.in1"))
    assert await state(store) == "pending"


async def test_an_unsure_send_is_settled_as_sent_by_a_status_naming_its_row(store: Store, clock: Clock) -> None:
    await queue(store)
    row = await claim_one(store)
    await store.mark_sending(row)
    assert not await store.mark_unsure(row, "timed out after 10 s")
    assert await state(store) == "unsure"
    clock.advance(WAIT / 2)
    assert await store.record_status(status("wamid.taken", "sent", callback=row.callback_data))
    [stored] = await store.outbox_rows()
    assert (stored["state"], stored["wamid"]) == ("sent", "wamid.taken")
    clock.advance(10 * WAIT)
    assert await store.claim_outbox(10, unsure_wait=WAIT) == [], "a settled message is not sent twice"
    assert await store.record_status(status("wamid.taken", "delivered"))
    assert await state(store) == "delivered"


async def test_a_status_that_came_while_sending_settles_the_send_when_it_turns_out_unsure(store: Store) -> None:
    await queue(store)
    row = await claim_one(store)
    await store.mark_sending(row)
    assert not await store.record_status(status("wamid.taken", "delivered", callback=row.callback_data))
    assert await store.mark_unsure(row, "connection reset")
    [stored] = await store.outbox_rows()
    assert (stored["state"], stored["wamid"]) == ("delivered", "wamid.taken")


async def test_an_unsure_send_is_handed_out_again_only_after_the_long_wait_without_evidence(
    store: Store, clock: Clock
) -> None:
    await queue(store)
    row = await claim_one(store)
    await store.mark_sending(row)
    await store.mark_unsure(row, "timed out")
    clock.advance(GIVE_UP - 1)
    assert await store.claim_outbox(10, unsure_wait=WAIT) == [], "no evidence, no long wait: never"
    assert await store.claim_outbox(10, unsure_wait=WAIT, unsure_give_up=GIVE_UP) == []
    assert await store.claim_outbox(10) == [], "without an unsure wait it is never sent again"
    clock.advance(1)
    again = await claim_one(store, unsure_wait=WAIT, give_up=GIVE_UP)
    assert (again.id, again.attempts, again.in_doubt, again.evidence, again.doubts) == (row.id, 2, True, False, 1)
    assert await state(store) == "sending"


async def unsure_then_a_later_send(store: Store, clock: Clock) -> tuple[OutboxRow, OutboxRow]:
    """An unsure send to the patron, then a send to someone else that went out after it."""
    await queue(store)
    row = await claim_one(store)
    await store.mark_sending(row)
    await store.mark_unsure(row, "timed out")
    clock.advance(1)
    await queue(store, key="other:1", to=OTHER_PATRON)
    later = await claim_one(store)
    await store.mark_sending(later)
    await store.mark_sent(later, "wamid.later")
    return row, later


async def test_an_unsure_send_goes_again_after_the_wait_when_a_later_send_was_reported(
    store: Store, clock: Clock
) -> None:
    row, _ = await unsure_then_a_later_send(store, clock)
    clock.advance(WAIT)
    assert await store.claim_outbox(10, unsure_wait=WAIT) == [], "the later send is not reported on yet"
    assert await store.record_status(status("wamid.later", "delivered"))
    assert [r.id for r in await store.claim_outbox(10, unsure_wait=WAIT, unsure_give_up=GIVE_UP)] == [row.id]
    assert await store.resends_without_evidence(0) == 0


async def test_evidence_counts_only_after_the_unsure_wait(store: Store, clock: Clock) -> None:
    row, _ = await unsure_then_a_later_send(store, clock)
    assert await store.record_status(status("wamid.later", "delivered"))
    assert await store.claim_outbox(10, unsure_wait=WAIT) == [], "its own status may still be on its way"
    clock.advance(WAIT)
    again = await claim_one(store, unsure_wait=WAIT)
    assert (again.id, again.in_doubt, again.evidence) == (row.id, True, True)


async def test_a_status_that_came_early_for_a_later_send_is_evidence_too(store: Store, clock: Clock) -> None:
    await queue(store)
    row = await claim_one(store)
    await store.mark_sending(row)
    await store.mark_unsure(row, "timed out")
    clock.advance(1)
    await queue(store, key="other:1", to=OTHER_PATRON)
    later = await claim_one(store)
    await store.mark_sending(later)
    assert not await store.record_status(status("wamid.later", "sent"))  # before its send returned
    await store.mark_sent(later, "wamid.later")
    clock.advance(WAIT)
    assert (await claim_one(store, unsure_wait=WAIT)).evidence


async def test_a_late_status_with_nothing_sent_after_it_settles_the_send(store: Store, clock: Clock) -> None:
    await queue(store)
    row = await claim_one(store)
    await store.mark_sending(row)
    await store.mark_unsure(row, "timed out")
    clock.advance(5 * WAIT)
    assert await store.claim_outbox(10, unsure_wait=WAIT, unsure_give_up=GIVE_UP) == []
    assert await store.record_status(status("wamid.late", "delivered", callback=row.callback_data))
    clock.advance(GIVE_UP)
    assert await store.claim_outbox(10, unsure_wait=WAIT, unsure_give_up=GIVE_UP) == []
    assert await state(store) == "delivered"


async def test_resends_without_evidence_are_counted(store: Store, clock: Clock) -> None:
    await queue(store)
    row = await claim_one(store)
    await store.mark_sending(row)
    await store.mark_unsure(row, "timed out")
    clock.advance(GIVE_UP)
    again = await claim_one(store, unsure_wait=WAIT, give_up=GIVE_UP)
    await store.note_resend(again)
    assert await store.resends_without_evidence(clock.now - 1) == 1
    assert await store.resends_without_evidence(clock.now + 1) == 0


async def test_a_message_waits_while_an_earlier_one_to_the_same_person_may_still_arrive(
    store: Store, clock: Clock
) -> None:
    await queue(store, key="part:0", text="bagian 0")
    await queue(store, key="part:1", text="bagian 1")
    await queue(store, key="other:1", to=OTHER_PATRON)
    [first] = await store.claim_outbox(1)  # the batch holds one row only
    assert first.idem_key == "part:0"
    assert [r.idem_key for r in await store.claim_outbox(10)] == ["other:1"], "part 1 waits while part 0 is sending"
    await store.mark_unsent(first, "HTTP 503", retry_at=clock.now + 30)
    assert await store.claim_outbox(10) == [], "nor while part 0 waits for its retry"
    clock.advance(30)
    assert [r.idem_key for r in await store.claim_outbox(10)] == ["part:0", "part:1"]


async def test_an_unsure_message_holds_up_the_next_one_to_the_same_person(store: Store, clock: Clock) -> None:
    await queue(store, key="part:0")
    await queue(store, key="part:1")
    [first, second] = await store.claim_outbox(10)
    await store.mark_sending(first)
    await store.mark_unsure(first, "timed out")
    await store.release([second])
    assert await state(store, "part:1") == "pending"
    clock.advance(GIVE_UP - 1)
    assert await store.claim_outbox(10, unsure_wait=WAIT, unsure_give_up=GIVE_UP) == []
    assert await store.record_status(status("wamid.taken", "sent", callback=first.callback_data))
    [again] = await store.claim_outbox(10, unsure_wait=WAIT, unsure_give_up=GIVE_UP)
    assert (again.idem_key, again.attempts) == ("part:1", 1), "a released row's claim is not counted"


@pytest.mark.parametrize("fate", ["held", "failed"])
async def test_held_and_failed_messages_hold_nobody_up(store: Store, fate: str) -> None:
    await queue(store, key="list:0")
    await queue(store, key="template:1")
    [row] = await store.claim_outbox(1)
    if fate == "held":
        await store.hold(row, "131047: the 24-hour window is shut")
    else:
        await store.mark_unsent(row, "131026: Message undeliverable", retry_at=None)
    assert (await claim_one(store)).idem_key == "template:1"


async def test_a_status_that_overtakes_the_send_is_applied_when_the_send_returns(store: Store) -> None:
    await queue(store)
    row = await claim_one(store)
    assert not await store.record_status(status("wamid.out1", "read"))
    assert not await store.record_status(status("wamid.out1", "delivered"))
    assert await state(store) == "sending"
    await store.mark_sent(row, "wamid.out1")
    assert await state(store) == "read"


async def test_a_status_for_a_message_refbot_never_sent_changes_nothing(store: Store) -> None:
    await queue(store)
    row = await claim_one(store)
    assert not await store.record_status(status("wamid.stranger", "read"))
    await store.mark_sent(row, "wamid.out1")
    assert await state(store) == "sent"


async def test_a_restart_doubts_started_sends_and_puts_back_unstarted_ones(store: Store, clock: Clock) -> None:
    await queue(store, key="started")
    await queue(store, key="unstarted")
    started, _ = await store.claim_outbox(10)
    await store.mark_sending(started)

    clock.advance(3600)  # down for an hour: the wait for a status starts at the restart
    assert await store.reset_in_flight() == 2
    assert (await state(store, "started"), await state(store, "unstarted")) == ("unsure", "pending")
    assert await store.claim_outbox(10, unsure_wait=WAIT, unsure_give_up=GIVE_UP) == [], \
        "the unstarted one waits behind the one that may have reached WhatsApp"
    clock.advance(GIVE_UP)
    [doubted] = await store.claim_outbox(10, unsure_wait=WAIT, unsure_give_up=GIVE_UP)
    assert (doubted.idem_key, doubted.in_doubt, doubted.attempts, doubted.evidence) == ("started", True, 2, False)
    await store.mark_sent(doubted, "wamid.started")
    [again] = await store.claim_outbox(10, unsure_wait=WAIT, unsure_give_up=GIVE_UP)
    assert (again.idem_key, again.in_doubt, again.attempts) == ("unstarted", False, 2)


async def test_a_restart_settles_a_started_send_whose_status_already_came(store: Store) -> None:
    await queue(store)
    row = await claim_one(store)
    await store.mark_sending(row)
    await store.record_status(status("wamid.taken", "sent", callback=row.callback_data))
    await store.reset_in_flight()
    [stored] = await store.outbox_rows()
    assert (stored["state"], stored["wamid"]) == ("sent", "wamid.taken")
    assert await store.claim_outbox(10, unsure_wait=0) == []


async def test_claims_take_messages_in_the_order_they_were_queued_and_never_twice(store: Store) -> None:
    for i in range(5):
        await queue(store, key=f"part:{i}", text=f"bagian {i}")
    first = await store.claim_outbox(2)
    assert await store.claim_outbox(10) == [], "the rest wait while the first two are being sent"
    for n, row in enumerate(first):
        await store.mark_sent(row, f"wamid.{n}")
    second = await store.claim_outbox(10)
    assert [r.message.text for r in first + second] == [f"bagian {i}" for i in range(5)]
    assert await store.claim_outbox(10) == []
