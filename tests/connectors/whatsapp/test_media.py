"""A patron's photo or file: media id → short-lived URL → bytes, with a cap and a type check.

Against the Graph-API stand-in over loopback, and against a small lying server for what the
stand-in never does (a size it did not declare, a corrupt body, an HTML page for a JPEG).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.whatsapp.channel import MediaError, WhatsAppChannel, media_id_of, parse_updates, safe_filename
from refbot.config import Secret, WhatsAppSettings
from refbot.sandbox.payloads import BusinessNumber, media_message

TOKEN = "media-token"
APP_SECRET = "media-secret"
PHONE_NUMBER_ID = "106540352242922"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + b"0" * 1000 + b"\n%%EOF"
OGG = b"OggS\x00\x02" + b"\x01" * 500


def channel_at(base: str, session: aiohttp.ClientSession) -> WhatsAppChannel:
    settings = WhatsAppSettings(graph_api_base=base, phone_number_id=PHONE_NUMBER_ID, send_timeout=2.0)
    return WhatsAppChannel(settings, Secret(TOKEN), Secret(APP_SECRET), session)


@dataclass
class Rig:
    channel: WhatsAppChannel
    server: TestServer
    session: aiohttp.ClientSession

    async def patron_sends(self, data: bytes, mime_type: str, filename: str = "") -> str:
        url = self.server.make_url("/_media")
        async with self.session.post(url, data=data, headers={"Content-Type": mime_type},
                                     params={"filename": filename}) as r:
            return str((await r.json())["id"])

    async def fault(self, **fault: Any) -> None:
        async with self.session.post(self.server.make_url("/_control"), json=fault) as r:
            assert r.status == 200


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    from refbot.sandbox.graph import create_graph_standin

    async with TestServer(create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID)) as server, \
            aiohttp.ClientSession() as session:
        yield Rig(channel_at(str(server.make_url("/")).rstrip("/"), session), server, session)


@pytest.mark.parametrize(("data", "mime_type"), [(JPEG, "image/jpeg"), (PDF, "application/pdf"),
                                                 (OGG, "audio/ogg; codecs=opus")])
async def test_media_from_a_webhook_is_downloaded_with_its_type(rig: Rig, data: bytes, mime_type: str) -> None:
    media_id = await rig.patron_sends(data, mime_type)
    kind = {"image": "image", "application": "document", "audio": "voice"}[mime_type.split("/")[0]]
    [message] = parse_updates(media_message(BusinessNumber(PHONE_NUMBER_ID), "628", kind, media_id, mime_type))
    got, got_type = await rig.channel.download_media(media_id_of(message))
    assert got == data and got_type == mime_type.split(";")[0]


async def test_a_type_refbot_does_not_take_is_refused_before_download(rig: Rig) -> None:
    media_id = await rig.patron_sends(OGG, "audio/ogg")
    with pytest.raises(MediaError, match="does not take") as caught:
        await rig.channel.download_media(media_id, allowed_types={"image/jpeg", "image/png"})
    assert not caught.value.transient


async def test_media_over_the_cap_is_refused(rig: Rig) -> None:
    media_id = await rig.patron_sends(JPEG, "image/jpeg")
    with pytest.raises(MediaError, match="limit") as caught:
        await rig.channel.download_media(media_id, max_bytes=100)
    assert not caught.value.transient


async def test_bytes_that_are_not_what_they_claim_are_refused(rig: Rig) -> None:
    media_id = await rig.patron_sends(b"<html><script>alert(1)</script></html>", "image/jpeg")
    with pytest.raises(MediaError, match="bytes are not") as caught:
        await rig.channel.download_media(media_id)
    assert not caught.value.transient


@pytest.mark.parametrize("media_id", ["../v21.0/me", "12 34", "", "1" * 200, "id?x=1"])
async def test_ids_that_are_not_media_ids_never_reach_the_network(rig: Rig, media_id: str) -> None:
    with pytest.raises(MediaError, match="not a media id") as caught:
        await rig.channel.download_media(media_id)
    assert not caught.value.transient


async def test_an_unknown_media_id_is_a_permanent_error(rig: Rig) -> None:
    with pytest.raises(MediaError) as caught:
        await rig.channel.download_media("1234567890")
    assert (caught.value.code, caught.value.transient) == (100, False)


async def test_a_failing_lookup_is_transient(rig: Rig) -> None:
    media_id = await rig.patron_sends(JPEG, "image/jpeg")
    await rig.fault(status=500, code=131016, on="media")
    with pytest.raises(MediaError) as caught:
        await rig.channel.download_media(media_id)
    assert caught.value.transient
    assert (await rig.channel.download_media(media_id))[0] == JPEG


async def test_the_download_link_needs_the_token(rig: Rig) -> None:
    media_id = await rig.patron_sends(JPEG, "image/jpeg")
    lookup = rig.server.make_url(f"/v21.0/{media_id}")
    async with rig.session.get(lookup, headers={"Authorization": f"Bearer {TOKEN}"}) as r:
        info = await r.json()
    assert info["mime_type"] == "image/jpeg" and info["file_size"] == len(JPEG)
    assert info["sha256"] == hashlib.sha256(JPEG).hexdigest() and info["id"] == media_id
    async with rig.session.get(info["url"]) as r:
        assert r.status == 401
    async with rig.session.get(info["url"].replace("hash=", "hash=0"), headers={"Authorization": f"Bearer {TOKEN}"}) as r:
        assert r.status == 404


# --- a lying server ----------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def lying(body: bytes, *, declared: int, sha256: str = "", content_type: str = "image/jpeg",
                status: int = 200) -> tuple[bytes, str] | MediaError:
    async def lookup(request: web.Request) -> web.Response:
        url = request.url.origin().join(request.app.router["bytes"].url_for())
        return web.json_response({"url": str(url), "mime_type": content_type, "sha256": sha256,
                                  "file_size": str(declared), "id": "42", "messaging_product": "whatsapp"})

    async def chunks(request: web.Request) -> web.StreamResponse:
        if status != 200:
            return web.Response(status=status)
        response = web.StreamResponse(headers={"Content-Type": content_type})  # no Content-Length
        await response.prepare(request)
        for i in range(0, len(body), 1000):
            await response.write(body[i:i + 1000])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/v21.0/42", lookup)
    app.router.add_get("/bytes", chunks, name="bytes")
    async with TestServer(app) as server, aiohttp.ClientSession() as session:
        try:
            return await channel_at(str(server.make_url("/")).rstrip("/"), session).download_media("42", max_bytes=10_000)
        except MediaError as e:
            return e


async def test_a_body_longer_than_declared_is_cut_off_at_the_cap() -> None:
    result = await lying(JPEG * 10, declared=100)
    assert isinstance(result, MediaError) and "over the 10000-byte limit" in str(result) and not result.transient


async def test_a_corrupt_download_is_transient() -> None:
    result = await lying(JPEG, declared=len(JPEG), sha256=hashlib.sha256(b"other").hexdigest())
    assert isinstance(result, MediaError) and "corrupt" in str(result) and result.transient
    assert await lying(JPEG, declared=len(JPEG), sha256=hashlib.sha256(JPEG).hexdigest()) == (JPEG, "image/jpeg")


async def test_an_expired_link_is_transient_so_the_id_is_looked_up_again() -> None:
    result = await lying(JPEG, declared=len(JPEG), status=404)
    assert isinstance(result, MediaError) and result.transient


@pytest.mark.parametrize(
    ("name", "mime_type", "safe"),
    [
        ("../../etc/passwd", "", "passwd"),
        ("C:\\Users\\x\\skripsi.pdf", "application/pdf", "skripsi.pdf"),
        ("Skripsi Bab 1.pdf", "application/pdf", "Skripsi Bab 1.pdf"),
        ("scan", "image/jpeg", "scan.jpg"),
        ("foto.jpeg", "image/jpeg", "foto.jpeg"),
        ("", "image/png", "file.png"),
        ("..", "", "file"),
        ("laporan.exe", "application/pdf", "laporan.exe.pdf"),
        ("a\x00b<script>.txt", "text/plain", "a_b_script.txt"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 100 + ".pdf"),
        ("Daftar Pustaka — Ibu Sri.docx", "", "Daftar Pustaka _ Ibu Sri.docx"),
    ],
)
def test_safe_file_names(name: str, mime_type: str, safe: str) -> None:
    assert safe_filename(name, mime_type) == safe
