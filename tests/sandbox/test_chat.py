"""The sandbox chat page: served, and turning what a person does into signed webhooks.

The apps are mounted the way the service mounts them — graph stand-in at /sandbox/graph,
chat at /sandbox — next to a tiny /webhook receiver in the same main app.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.whatsapp.channel import WhatsAppChannel
from refbot.config import Librarian, Secret, WhatsAppSettings
from refbot.models import Button, InboundMessage, OutgoingMessage
from refbot.sandbox.chat import create_chat_app
from refbot.sandbox.graph import create_graph_standin

TOKEN = "chat-token"
APP_SECRET = "chat-app-secret"
PHONE_NUMBER_ID = "106540352242922"
PATRON = "6281200000001"
LIBRARIANS = (Librarian("Bu Rina", "6281300000002"), Librarian("Pak Adi", "6281300000003"))


@dataclass
class Receiver:
    """Plays refbot's /webhook: checks the signature as refbot would and keeps the updates."""

    channel: WhatsAppChannel | None = None
    answer: int = 200
    updates: list[Any] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        assert self.channel is not None
        body = await request.read()
        self.headers.append(dict(request.headers))
        if not self.channel.verify_signature(body, request.headers.get("X-Hub-Signature-256", "")):
            return web.Response(status=401, text="bad signature")
        self.updates += self.channel.parse_updates(json.loads(body))
        return web.Response(status=self.answer, text="ok")


@dataclass
class Rig:
    server: TestServer
    session: aiohttp.ClientSession
    receiver: Receiver
    channel: WhatsAppChannel

    async def get(self, path: str, **params: str) -> aiohttp.ClientResponse:
        response = await self.session.get(self.server.make_url(path), params=params)
        await response.read()
        return response

    async def send(self, body: Any) -> tuple[int, Any]:
        async with self.session.post(self.server.make_url("/sandbox/api/send"), json=body) as r:
            return r.status, await r.json()

    async def thread(self, phone: str) -> list[dict[str, Any]]:
        async with self.session.get(self.server.make_url("/sandbox/api/thread"), params={"phone": phone}) as r:
            return (await r.json())["messages"]


def service_app(receiver: Receiver, webhook_url: str) -> web.Application:
    """The main app as the service would build it with the sandbox on."""
    app = web.Application()
    app.router.add_post("/webhook", receiver.handle)
    graph = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, webhook_url=webhook_url, status_delay=0.01)
    chat = create_chat_app(
        webhook_url=webhook_url,
        app_secret=Secret(APP_SECRET),
        phone_number_id=PHONE_NUMBER_ID,
        librarians=LIBRARIANS,
        patron_phone=PATRON,
        graph_app=graph,
    )
    app.add_subapp("/sandbox/graph", graph)
    app.add_subapp("/sandbox", chat)
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    receiver = Receiver()
    port = free_port()
    app = service_app(receiver, f"http://127.0.0.1:{port}/webhook")
    async with TestServer(app, port=port) as server, aiohttp.ClientSession() as session:
        settings = WhatsAppSettings(
            graph_api_base=str(server.make_url("/sandbox/graph")), phone_number_id=PHONE_NUMBER_ID
        )
        receiver.channel = WhatsAppChannel(settings, Secret(TOKEN), Secret(APP_SECRET), session)
        yield Rig(server, session, receiver, receiver.channel)


async def test_the_page_and_its_assets_are_served(rig: Rig) -> None:
    page = await rig.get("/sandbox/")
    assert page.status == 200 and page.content_type == "text/html"
    texts = [await page.text()]
    assert 'src="static/chat.js"' in texts[0] and 'href="static/chat.css"' in texts[0]
    for asset, kind in (("chat.js", "javascript"), ("chat.css", "text/css")):
        response = await rig.get(f"/sandbox/static/{asset}")
        assert response.status == 200 and kind in response.content_type
        texts.append(await response.text())
    assert not any("http:" in t or "https:" in t for t in texts), "the page must not load outside assets"


async def test_the_page_script_never_writes_html_from_strings(rig: Rig) -> None:
    script = await (await rig.get("/sandbox/static/chat.js")).text()
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert unsafe not in script
    assert "textContent" in script


async def test_config_names_the_patron_and_librarians(rig: Rig) -> None:
    config = await (await rig.get("/sandbox/api/config")).json()
    assert config["patron"] == {"name": "Pemustaka", "phone": PATRON, "role": "patron"}
    assert [(p["name"], p["phone"]) for p in config["librarians"]] == [(lib.name, lib.phone) for lib in LIBRARIANS]


async def test_typing_posts_a_signed_text_webhook_refbot_accepts(rig: Rig) -> None:
    status, answer = await rig.send({"from": PATRON, "text": "Saya cari buku tentang literasi informasi <b>"})
    assert status == 200 and answer["webhook_status"] == 200
    [message] = rig.receiver.updates
    assert isinstance(message, InboundMessage)
    assert (message.wamid, message.sender, message.type) == (answer["id"], PATRON, "text")
    assert message.text == "Saya cari buku tentang literasi informasi <b>"
    assert message.sender_name == "Pemustaka" and message.timestamp > 0
    assert rig.receiver.headers[0]["Content-Type"] == "application/json"


async def test_a_librarian_tapping_a_button_posts_a_button_reply(rig: Rig) -> None:
    librarian = LIBRARIANS[0].phone
    draft = OutgoingMessage(
        librarian, "Draf #3 untuk 6281200000001", (Button("approve:3", "Setujui"), Button("reject:3", "Tolak"))
    )
    wamid = await rig.channel.send(draft)
    [shown] = [m for m in await rig.thread(librarian) if not m["from_me"]]
    assert shown["buttons"] == [{"id": "approve:3", "title": "Setujui"}, {"id": "reject:3", "title": "Tolak"}]
    status, _ = await rig.send(
        {"from": librarian, "reply": {"id": "approve:3", "title": "Setujui"}, "context_id": shown["id"]}
    )
    assert status == 200
    [tap] = [u for u in rig.receiver.updates if isinstance(u, InboundMessage)]
    assert (tap.sender, tap.type, tap.button_id, tap.text, tap.context_id) == (
        librarian,
        "interactive",
        "approve:3",
        "Setujui",
        wamid,
    )
    assert tap.sender_name == "Bu Rina"


async def test_a_list_row_choice_posts_a_list_reply(rig: Rig) -> None:
    status, _ = await rig.send(
        {"from": PATRON, "reply": {"id": "row:2", "title": "Buku 2", "list": True}, "context_id": "wamid.X"}
    )
    assert status == 200
    [choice] = rig.receiver.updates
    assert (choice.button_id, choice.text, choice.context_id) == ("row:2", "Buku 2", "wamid.X")


async def test_the_thread_shows_both_sides_in_order_with_statuses(rig: Rig) -> None:
    await rig.send({"from": PATRON, "text": "halo"})
    await rig.channel.send(OutgoingMessage("+62 812-0000-0001", "Selamat datang"))
    thread = await rig.thread(PATRON)
    assert [(m["from_me"], m["text"]) for m in thread] == [(True, "halo"), (False, "Selamat datang")]
    assert thread[0]["delivery"] == 200
    assert await rig.thread(LIBRARIANS[1].phone) == []


async def test_an_unreachable_webhook_is_reported_not_hidden() -> None:
    receiver = Receiver()
    app = service_app(receiver, f"http://127.0.0.1:{free_port()}/webhook")
    async with TestServer(app) as server, aiohttp.ClientSession() as session:
        async with session.post(server.make_url("/sandbox/api/send"), json={"from": PATRON, "text": "halo"}) as r:
            assert r.status == 502
            assert "cannot reach refbot's webhook" in (await r.json())["error"]
        async with session.get(server.make_url("/sandbox/api/thread"), params={"phone": PATRON}) as r:
            [written] = (await r.json())["messages"]
    assert isinstance(written["delivery"], str)


async def test_a_webhook_refusal_is_reported(rig: Rig) -> None:
    rig.receiver.answer = 500
    status, answer = await rig.send({"from": PATRON, "text": "halo"})
    assert status == 502 and "HTTP 500" in answer["error"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"text": "halo"},
        {"from": "abc", "text": "halo"},
        {"from": PATRON, "text": ""},
        {"from": PATRON, "text": "x" * 4097},
        {"from": PATRON, "reply": {"id": "a"}},
        {"from": PATRON, "reply": "approve"},
        {"from": PATRON, "reply": {"id": "a", "title": "A"}, "context_id": 5},
    ],
)
async def test_bad_requests_from_the_page_are_refused(rig: Rig, body: Any) -> None:
    status, answer = await rig.send(body)
    assert status == 400 and answer["error"]
    assert rig.receiver.updates == []


async def test_thread_needs_a_phone(rig: Rig) -> None:
    assert (await rig.get("/sandbox/api/thread")).status == 400
