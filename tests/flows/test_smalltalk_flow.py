"""Greetings, thanks and a loans question typed in the sandbox chat: no draft, no librarian disturbed.

refbot runs as ``make demo`` runs it (``sandbox.enabled``): the patron writes on the chat page's
API, which posts WhatsApp's signed webhook to refbot; refbot answers through the Graph-API
stand-in and asks the Koha stand-in for loans. What refbot queued is read from its outbox, so
"nothing was sent" is checked where every message is written before it goes.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp

from refbot.texts import t
from refbot.web.server import SERVICES, create_app
from refbot.wiring import Services
from tests.conftest import LIBRARIAN, PATRON, eventually, free_port, make_settings, serve


@dataclass
class Sandbox:
    """The chat page's API, as the page uses it."""

    url: str
    http: aiohttp.ClientSession
    services: Services

    async def say(self, text: str, sender: str = PATRON) -> None:
        async with self.http.post(f"{self.url}/sandbox/api/send", json={"from": sender, "text": text}) as resp:
            assert resp.status == 200, await resp.text()

    async def tap(self, button: str, title: str, sender: str = LIBRARIAN) -> None:
        body = {"from": sender, "reply": {"id": button, "title": title}}
        async with self.http.post(f"{self.url}/sandbox/api/send", json=body) as resp:
            assert resp.status == 200, await resp.text()

    async def received(self, phone: str = PATRON) -> list[dict[str, Any]]:
        """What refbot sent to ``phone``, as the phone on the page shows it."""
        async with self.http.get(f"{self.url}/sandbox/api/thread", params={"phone": phone}) as resp:
            messages = (await resp.json())["messages"]
        return [m for m in messages if not m["from_me"]]

    async def texts(self, count: int, phone: str = PATRON) -> list[str]:
        """The texts refbot sent to ``phone``, once there are ``count`` of them."""
        async def enough() -> list[str] | None:
            texts = [m["text"] for m in await self.received(phone)]
            return texts if len(texts) >= count else None

        return list(await eventually(enough, within=30, what=f"{count} message(s) to {phone}"))

    async def handled(self, n: int) -> None:
        async def done() -> bool:
            return (await self.services.store.inbox_counts()).get("done", 0) >= n

        await eventually(done, within=30, what=f"refbot to handle {n} message(s)")

    async def outbox(self) -> list[Any]:
        return await self.services.store.outbox_rows()


@contextlib.asynccontextmanager
async def sandbox(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Sandbox]:
    port = free_port()
    settings = make_settings(tmp_path, catalog_dir, port=port, graph="", crossref="")
    app = create_app(replace(settings, sandbox=replace(settings.sandbox, enabled=True)))
    runner, url = await serve(app, port)
    try:
        async with aiohttp.ClientSession() as http:
            yield Sandbox(url, http, app[SERVICES])
    finally:
        await runner.cleanup()


async def test_small_talk_around_a_list_reaches_no_librarian(tmp_path: Path, catalog_dir: Path) -> None:
    async with sandbox(tmp_path, catalog_dir) as chat:
        store = chat.services.store

        # "halo": the greeting's invitation, and nothing for the librarians.
        await chat.say("halo")
        await chat.handled(1)
        assert await chat.texts(1) == [t("id", "smalltalk_greeting")]
        assert await store.draft_ids() == []
        assert [row["recipient"] for row in await chat.outbox()] == [PATRON]

        # A loans question in words is answered from Koha, as PINJAMAN would be.
        await chat.say("pinjaman saya apa saja ya kak?")
        await chat.handled(2)
        loans = (await chat.texts(2))[-1]
        assert loans.startswith("📚 Pinjaman Anda (3):") and "B0003" in loans
        assert await store.draft_ids() == []

        # A real question: a draft, approved by a librarian, delivered to the patron.
        await chat.say("kak, saya cari buku tentang literasi informasi untuk skripsi")
        [draft_id] = await eventually(store.draft_ids, within=30, what="the draft")
        await chat.tap(f"approve:{draft_id}", "Setujui")

        async def delivered_list() -> bool:
            return any(m["text"].startswith("Berikut referensi") and m["status"] in ("delivered", "read")
                       for m in await chat.received())

        await eventually(delivered_list, within=30, what="the list delivered to the patron")
        await chat.handled(4)
        before = len(await chat.outbox())

        # "terima kasih kak 🙏" right after the list: no draft, no reply, no librarian message.
        await chat.say("terima kasih kak 🙏")
        await chat.handled(5)
        assert await store.draft_ids() == [draft_id]
        assert len(await chat.outbox()) == before
        assert not any(m["text"] == t("id", "smalltalk_thanks") for m in await chat.received())
