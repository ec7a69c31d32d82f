"""Faults over real HTTP on loopback: redelivery, statuses that overtake their send, a Graph API
that throttles, fails or hangs for a while. refbot must lose nothing and repeat nothing."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.whatsapp.channel import parse_updates
from refbot.models import IgnoredUpdate, InboundMessage
from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.graph import GRAPH_STATE, GraphState, create_graph_standin
from refbot.sandbox.payloads import BusinessNumber, button_reply, text_message
from refbot.web.server import SERVICES, WORKER, create_app
from tests.conftest import (
    APP_SECRET,
    LIBRARIAN,
    LIBRARIAN_2,
    PATRON,
    PHONE_NUMBER_ID,
    TOKEN,
    Desk,
    eventually,
    free_port,
    make_settings,
    serve,
    shared_data,
)

PATRON_2 = "6281200000002"
SETTLED = ("sent", "delivered", "read")


@asynccontextmanager
async def running(tmp_path: Path, catalog_dir: Path, *, graph: dict[str, Any] | None = None,
                  send_timeout: float = 10.0, unsure_wait: float = 60.0,
                  unsure_give_up: float = 30.0) -> AsyncIterator[tuple[Desk, GraphState]]:
    """refbot on loopback like the ``desk`` fixture, with the Graph stand-in's options given."""
    port = free_port()
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    graph_app = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, webhook_url=f"http://127.0.0.1:{port}/webhook",
                                     **(graph or {}))
    graph_runner, graph_url = await serve(graph_app)
    settings = make_settings(tmp_path, catalog_dir, port=port, graph=graph_url, crossref=crossref_url)
    settings = replace(settings, whatsapp=replace(settings.whatsapp, send_timeout=send_timeout,
                                                  unsure_wait_seconds=unsure_wait,
                                                  unsure_give_up_minutes=unsure_give_up))
    app = create_app(settings)
    runner, url = await serve(app, port)
    try:
        async with aiohttp.ClientSession() as http:
            yield Desk(url, graph_url, crossref_url, app[SERVICES], http, BusinessNumber(PHONE_NUMBER_ID), app.get(WORKER)), \
                graph_app[GRAPH_STATE]
    finally:
        await graph_runner.cleanup()  # first, so it posts no statuses to a service that has gone
        await runner.cleanup()
        await crossref_runner.cleanup()


async def drained(desk: Desk, *, drafts: int, within: float = 30.0) -> list[Any]:
    """Wait until ``drafts`` drafts exist and no outbox row is waiting; the outbox rows."""
    store = desk.services.store

    async def done() -> list[Any] | None:
        if len(await store.draft_ids()) < drafts:
            return None
        rows = await store.outbox_rows()
        return rows if rows and all(r["state"] not in ("pending", "sending", "unsure") for r in rows) else None

    return list(await eventually(done, within=within, what=f"{drafts} drafts and an empty outbox"))


def assert_each_row_sent_once(rows: list[Any], graph: GraphState) -> None:
    """Every outbox row reached WhatsApp exactly once, and WhatsApp got nothing else."""
    assert [r["state"] for r in rows if r["state"] not in SETTLED] == []
    recorded = [m["id"] for m in graph.messages]
    assert sorted(recorded) == sorted(r["wamid"] for r in rows), "a message was sent twice, or sent but not recorded"
    texts = [(m["to"], m["text"]) for m in graph.messages if m["to"] in (PATRON, PATRON_2)]
    assert len(texts) == len(set(texts)), "the same text went to a patron twice"


async def test_a_webhook_delivered_five_times_and_five_at_once_gives_one_of_everything(
    tmp_path: Path, catalog_dir: Path
) -> None:
    async with running(tmp_path, catalog_dir) as (desk, graph):
        again = text_message(desk.business, PATRON, "literasi informasi mahasiswa", wamid="wamid.FIVE.IN.A.ROW")
        for _ in range(5):
            assert (await desk.post_webhook(again)).status == 200
        at_once = text_message(desk.business, PATRON_2, "perpustakaan digital", wamid="wamid.FIVE.AT.ONCE")
        answers = await asyncio.gather(*(desk.post_webhook(at_once) for _ in range(5)))
        assert [a.status for a in answers] == [200] * 5
        rows = await drained(desk, drafts=2)
        store = desk.services.store
        assert len(await store.fetchall("SELECT * FROM requests")) == 2
        for patron in (PATRON, PATRON_2):
            assert len([m for m in graph.sent_to(patron) if m["text"].startswith("Terima kasih")]) == 1
        for librarian in (LIBRARIAN, LIBRARIAN_2):
            assert len([m for m in graph.sent_to(librarian) if m["buttons"]]) == 2

        # The librarian's tap is a webhook too, redelivered like any other, while she taps again.
        first, second = await store.draft_ids()
        tap = button_reply(desk.business, LIBRARIAN, f"approve:{first}", "Setujui", context_id="wamid.d",
                           wamid="wamid.TAP.ONCE")
        taps = [desk.post_webhook(tap) for _ in range(5)]
        taps += [desk.press(f"approve:{second}", sender=who) for who in (LIBRARIAN, LIBRARIAN_2) * 3]
        assert {a.status for a in await asyncio.gather(*taps)} == {200}

        async def lists_out() -> bool:
            drafts = [await store.get_draft(i) for i in (first, second)]
            return all(d is not None and d.status.value == "sent" for d in drafts)

        await eventually(lists_out, what="both lists sent")
        await asyncio.sleep(0.5)  # anything duplicated would be on its way by now
        rows = await drained(desk, drafts=2)
        for patron in (PATRON, PATRON_2):
            lists = [m for m in graph.sent_to(patron) if not m["text"].startswith("Terima kasih")]
            assert len(lists) == 1, lists
        assert_each_row_sent_once(rows, graph)


async def test_statuses_that_arrive_before_the_send_returns_are_kept(tmp_path: Path, catalog_dir: Path) -> None:
    async with running(tmp_path, catalog_dir, graph={"statuses_first": True}) as (desk, graph):
        await desk.patron_says("literasi informasi mahasiswa")
        await drained(desk, drafts=1)
        assert all(m["status"] == "delivered" for m in graph.messages)

        # The worker applies the journaled statuses on its own time: before or after the send
        # that caused them was recorded, each row ends up delivered.
        async def all_delivered() -> bool:
            return all(r["state"] == "delivered" for r in await desk.services.store.outbox_rows())

        await eventually(all_delivered, within=10, what="every outbox row delivered")


async def test_a_failure_reported_before_the_send_returns_is_recorded(tmp_path: Path, catalog_dir: Path) -> None:
    async with running(tmp_path, catalog_dir) as (desk, graph):
        async with desk.http.post(f"{desk.graph_url}/_control",
                                  json={"as_status": True, "statuses_first": True, "code": 131026}) as r:
            assert r.status == 200
        await desk.patron_says("literasi informasi mahasiswa")
        await drained(desk, drafts=1)
        [failed] = [m for m in graph.messages if m["status"] == "failed"]

        async def recorded() -> Any:
            rows = [r for r in await desk.services.store.outbox_rows() if r["wamid"] == failed["id"]]
            return rows if rows and rows[0]["state"] == "failed" else None

        [row] = await eventually(recorded, within=10, what="the failure recorded on its row")
        assert "131026" in row["error"]


@pytest.mark.parametrize(
    ("fault", "send_timeout"),
    [
        ({"status": 429, "code": 130429, "times": 3}, 10.0),
        ({"status": 500, "code": 131000, "times": 3}, 10.0),
        ({"status": 503, "times": 3}, 10.0),
        # The stand-in holds each send past refbot's timeout, then refuses it: a hung gateway.
        # refbot cannot know it was refused, so each waits (unsure) for a status, then goes again.
        ({"status": 504, "delay": 1.0, "times": 3}, 0.3),
    ],
    ids=["429-rate-limit", "500-something-went-wrong", "503-no-code", "timeouts"],
)
async def test_the_outbox_drains_once_the_graph_api_recovers(
    tmp_path: Path, catalog_dir: Path, fault: dict[str, Any], send_timeout: float
) -> None:
    # A refused send in doubt goes again once a later send was reported on, or, when nothing
    # else was sent meanwhile, after the (here short) wait with no evidence.
    async with running(tmp_path, catalog_dir, send_timeout=send_timeout, unsure_wait=1.0,
                       unsure_give_up=3 / 60) as (desk, graph):
        async with desk.http.post(f"{desk.graph_url}/_control", json=fault) as r:
            assert r.status == 200
        await desk.patron_says("literasi informasi mahasiswa")
        await desk.patron_says("minat baca remaja", sender=PATRON_2)
        rows = await drained(desk, drafts=2, within=60)
        assert graph.fault.times == 0, "every planned failure was played"
        retries = [e for e in await desk.services.store.events() if e["kind"] in ("send_retry", "send_unsure")]
        assert len(retries) == 3
        assert_each_row_sent_once(rows, graph)


async def test_a_send_accepted_after_refbot_gave_up_is_not_sent_twice(tmp_path: Path, catalog_dir: Path) -> None:
    # WhatsApp takes the message a second after refbot stopped waiting; its status webhook,
    # echoing the row's callback data, settles the row long before the wait for one is over.
    async with running(tmp_path, catalog_dir, send_timeout=0.3) as (desk, graph):
        async with desk.http.post(f"{desk.graph_url}/_control", json={"delay": 1.0, "times": 1}) as r:
            assert r.status == 200
        await desk.patron_says("literasi informasi mahasiswa")
        rows = await drained(desk, drafts=1, within=30)
        await asyncio.sleep(1.0)
        assert_each_row_sent_once(rows, graph)
        [unsure] = [e for e in await desk.services.store.events() if e["kind"] == "send_unsure"]
        [row] = [r for r in rows if r["idem_key"] == unsure["subject"]]
        assert row["attempts"] == 1 and row["state"] in ("sent", "delivered")


async def test_every_recorded_payload_is_stored_or_ignored_with_a_log_line(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="refbot.intake.applier")
    folder = shared_data("whatsapp", "pywa")
    expected_ignored = 0
    inbound = set()
    for path in sorted(folder.glob("*.json")):
        payload = addressed_to(json.loads(path.read_text(encoding="utf-8")), PHONE_NUMBER_ID)
        updates = parse_updates(payload)
        expected_ignored += sum(isinstance(u, IgnoredUpdate) for u in updates)
        inbound |= {u.wamid for u in updates if isinstance(u, InboundMessage)}
        assert (await desk.post_webhook(payload)).status == 200, path.name
    ignored_lines = [r for r in caplog.records if r.getMessage().startswith("webhook update ignored")]
    assert len(ignored_lines) >= expected_ignored
    stored = {r["wamid"] for r in await desk.services.store.fetchall("SELECT wamid FROM inbox")}
    assert inbound <= stored


def addressed_to(payload: Any, number: str) -> Any:
    """A recorded payload as if it came to ``number`` (the recordings name placeholder numbers)."""
    for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
        for change in entry.get("changes", []):
            metadata = change.get("value", {}).get("metadata")
            if isinstance(metadata, dict) and "phone_number_id" in metadata:
                metadata["phone_number_id"] = number
    return payload


async def test_a_message_to_a_number_this_desk_does_not_have_is_acknowledged_and_never_answered(desk: Desk) -> None:
    payload = json.loads((shared_data("whatsapp", "pywa") / "message__text.json").read_text(encoding="utf-8"))
    [message] = [u for u in parse_updates(payload) if isinstance(u, InboundMessage)]
    number = payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
    assert number != PHONE_NUMBER_ID
    assert (await desk.post_webhook(payload)).status == 200, "Meta must not deliver it again and again"
    await desk.webhooks_applied()
    assert await desk.services.store.fetchall("SELECT wamid FROM inbox") == []
    [event] = [e for e in await desk.services.store.events() if e["kind"] == "webhook_unknown_number"]
    assert number in event["detail"]
    assert await desk.sent_to(message.sender) == []
