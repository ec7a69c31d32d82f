"""Webhook updates that are not patrons' questions, over real HTTP: played voice notes, account errors, new numbers."""

from __future__ import annotations

import asyncio
import logging

import pytest

from refbot.models import OutgoingMessage
from refbot.sandbox.payloads import account_errors, error_entry, number_change, status_update
from refbot.worker.loops import Worker
from tests.conftest import PATRON, Desk, eventually

NEW = "6281299999999"


async def a_sent_row(desk: Desk, key: str, wamid: str) -> None:
    store = desk.services.store
    async with store.tx() as db:
        await store.enqueue(db, key, OutgoingMessage(to="6281277777777", text="catatan suara"))
    # Sent as the sender would, with the wamid WhatsApp answered.
    for row in await store.claim_outbox(50):
        if row.idem_key == key:
            await store.mark_sent(row, wamid)
        else:
            await store.release([row])


async def state_of(desk: Desk, key: str) -> str:
    [row] = [r for r in await desk.services.store.outbox_rows() if r["idem_key"] == key]
    return str(row["state"])


async def test_a_played_status_counts_as_read_and_never_moves_a_row_back(desk: Desk) -> None:
    if desk.running is not None:
        await desk.running.stop()  # this test plays the sender itself
    desk.running = None
    worker = Worker.from_services(desk.services)
    await a_sent_row(desk, "voice:1", "wamid.voice1")
    await a_sent_row(desk, "voice:2", "wamid.voice2")
    await worker.start()
    try:
        for wamid, status in (("wamid.voice1", "delivered"), ("wamid.voice1", "played"),
                              ("wamid.voice2", "failed"), ("wamid.voice2", "played")):
            resp = await desk.post_webhook(status_update(desk.business, wamid, status, "6281277777777"))
            assert resp.status == 200
        await desk.webhooks_applied()
        assert await state_of(desk, "voice:1") == "read"
        assert await state_of(desk, "voice:2") == "failed"
    finally:
        await worker.stop()


async def test_an_account_error_is_a_warning_an_event_and_a_health_figure(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    body = account_errors(desk.business, [error_entry(130429, "Rate limit hit", "message throughput reached")])
    assert (await desk.post_webhook(body)).status == 200
    assert any(r.levelno == logging.WARNING and "130429" in r.getMessage() for r in caplog.records)
    [event] = [e for e in await desk.services.store.events() if e["kind"] == "whatsapp_error"]
    assert "Rate limit hit" in event["detail"]
    async with desk.http.get(f"{desk.url}/healthz") as resp:
        health = await resp.json()
    assert health["whatsapp_errors_24h"] == 1
    assert health["last_whatsapp_error"]["code"] == 130429
    assert health["last_whatsapp_error"]["message"] == "Rate limit hit"


async def test_a_patron_who_changes_number_keeps_their_draft_and_language_and_is_not_answered(desk: Desk) -> None:
    store = desk.services.store
    await desk.patron_says("sejarah perpustakaan di Indonesia")

    async def drafted() -> list[int]:
        return await store.draft_ids()

    [draft_id] = await eventually(drafted, what="the draft")
    async with store.tx() as db:
        await store.remember_language(db, PATRON, "en")
    await asyncio.sleep(0.5)  # let the acknowledgement go out first
    before_old, before_new = len(await desk.sent_to(PATRON)), len(await desk.sent_to(NEW))

    resp = await desk.post_webhook(number_change(desk.business, PATRON, NEW, name="Sari", wamid="wamid.changed"))
    assert resp.status == 200
    resp = await desk.post_webhook(number_change(desk.business, PATRON, NEW, name="Sari", wamid="wamid.changed"))
    assert resp.status == 200, "a redelivery is taken and changes nothing"

    draft = await store.get_draft(draft_id)
    assert draft is not None and draft.patron == NEW
    assert await store.patron_language(NEW) == "en" and await store.patron_language(PATRON) is None
    assert len([e for e in await store.events("wamid.changed") if e["kind"] == "number_changed"]) == 1
    assert await store.fetchall("SELECT * FROM inbox WHERE wamid = 'wamid.changed'") == [], "not a question"
    await asyncio.sleep(0.5)
    assert len(await desk.sent_to(PATRON)) == before_old and len(await desk.sent_to(NEW)) == before_new
