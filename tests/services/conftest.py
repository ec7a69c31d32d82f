"""The desk with its services on a real store, Koha and WhatsApp media stand-ins on loopback.

Messages go in the way the worker hands them to the desk (stored, claimed, handled); what
comes out is read from the outbox, where every message a person would receive is a row.
"""

from __future__ import annotations

import hashlib
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
from refbot import codec
from refbot.config import Librarian, Secret, Settings, load_settings
from refbot.desk.routing import Desk
from refbot.models import InboundMessage, OutgoingMessage
from refbot.sandbox.koha import KOHA_STATE, KohaState, create_koha_standin
from refbot.services.snap.media import GraphMedia
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
KOHA_ID, KOHA_SECRET = "refbot", "koha-secret"


@dataclass(frozen=True)
class MediaMessage(InboundMessage):
    """An inbound image or document carrying its WhatsApp media id, as the channel parses it."""

    media_id: str = ""
    mime_type: str = ""
    filename: str = ""


@dataclass
class MediaStandin:
    """WhatsApp's media endpoints: ``GET /{version}/{media_id}`` → URL, ``GET /_media/{id}`` → bytes."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(9000))

    def add(self, data: bytes, mime_type: str) -> str:
        media_id = str(next(self.counter))
        self.files[media_id] = (data, mime_type)
        return media_id

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/_media/{media_id}", self._bytes)
        app.router.add_get("/{version}/{media_id}", self._meta)
        return app

    async def _meta(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {MEDIA_TOKEN}":
            return web.json_response({"error": {"message": "Invalid OAuth access token", "code": 190}}, status=401)
        media_id = request.match_info["media_id"]
        if media_id not in self.files:
            return web.json_response({"error": {"message": "(#100) Invalid parameter", "code": 100}}, status=400)
        data, mime = self.files[media_id]
        return web.json_response({
            "messaging_product": "whatsapp", "id": media_id, "mime_type": mime, "file_size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "url": f"{request.url.origin()}/_media/{media_id}",
        })

    async def _bytes(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {MEDIA_TOKEN}":
            return web.Response(status=401)
        data, mime = self.files[request.match_info["media_id"]]
        return web.Response(body=data, content_type=mime)


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
        message: InboundMessage
        wamid = f"wamid.test{next(self.wamids)}"
        kind = "interactive" if button else type
        if media_id or type in ("image", "document"):
            message = MediaMessage(wamid, sender, kind, text=text, media_id=media_id, mime_type=mime_type,
                                   sender_name=name)
        else:
            message = InboundMessage(wamid, sender, kind, text=text, button_id=button, sender_name=name)
        assert await self.store.record_inbound(message)
        claimed = await self.store.claim_inbox(10)
        row = next(r for r in claimed if r.message.wamid == wamid)
        # The stored copy is rebuilt as the core's InboundMessage; hand the desk the parsed one.
        await self.desk.handle(InboxRow(row.id, message, row.attempts))
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
    """Settings for the services: two librarians, Koha and the media stand-in on loopback."""
    base = load_settings(None, env={})
    secrets = replace(base.secrets, whatsapp_token=Secret(MEDIA_TOKEN),
                      koha_client_id=Secret(KOHA_ID), koha_client_secret=Secret(KOHA_SECRET))
    return replace(
        base,
        store=replace(base.store, path=str(tmp_path / "var" / "refbot.sqlite3")),
        whatsapp=replace(base.whatsapp, graph_api_base=graph_url, phone_number_id="100000000000009"),
        librarians=(Librarian("Dewi", LIBRARIAN), Librarian("Budi", LIBRARIAN_2)),
        koha=replace(base.koha, enabled=True, base_url=koha_url, timeout=2.0),
        letters=replace(base.letters, library_name="UPT Perpustakaan Universitas Contoh",
                        institution="Universitas Contoh", city="Semarang", signatory_name="Dr. Sri Wahyuni"),
        server=replace(base.server, public_url="https://perpus.example.ac.id"),
        secrets=secrets,
    )


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """The desk with every service, on a fresh store, against the Koha and media stand-ins."""
    koha_app = create_koha_standin(KOHA_ID, KOHA_SECRET)
    media = MediaStandin()
    koha_runner, koha_url = await serve(koha_app)
    media_runner, media_url = await serve(media.app())
    settings = service_settings(tmp_path, koha_url, media_url)
    store = await Store.open(settings.path(settings.store.path))
    async with aiohttp.ClientSession() as session:
        library = KohaLibrary(settings.koha, settings.secrets.koha_client_id, settings.secrets.koha_client_secret,
                              session)
        media_fetcher = GraphMedia(settings.whatsapp, settings.secrets.whatsapp_token, session)
        services = desk_services(settings, store, session, library, media=media_fetcher)
        desk = Desk(store, [], settings, services=services)
        yield Harness(desk, store, settings, koha_app[KOHA_STATE], koha_url, media)
    await store.close()
    await media_runner.cleanup()
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
    setup_verify(app, lambda: harness.store, harness.settings)
    runner, url = await serve(app)
    yield url
    await runner.cleanup()
