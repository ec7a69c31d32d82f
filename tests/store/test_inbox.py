"""Inbound messages: every patron message is a row first, worked on once, and never lost or doubled."""

from __future__ import annotations

import asyncio

import pytest

from refbot.store import Store
from tests.store.conftest import OTHER_PATRON, PATRON, Clock, message


async def test_a_message_goes_pending_then_processing_then_done(store: Store) -> None:
    assert await store.record_inbound(message("wamid.a", text="ada buku tentang literasi?"))
    assert await store.inbox_counts() == {"pending": 1}

    [row] = await store.claim_inbox(10)
    assert (row.message.wamid, row.message.sender, row.message.text) == ("wamid.a", PATRON, "ada buku tentang literasi?")
    assert row.attempts == 1
    assert await store.inbox_counts() == {"processing": 1}

    await store.finish_inbox(row.id)
    assert await store.inbox_counts() == {"done": 1}
    assert await store.claim_inbox(10) == [], "a handled message is not handled again"


async def test_finishing_inside_a_transaction_that_fails_leaves_the_message_in_hand(store: Store) -> None:
    await store.record_inbound(message("wamid.a"))
    [row] = await store.claim_inbox(1)
    with pytest.raises(RuntimeError):
        async with store.tx() as db:
            await store.finish_inbox(row.id, db)
            raise RuntimeError("the draft could not be stored")
    assert await store.inbox_counts() == {"processing": 1}


async def test_a_failed_message_is_tried_again_then_set_aside_when_given_up(store: Store) -> None:
    await store.record_inbound(message("wamid.a"))
    [first] = await store.claim_inbox(1)

    await store.retry_inbox(first.id, "TimeoutError: catalog", give_up=False)
    assert await store.inbox_counts() == {"pending": 1}
    [second] = await store.claim_inbox(1)
    assert (second.id, second.attempts) == (first.id, 2)

    await store.retry_inbox(second.id, "TimeoutError: catalog", give_up=True)
    assert await store.inbox_counts() == {"failed": 1}
    assert await store.claim_inbox(10) == [], "a message set aside is not picked up again"


async def test_a_redelivered_message_is_stored_once(store: Store) -> None:
    assert await store.record_inbound(message("wamid.a", text="literasi"))
    assert not await store.record_inbound(message("wamid.a", text="literasi"))
    assert await store.inbox_counts() == {"pending": 1}
    assert len(await store.claim_inbox(10)) == 1
    # Still a duplicate once the first copy has been handled.
    assert not await store.record_inbound(message("wamid.a", text="literasi"))
    assert await store.inbox_counts() == {"processing": 1}


async def test_a_redelivery_does_not_move_the_patrons_24_hour_window(store: Store, clock: Clock) -> None:
    await store.record_inbound(message("wamid.a"))
    first = clock.now
    clock.advance(3600)
    assert not await store.record_inbound(message("wamid.a"))
    assert await store.last_inbound(PATRON) == first
    clock.advance(60)
    assert await store.record_inbound(message("wamid.b"), received_at=first + 3000)
    assert await store.last_inbound(PATRON) == first + 3000, "the window counts from when the webhook arrived"


async def test_reset_in_flight_puts_claimed_messages_back(store: Store) -> None:
    for wamid in ("wamid.a", "wamid.b", "wamid.c"):
        await store.record_inbound(message(wamid))
    a, b = await store.claim_inbox(2)
    await store.finish_inbox(a.id)

    assert await store.reset_in_flight() == 1
    assert await store.inbox_counts() == {"done": 1, "pending": 2}
    again = await store.claim_inbox(10)
    assert [(r.message.wamid, r.attempts) for r in again] == [("wamid.b", 2), ("wamid.c", 1)]
    assert b.id == again[0].id


async def test_reset_in_flight_with_nothing_claimed_changes_nothing(store: Store) -> None:
    await store.record_inbound(message("wamid.a"))
    assert await store.reset_in_flight() == 0
    assert await store.inbox_counts() == {"pending": 1}


async def test_claims_hand_out_each_message_once_oldest_first(store: Store) -> None:
    wamids = [f"wamid.{i}" for i in range(6)]
    for i, wamid in enumerate(wamids):
        await store.record_inbound(message(wamid, PATRON if i % 2 else OTHER_PATRON))
    first = await store.claim_inbox(2)
    assert [r.message.wamid for r in first] == wamids[:2]
    rest = await asyncio.gather(*(store.claim_inbox(1) for _ in range(6)))
    claimed = [r.message.wamid for rows in rest for r in rows]
    assert sorted(claimed) == wamids[2:], "no message is handed to two workers"
    assert await store.claim_inbox(10) == []


async def test_claim_takes_at_most_the_limit(store: Store) -> None:
    for i in range(3):
        await store.record_inbound(message(f"wamid.{i}"))
    assert await store.claim_inbox(0) == []
    assert len(await store.claim_inbox(2)) == 2
    assert await store.inbox_counts() == {"pending": 1, "processing": 2}


async def test_counts_by_state(store: Store) -> None:
    assert await store.inbox_counts() == {}
    for i in range(5):
        await store.record_inbound(message(f"wamid.{i}"))
    done, retried, failed, _ = await store.claim_inbox(4)
    await store.finish_inbox(done.id)
    await store.retry_inbox(retried.id, "boom", give_up=False)
    await store.retry_inbox(failed.id, "boom", give_up=True)
    assert await store.inbox_counts() == {"pending": 2, "processing": 1, "done": 1, "failed": 1}
