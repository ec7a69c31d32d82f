"""The desk with its services on a real store, the Koha and Graph API stand-ins on loopback.

Messages go in the way the worker hands them to the desk (stored, claimed, handled); what
comes out is read from the outbox, where every message a person would receive is a row.
Patrons' images are downloaded the way production does it: a real :class:`WhatsAppChannel`
asks the sandbox's Graph API stand-in for the media id, then fetches its short-lived link.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from connectors.koha.library import KohaLibrary
from connectors.whatsapp import WhatsAppChannel
from refbot import codec
from refbot.config import Librarian, Secret, Settings, load_settings
from refbot.desk.routing import Desk
from refbot.models import InboundMessage, OutgoingMessage
from refbot.sandbox.graph import GRAPH_STATE, GraphState, create_graph_standin
from refbot.sandbox.graph_media import store_media
from refbot.sandbox.graph_state import Fault
from refbot.sandbox.koha import KOHA_STATE, KohaState, create_koha_standin
from refbot.store import InboxRow, Store
from refbot.web.verify import setup_verify
from refbot.wiring import desk_services
from tests.conftest import serve

PATRON = "6281200000001"       # Siti: three loans and a fine (see refbot.sandbox.koha.seed)
CLEAR_PATRON = "6281200000002"  # Andi: nothing on loan, nothing owed
LIMIT_PATRON = "6281200000004"  # Maya: B0005 renewed to the limit
STRANGER = "6281299999999"     # no card lists this number
LIBRARIAN = "6281300000001"
LIBRARIAN_2 = "6281300000002"
MEDIA_TOKEN = "media-token"
APP_SECRET = "services-app-secret"
PHONE_NUMBER_ID = "100000000000009"
KOHA_ID, KOHA_SECRET = "refbot", "koha-secret"


@dataclass
class MediaStandin:
    """Patrons' media as WhatsApp keeps it: files in the Graph API stand-in, named by media id."""

    graph: GraphState

    def add(self, data: bytes, mime_type: str, filename: str = "") -> str:
        """Keep a file as if a patron had sent it; its media id, for an inbound message."""
        return store_media(self.graph, data, mime_type, filename).id

    def fault(self, **fault: Any) -> None:
        """Make the next media lookups fail (see the stand-in's ``POST /_control``)."""
        self.graph.fault = Fault(**{"times": 1, **fault, "on": "media"})


@dataclass
class Harness:
    """A patron's and a librarian's moves against the desk, and what they receive."""

    desk: Desk
    store: Store
    settings: Settings
    koha: KohaState
    koha_url: str
    media: MediaStandin
    wamids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, text: str = "", *, sender: str = PATRON, button: str = "", type: str = "text",
                   media_id: str = "", mime_type: str = "", name: str = "") -> int:
        """Store a message as the webhook would, then let the desk handle it; returns its inbox id."""
        wamid = f"wamid.test{next(self.wamids)}"
        kind = "interactive" if button else type
        message = InboundMessage(wamid, sender, kind, text=text, button_id=button, sender_name=name,
                                 media_id=media_id, mime_type=mime_type)
        assert await self.store.record_inbound(message)
        claimed = await self.store.claim_inbox(10)
        row = next(r for r in claimed if r.message.wamid == wamid)
        await self.desk.handle(InboxRow(row.id, row.message, row.attempts))
        return row.id

    async def press(self, button: str, *, sender: str = LIBRARIAN) -> int:
        return await self.send(button.split(":")[0], sender=sender, button=button)

    async def received(self, phone: str) -> list[OutgoingMessage]:
        rows = await self.store.outbox_rows(phone)
        return [codec.loads(OutgoingMessage, r["message"]) for r in rows]

    async def last(self, phone: str) -> OutgoingMessage:
        got = await self.received(phone)
        assert got, f"nothing was sent to {phone}"
        return got[-1]

    async def texts(self, phone: str) -> str:
        return "\n---\n".join(m.text for m in await self.received(phone))

    async def inbox_state(self, inbox_id: int) -> str:
        row = await self.store.fetchone("SELECT state FROM inbox WHERE id = ?", (inbox_id,))
        assert row is not None
        return str(row["state"])

    async def koha_fault(self, **fault: Any) -> None:
        async with aiohttp.ClientSession() as http, http.post(f"{self.koha_url}/_control", json=fault) as resp:
            assert resp.status == 200, await resp.text()


def service_settings(tmp_path: Path, koha_url: str, graph_url: str) -> Settings:
    """Settings for the services: two librarians, Koha and the Graph API stand-in on loopback."""
    base = load_settings(None, env={})
    secrets = replace(base.secrets, whatsapp_token=Secret(MEDIA_TOKEN), whatsapp_app_secret=Secret(APP_SECRET),
                      koha_client_id=Secret(KOHA_ID), koha_client_secret=Secret(KOHA_SECRET))
    return replace(
        base,
        store=replace(base.store, path=str(tmp_path / "var" / "refbot.sqlite3")),
        whatsapp=replace(base.whatsapp, graph_api_base=graph_url, phone_number_id=PHONE_NUMBER_ID),
        librarians=(Librarian("Dewi", LIBRARIAN), Librarian("Budi", LIBRARIAN_2)),
        koha=replace(base.koha, enabled=True, base_url=koha_url, timeout=2.0),
        letters=replace(base.letters, library_name="UPT Perpustakaan Universitas Contoh",
                        institution="Universitas Contoh", city="Semarang", signatory_name="Dr. Sri Wahyuni"),
        server=replace(base.server, public_url="https://perpus.example.ac.id"),
        secrets=secrets,
    )


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """The desk with every service, on a fresh store, against the Koha and Graph API stand-ins."""
    koha_app = create_koha_standin(KOHA_ID, KOHA_SECRET)
    graph_app = create_graph_standin(MEDIA_TOKEN, APP_SECRET, PHONE_NUMBER_ID)
    koha_runner, koha_url = await serve(koha_app)
    graph_runner, graph_url = await serve(graph_app)
    settings = service_settings(tmp_path, koha_url, graph_url)
    store = await Store.open(settings.path(settings.store.path))
    async with aiohttp.ClientSession() as session:
        library = KohaLibrary(settings.koha, settings.secrets.koha_client_id, settings.secrets.koha_client_secret,
                              session)
        channel = WhatsAppChannel(settings.whatsapp, settings.secrets.whatsapp_token,
                                  settings.secrets.whatsapp_app_secret, session)
        services = desk_services(settings, store, channel, library)
        desk = Desk(store, [], settings, services=services)
        yield Harness(desk, store, settings, koha_app[KOHA_STATE], koha_url, MediaStandin(graph_app[GRAPH_STATE]))
    await store.close()
    await graph_runner.cleanup()
    await koha_runner.cleanup()


def render_text_image(lines: list[str], *, blur: float = 0, size: int = 34) -> bytes:
    """A PNG screenshot with these lines of black text on white, drawn by Pillow."""
    image = Image.new("RGB", (1000, 80 + int(size * 1.8) * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size)
    for i, line in enumerate(lines):
        draw.text((40, 40 + int(size * 1.8) * i), line, fill="black", font=font)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return png(image)


def png(image: Image.Image) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
async def verify_url(harness: Harness) -> AsyncIterator[str]:
    """A tiny web app serving only /verify, on the harness's store."""
    app = web.Application()
    setup_verify(app, lambda: [(harness.store, harness.settings)], harness.settings)
    runner, url = await serve(app)
    yield url
    await runner.cleanup()
