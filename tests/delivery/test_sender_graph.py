"""The sender against the Graph API stand-in over real HTTP, with a fake clock for time that passes:
an outage of minutes, a permanent refusal, and retries that must not let a draft's buttons
overtake its text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.whatsapp.channel import WhatsAppChannel
from refbot.config import Librarian, Secret, load_settings
from refbot.delivery.sender import Sender
from refbot.models import Button, OutgoingMessage
from refbot.sandbox.graph import GRAPH_STATE, GraphState, create_graph_standin
from refbot.store import Store

TOKEN, APP_SECRET, PHONE_NUMBER_ID = "graph-token", "graph-app-secret", "1122334455667"
PATRON, PATRON_2 = "6281200000001", "6281200000002"
LIBRARIAN, LIBRARIAN_2 = "6281300000001", "6281300000002"


@dataclass
class Clock:
    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    store: Store
    sender: Sender
    graph: GraphState
    clock: Clock
    session: aiohttp.ClientSession
    url: str

    async def fault(self, fault: dict[str, Any]) -> None:
        async with self.session.post(f"{self.url}/_control", json=fault) as r:
            assert r.status == 200, await r.text()

    async def queue(self, key: str, message: OutgoingMessage, draft_id: int | None = None) -> None:
        async with self.store.tx() as db:
            assert await self.store.enqueue(db, key, message, draft_id)

    async def run(self, rounds: int = 500) -> int:
        """Send until nothing waits, moving the clock to each next retry; how many rounds it took."""
        for n in range(rounds):
            await self.sender.send_due()
            rows = await self.store.outbox_rows()
            waiting = [r for r in rows if r["state"] in ("pending", "sending", "unsure")]
            if not waiting:
                return n + 1
            later = [r["next_attempt_at"] for r in waiting if r["state"] == "pending" and r["next_attempt_at"] > self.clock.now]
            self.clock.now = min(later, default=self.clock.now + 1)
        raise AssertionError("the outbox never drained")

    def texts_to(self, phone: str) -> list[str]:
        return [m["text"] for m in self.graph.sent_to(phone)]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    clock = Clock()
    graph_app = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, clock=clock)
    base = load_settings(None, env={})
    async with TestServer(graph_app) as server, aiohttp.ClientSession() as session:
        url = str(server.make_url("/")).rstrip("/")
        settings = replace(
            base,
            whatsapp=replace(base.whatsapp, graph_api_base=url, phone_number_id=PHONE_NUMBER_ID,
                             messages_per_second=1000.0),
            librarians=(Librarian("Dewi", LIBRARIAN), Librarian("Budi", LIBRARIAN_2)),
        )
        store = await Store.open(tmp_path / "refbot.sqlite3", clock)
        try:
            channel = WhatsAppChannel(settings.whatsapp, Secret(TOKEN), Secret(APP_SECRET), session)
            yield Rig(store, Sender(store, channel, settings), graph_app[GRAPH_STATE], clock, session, url)
        finally:
            await store.close()


def draft(to: str, n: int) -> list[OutgoingMessage]:
    return [OutgoingMessage(to=to, text=f"Draf #{n}: daftar"),
            OutgoingMessage(to=to, text=f"Draf #{n}: setujui?", buttons=(Button(f"approve:{n}", "Setujui"),))]


async def test_a_three_minute_outage_loses_nothing_and_keeps_each_persons_order(rig: Rig) -> None:
    await rig.fault({"status": 503, "for": 180})
    start = rig.clock.now
    expected: dict[str, list[str]] = {}
    for patron in (PATRON, PATRON_2):
        for part in range(3):
            message = OutgoingMessage(to=patron, text=f"bagian {part} untuk {patron}")
            await rig.queue(f"draft:1:v1:patron:{patron}:{part}", message)
            expected.setdefault(patron, []).append(message.text)
    for librarian in (LIBRARIAN, LIBRARIAN_2):
        for part, message in enumerate(draft(librarian, 1)):
            await rig.queue(f"draft:1:v1:librarian:{librarian}:{part}", message)
            expected.setdefault(librarian, []).append(message.text)

    await rig.run()
    rows = await rig.store.outbox_rows()
    assert {r["state"] for r in rows} == {"sent"}, [(r["idem_key"], r["state"], r["error"]) for r in rows]
    assert rig.clock.now - start >= 180, "the outage was waited out"
    assert rig.clock.now - start < 180 + 300 + 5, "backoff is capped at five minutes"
    for phone, texts in expected.items():
        assert rig.texts_to(phone) == texts, "each person's messages in the order they were queued"
    assert max(r["attempts"] for r in rows) > 5, "more tries than the old limit of five"
    assert not [m for m in rig.graph.messages if m["to"] in (LIBRARIAN, LIBRARIAN_2) and "tidak dapat" in m["text"]]


async def test_a_permanent_error_fails_at_once_with_its_reason_and_librarians_are_told_once(rig: Rig) -> None:
    await rig.fault({"code": 131026})  # 400, message undeliverable: trying again cannot help
    await rig.queue("draft:7:v1:patron:0", OutgoingMessage(to=PATRON, text="Daftar bacaan Anda"))
    await rig.run()
    [failed] = [r for r in await rig.store.outbox_rows() if r["idem_key"] == "draft:7:v1:patron:0"]
    assert (failed["state"], failed["attempts"]) == ("failed", 1)
    assert "131026" in failed["error"]
    assert await rig.sender.report_failures() == 0, "told once, however often it is asked"
    await rig.run()
    for librarian in (LIBRARIAN, LIBRARIAN_2):
        [notice] = rig.texts_to(librarian)
        assert "#7" in notice and "131026" in notice
        assert PATRON not in notice, "no patron's number in a librarian's message"
    assert rig.texts_to(PATRON) == []


async def test_a_failure_reported_by_a_status_webhook_is_told_by_the_chores(rig: Rig) -> None:
    from refbot.models import StatusUpdate

    await rig.queue("svc:3:answer:patron:0", OutgoingMessage(to=PATRON, text="Jawaban Anda"))
    await rig.run()
    [row] = await rig.store.outbox_rows()
    assert await rig.store.record_status(StatusUpdate(row["wamid"], "failed", recipient=PATRON,
                                                      errors=("131026: Message undeliverable",)))
    assert await rig.sender.report_failures() == 2
    await rig.run()
    for librarian in (LIBRARIAN, LIBRARIAN_2):
        [notice] = rig.texts_to(librarian)
        assert "#3" in notice and "131026" in notice


async def test_two_503s_on_a_drafts_text_never_let_its_buttons_go_first(rig: Rig) -> None:
    await rig.fault({"status": 503, "times": 2})
    text, buttons = draft(LIBRARIAN, 4)
    await rig.queue(f"draft:4:v1:librarian:{LIBRARIAN}:0", text)
    await rig.queue(f"draft:4:v1:librarian:{LIBRARIAN}:1", buttons)
    await rig.sender.send_due()
    assert rig.texts_to(LIBRARIAN) == [], "the buttons wait while the text waits for its retry"
    await rig.run()
    assert rig.texts_to(LIBRARIAN) == [text.text, buttons.text]
    assert [m["buttons"] for m in rig.graph.sent_to(LIBRARIAN)][1]
    assert [r["attempts"] for r in await rig.store.outbox_rows()] == [3, 1]
