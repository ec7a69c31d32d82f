"""The webhook journal: what the web process writes down before answering, and the worker applies."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.whatsapp.channel import WhatsAppChannel
from refbot.config import Secret, WhatsAppSettings, WorkerSettings
from refbot.intake.applier import JournalApplier, waiting_in_journal
from refbot.intake.journals import FileJournal
from refbot.models import IgnoredUpdate, InboundMessage, StatusUpdate
from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, encode, sign, text_message
from refbot.store import Store
from refbot.store.journal import WebhookJournal, journal_path
from refbot.worker.loops import Worker
from tests.conftest import APP_SECRET, PATRON, PHONE_NUMBER_ID, Desk, eventually, running_desk


async def test_a_question_answered_while_no_worker_runs_is_drafted_once_one_starts(
    tmp_path: Path, catalog_dir: Path
) -> None:
    async with running_desk(tmp_path, catalog_dir, worker=WorkerSettings(poll_interval=0.05, mode="none")) as desk:
        resp = await desk.patron_says("literasi informasi mahasiswa")
        assert resp.status == 200
        assert await waiting_in_journal(desk.services.journal) == 1
        assert await desk.services.store.inbox_counts() == {}

        worker = Worker.from_services(desk.services)  # as `refbot worker` started later would
        await worker.start()

        async def drafted() -> list[int]:
            return await desk.services.store.draft_ids()

        try:
            assert len(await eventually(drafted, within=20, what="the draft")) == 1
            await desk.webhooks_applied()
        finally:
            await worker.stop()


def test_journal_ids_are_never_reused_after_a_trim(tmp_path: Path) -> None:
    journal = WebhookJournal(tmp_path / "refbot.webhooks.sqlite3")
    ids = [journal.append(b'{"n": %d}' % i) for i in range(3)]
    assert ids == [1, 2, 3]
    assert journal.trim(3) == 3
    assert journal.read_after(0, 10) == []
    assert journal.append(b'{"n": 4}') == 4, "a reused id would sit below the worker's progress and never be applied"
    assert journal.last_id() == 4
    journal.close()


def test_a_journal_started_afresh_is_read_from_its_beginning(tmp_path: Path) -> None:
    path = journal_path(tmp_path / "refbot.sqlite3")
    assert path.name == "refbot.webhooks.sqlite3"
    first = WebhookJournal(path)
    again = WebhookJournal(path)
    assert again.identity == first.identity  # the web process and the worker agree on its name
    first.close()
    again.close()
    for leftover in tmp_path.glob("refbot.webhooks.sqlite3*"):
        leftover.unlink()
    fresh = WebhookJournal(path)
    assert fresh.identity != first.identity, "progress kept for the old file must not skip the new one's entries"
    fresh.close()


@contextlib.asynccontextmanager
async def applier_with(tmp_path: Path, channel_class: type[WhatsAppChannel]) -> AsyncIterator[JournalApplier]:
    """A store, a journal and an applier reading it through ``channel_class``, closed afterwards."""
    store = await Store.open(tmp_path / "refbot.sqlite3")
    journal = FileJournal(WebhookJournal(journal_path(tmp_path / "refbot.sqlite3")), store)
    try:
        async with aiohttp.ClientSession() as session:
            yield JournalApplier(store, channel_class(WhatsAppSettings(), Secret("t"), Secret("s"), session), journal)
    finally:
        await journal.close()
        await store.close()


class _ChannelWithAParserBug(WhatsAppChannel):
    """The real channel, except that it fails on one body: what a bug in parsing would look like."""

    def parse_updates(self, payload: Any) -> list[InboundMessage | StatusUpdate | IgnoredUpdate]:
        if isinstance(payload, dict) and payload.get("poison"):
            raise KeyError("entry")
        return super().parse_updates(payload)


async def test_a_body_that_cannot_be_read_is_kept_as_an_event_and_the_next_one_is_applied(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with applier_with(tmp_path, _ChannelWithAParserBug) as applier:
        store, journal = applier.store, applier.journal
        await journal.append(json.dumps({"poison": True, "from": PATRON}).encode())
        await journal.append(encode(text_message(BusinessNumber(PHONE_NUMBER_ID), PATRON, "minat baca remaja")))
        with caplog.at_level(logging.ERROR, logger="refbot.intake.applier"):
            assert await applier.apply_new() == 2
        assert "webhook 1 could not be read (KeyError" in caplog.text
        events = [e for e in await store.events() if e["kind"] == "webhook_unreadable"]
        assert len(events) == 1 and '"poison": true' in json.loads(events[0]["detail"])["body"]
        assert await store.inbox_counts() == {"pending": 1}
        assert await applier.waiting() == 0


class _ChannelWithAMessageTheStoreRefuses(WhatsAppChannel):
    """The real channel, except that one body parses into a message whose sender SQLite cannot store."""

    def parse_updates(self, payload: Any) -> list[InboundMessage | StatusUpdate | IgnoredUpdate]:
        updates = super().parse_updates(payload)
        if isinstance(payload, dict) and payload.get("senderless"):
            return [InboundMessage(wamid="wamid.senderless", sender=["62", "81"], type="text")]  # type: ignore[arg-type]
        return updates


async def test_a_message_the_store_keeps_refusing_is_set_aside_and_does_not_hold_up_the_next(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with applier_with(tmp_path, _ChannelWithAMessageTheStoreRefuses) as applier:
        store, journal = applier.store, applier.journal
        await journal.append(encode(text_message(BusinessNumber(PHONE_NUMBER_ID), PATRON, "sastra anak")))
        await journal.append(json.dumps({"senderless": True}).encode())
        await journal.append(encode(text_message(BusinessNumber(PHONE_NUMBER_ID), PATRON, "minat baca remaja")))
        tries = 0
        with caplog.at_level(logging.ERROR, logger="refbot.intake.applier"):
            while await applier.waiting():
                tries += 1
                with contextlib.suppress(sqlite3.Error):
                    await applier.apply_new()
        assert tries == 3, "the refused entry is tried three times, the one before it is not applied again"
        assert "webhook 2 could not be stored after 3 tries (ProgrammingError" in caplog.text
        [event] = [e for e in await store.events() if e["kind"] == "webhook_unapplied"]
        assert event["subject"] == "journal:2" and "senderless" in json.loads(event["detail"])["body"]
        texts = [r["message"] for r in await store.fetchall("SELECT message FROM inbox ORDER BY id")]
        assert len(texts) == 2 and "sastra anak" in texts[0] and "minat baca remaja" in texts[1]


async def test_a_webhook_the_journal_cannot_take_gets_a_500_and_is_kept_when_meta_delivers_it_again(
    desk: Desk,
) -> None:
    journal = desk.services.journal
    assert isinstance(journal, FileJournal)
    # A disk gone read-only (as Linux remounts one after write errors), as SQLite reports it.
    journal.file._db.execute("PRAGMA query_only = 1")
    payload = text_message(desk.business, PATRON, "sejarah musik jazz", wamid="wamid.disk-full-1")
    async with desk.http.post(f"{desk.url}/webhook", data=encode(payload), headers=_signed(payload)) as resp:
        assert resp.status == 500
        assert (await resp.json())["error"]["code"] == "not_stored"
    journal.file._db.execute("PRAGMA query_only = 0")
    assert (await desk.post_webhook(payload)).status == 200
    rows = await desk.services.store.fetchall("SELECT wamid FROM inbox")
    assert [r["wamid"] for r in rows] == ["wamid.disk-full-1"]


def _signed(payload: dict[str, Any]) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(encode(payload), APP_SECRET), "Content-Type": "application/json"}
