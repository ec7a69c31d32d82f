"""A patron's new WhatsApp number: what refbot keeps under the old one moves, once, in one transaction."""

from __future__ import annotations

from refbot import codec
from refbot.models import InboundMessage, NumberChange, OutgoingMessage
from refbot.store import Store
from tests.store.conftest import OTHER_PATRON, PATRON, ask, message

NEW = "6281299999999"


async def queue(store: Store, key: str, to: str = PATRON) -> None:
    async with store.tx() as db:
        assert await store.enqueue(db, key, OutgoingMessage(to=to, text=f"pesan {key}"))


async def outbox(store: Store) -> dict[str, tuple[str, str, str]]:
    """idem_key -> (recipient, state, the message's own ``to``)."""
    return {r["idem_key"]: (r["recipient"], r["state"], codec.loads(OutgoingMessage, r["message"]).to)
            for r in await store.outbox_rows()}


async def test_a_patrons_number_change_moves_their_history_links_requests_and_unsent_messages(store: Store) -> None:
    draft_id = await ask(store, "wamid.q1")
    async with store.tx() as db:
        await store.remember_language(db, PATRON, "en")
        await store.upsert_card_link(db, PATRON, "2020001", "p1", "Sari", status="linked", code="", request_id=None)
        [inbox_id] = [r["id"] for r in await db.fetchall("SELECT id FROM inbox WHERE wamid = 'wamid.q1'")]
        open_id = await store.create_service_request(db, inbox_id=inbox_id, kind="letter", patron=PATRON,
                                                     language="en", detail={})
    # Sent (pending → sent), waiting (pending), parked (held) and someone else's message.
    await queue(store, "reply:1")
    await queue(store, "reply:2")
    await queue(store, "reply:3")
    await queue(store, "reply:other", to=OTHER_PATRON)
    rows = {r.idem_key: r for r in await store.claim_outbox(10)}
    await store.mark_sent(rows["reply:1"], "wamid.sent1")
    await store.release([rows["reply:2"], rows["reply:other"]])
    await store.hold(rows["reply:3"], "131047: window shut")

    moved = await store.move_number(NumberChange("wamid.sys1", PATRON, NEW))

    assert moved is not None and moved["patrons"] == 1 and moved["card_links"] == 1 and moved["outbox"] == 2
    assert await store.patron_language(NEW) == "en" and await store.patron_language(PATRON) is None
    assert await store.linked_card(NEW) == "2020001" and await store.linked_card(PATRON) == ""
    assert await store.last_inbound(NEW) is not None
    draft = await store.get_draft(draft_id)
    assert draft is not None and draft.patron == NEW
    request = await store.service_request(open_id or 0)
    assert request is not None and request.patron == NEW
    [inbox] = await store.fetchall("SELECT sender, message FROM inbox")
    assert inbox["sender"] == NEW and codec.loads(InboundMessage, inbox["message"]).sender == NEW
    assert await outbox(store) == {
        "reply:1": (PATRON, "sent", PATRON),  # it went to the old number; that stays true
        "reply:2": (NEW, "pending", NEW),
        "reply:3": (NEW, "held", NEW),
        "reply:other": (OTHER_PATRON, "pending", OTHER_PATRON),
    }
    [event] = [e for e in await store.events("wamid.sys1")]
    assert (event["actor"], event["kind"]) == (NEW, "number_changed")
    assert PATRON not in event["detail"], "the event does not keep the old number whole"

    # Applied again (a journal batch after a crash): nothing more happens.
    assert await store.move_number(NumberChange("wamid.sys1", PATRON, NEW)) is None
    assert len(await store.events("wamid.sys1")) == 1


async def test_a_new_number_that_wrote_first_keeps_its_own_choices_and_gains_the_rest(store: Store) -> None:
    await ask(store, "wamid.q1")
    async with store.tx() as db:
        await store.remember_language(db, PATRON, "en")
        await store.upsert_card_link(db, PATRON, "2020001", "p1", "Sari", status="linked", code="", request_id=None)
        await store.upsert_card_link(db, NEW, "2020002", "p2", "Sari", status="pending", code="X1", request_id=None)
    assert await store.record_inbound(message("wamid.new1", sender=NEW))

    moved = await store.move_number(NumberChange("wamid.sys2", PATRON, NEW))

    assert moved is not None and moved["card_links"] == 0 and moved["requests"] == 1
    assert await store.patron_language(NEW) == "en", "the new row had chosen no language"
    pending = await store.pending_card_link(NEW)
    assert pending is not None and pending.cardnumber == "2020002", "the new number's own link is kept"
    assert await store.fetchall("SELECT phone FROM patrons WHERE phone = ?", (PATRON,)) == []


async def test_a_change_that_names_no_two_numbers_moves_nothing(store: Store) -> None:
    await ask(store, "wamid.q1")
    assert await store.move_number(NumberChange("wamid.s", PATRON, PATRON)) is None
    assert await store.move_number(NumberChange("wamid.s", PATRON, "")) is None
    assert await store.move_number(NumberChange("wamid.s2", OTHER_PATRON, NEW)) == {
        "patrons": 0, "card_links": 0, "inbox": 0, "requests": 0, "service_requests": 0, "suggestions": 0,
        "outbox": 0, "events": 0,
    }
    assert (await store.fetchall("SELECT sender FROM inbox"))[0]["sender"] == PATRON
