"""Patrons' files, letters and exports where every node reads them, and gone wherever they are when erased.

On PostgreSQL the desk runs as several processes on several machines: the letter rendered by
one worker is sent by another, and ``/verify/<code>`` is served by whichever web node the
request reaches. The tests here run a desk (a "node") on a store, then open a second Store on
the same PostgreSQL database and act from there, as another machine would.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pypdf import PdfReader

from connectors.koha.library import KohaLibrary
from connectors.whatsapp import WhatsAppChannel
from refbot.config import Settings
from refbot.decisions import drafts
from refbot.desk.routing import Desk
from refbot.errors import MessageRefused
from refbot.models import Attachment, OutgoingMessage
from refbot.sandbox.graph import GRAPH_STATE, create_graph_standin
from refbot.sandbox.graph_state import MediaFile
from refbot.sandbox.koha import KOHA_STATE, create_koha_standin
from refbot.store import Store
from refbot.store.media import media_folder, media_store, store_folder
from refbot.store.privacy import purge_older_than
from refbot.web.verify import setup_verify
from refbot.wiring import desk_services
from tests.conftest import serve
from tests.postgres import Postgres
from tests.services.conftest import (
    APP_SECRET,
    CLEAR_PATRON,
    KOHA_ID,
    KOHA_SECRET,
    LIBRARIAN,
    MEDIA_TOKEN,
    PATRON,
    PHONE_NUMBER_ID,
    Harness,
    MediaStandin,
    render_text_image,
    service_settings,
)
from tests.store.conftest import ask

SCREENSHOT = ["Portal Perpustakaan", "Login gagal: nama pengguna atau", "kata sandi salah. Silakan coba lagi."]


@contextlib.asynccontextmanager
async def desk_on(tmp_path: Path, url: str = "") -> AsyncIterator[Harness]:
    """The desk with every service on a store (SQLite, or PostgreSQL at ``url``), wired as :mod:`refbot.wiring` does."""
    koha_app = create_koha_standin(KOHA_ID, KOHA_SECRET)
    graph_app = create_graph_standin(MEDIA_TOKEN, APP_SECRET, PHONE_NUMBER_ID)
    koha_runner, koha_url = await serve(koha_app)
    graph_runner, graph_url = await serve(graph_app)
    settings = service_settings(tmp_path, koha_url, graph_url)
    settings = replace(settings, store=replace(settings.store, url=url))
    store = await Store.open(settings.store_location)
    try:
        async with aiohttp.ClientSession() as session:
            library = KohaLibrary(settings.koha, settings.secrets.koha_client_id,
                                  settings.secrets.koha_client_secret, session)
            services = desk_services(settings, store, channel_of(settings, store, session), library,
                                     media=media_store(settings, store))
            desk = Desk(store, [], settings, services=services)
            yield Harness(desk, store, settings, koha_app[KOHA_STATE], koha_url, MediaStandin(graph_app[GRAPH_STATE]))
    finally:
        await store.close()
        await graph_runner.cleanup()
        await koha_runner.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
async def node(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """The desk on SQLite (files in folders) and on PostgreSQL (files in the database)."""
    url = await request.getfixturevalue("postgres").fresh_url() if request.param == "postgresql" else ""
    async with desk_on(tmp_path, url) as harness:
        yield harness


@pytest.fixture
async def pg_node(tmp_path: Path, postgres: Postgres) -> AsyncIterator[Harness]:
    """The desk on PostgreSQL."""
    async with desk_on(tmp_path, await postgres.fresh_url()) as harness:
        yield harness


@pytest.fixture
async def other_node(pg_node: Harness) -> AsyncIterator[Store]:
    """A second node's Store on the same PostgreSQL database as ``pg_node``'s."""
    store = await Store.open(pg_node.settings.store_location)
    yield store
    await store.close()


def channel_of(settings: Settings, store: Store, session: aiohttp.ClientSession) -> WhatsAppChannel:
    """The WhatsApp channel as wiring builds it: reading attachments from the node's media store."""
    s = settings.secrets
    return WhatsAppChannel(settings.whatsapp, s.whatsapp_token, s.whatsapp_app_secret, session,
                           files=media_store(settings, store))


async def snap(harness: Harness, sender: str = PATRON) -> int:
    """The patron sends a screenshot; the inbox id of their message."""
    media_id = harness.media.add(render_text_image(SCREENSHOT), "image/png")
    return await harness.send("kak, saya tidak bisa login", sender=sender, type="image", media_id=media_id,
                              mime_type="image/png")


async def kept_keys(harness: Harness) -> list[str]:
    return await media_store(harness.settings, harness.store).keys("")


def files_on_disk(harness: Harness) -> list[str]:
    return sorted(str(p.relative_to(store_folder(harness.settings)))
                  for folder in ("media", "letters", "exports")
                  for p in (store_folder(harness.settings) / folder).glob("*"))


async def test_a_patrons_erasure_removes_their_screenshot_wherever_it_is_kept(node: Harness) -> None:
    theirs, others = await snap(node), await snap(node, sender=CLEAR_PATRON)
    assert [k.split("-")[0] for k in await kept_keys(node)] == [f"media/{theirs}", f"media/{others}"]

    await node.send("HAPUS DATA")
    await node.send("YA HAPUS")
    assert "sudah kami hapus" in (await node.last(PATRON)).text
    [left] = await kept_keys(node)
    assert left.startswith(f"media/{others}-")  # the other patron's screenshot stays
    if node.settings.on_postgres:
        assert files_on_disk(node) == []  # never on one machine's disk
    else:
        assert [Path(p).name for p in files_on_disk(node)] == [Path(left).name]


async def test_retention_removes_old_screenshots_wherever_they_are_kept(node: Harness) -> None:
    await snap(node)
    assert len(await kept_keys(node)) == 1
    assert await purge_older_than(node.store, time.time() + 1, media_store(node.settings, node.store)) > 0
    assert await kept_keys(node) == []
    assert not list(media_folder(node.settings).glob("*"))


async def test_a_letter_issued_on_one_node_is_verified_and_sent_by_another(pg_node: Harness, other_node: Store) -> None:
    node = pg_node  # the worker that issues the letter
    inbox_id = await node.send("BEBASPUSTAKA", sender=CLEAR_PATRON)
    request = await node.store.fetchone("SELECT id FROM service_requests WHERE inbox_id = ?", (inbox_id,))
    assert request is not None
    await node.press(f"letter-approve:{request['id']}")
    letter = await node.last(CLEAR_PATRON)
    assert letter.document is not None and files_on_disk(node) == []
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", letter.text)
    assert code is not None

    # A faculty office checks the letter on a web node that did not issue it.
    app = web.Application()
    setup_verify(app, lambda: [(other_node, node.settings)], node.settings)
    runner, url = await serve(app)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/verify/{code[0]}") as resp:
            shown = await resp.text()
    finally:
        await runner.cleanup()
    assert resp.status == 200 and "ASLI" in shown and "Andi Pratama" in shown

    # A worker on another machine sends it: the patron's phone gets the PDF the first node rendered.
    got = await sent_by(node, other_node, letter)
    assert got.filename == "bebas-pustaka-2100002.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(got.data)).pages)
    assert code[0] in text and "Andi Pratama" in text


async def test_a_screenshot_saved_on_one_node_reaches_the_librarian_from_another(
    pg_node: Harness, other_node: Store,
) -> None:
    node = pg_node  # the worker that downloads the patron's screenshot
    image = render_text_image(SCREENSHOT)
    await node.send("", type="image", media_id=node.media.add(image, "image/png"), mime_type="image/png")
    forwarded = (await node.received(LIBRARIAN))[0]
    assert forwarded.image is not None and files_on_disk(node) == []
    got = await sent_by(node, other_node, replace(forwarded, to=LIBRARIAN))
    assert got.data == image and got.mime_type == "image/png"


async def test_a_list_exported_on_one_node_is_sent_by_another(pg_node: Harness, other_node: Store) -> None:
    draft_id = await ask(pg_node.store, sender=PATRON)
    await drafts.approve(pg_node.store, draft_id, LIBRARIAN)
    await pg_node.send("kirim RIS")
    export = await pg_node.last(PATRON)
    assert export.document is not None and export.document.filename == f"referensi-{draft_id}.ris"
    assert files_on_disk(pg_node) == []
    ris = (await sent_by(pg_node, other_node, export)).data.decode("utf-8")
    assert ris.count("TY  - BOOK") == 3 and "TI  - Buku 0" in ris


async def sent_by(node: Harness, other_node: Store, message: OutgoingMessage) -> MediaFile:
    """Send ``message`` through a channel on ``other_node``; the file the Graph API received with it."""
    async with aiohttp.ClientSession() as session:
        await channel_of(node.settings, other_node, session).send(message)
    sent = node.media.graph.sent_to(message.to)[-1]
    kind = sent["payload"]["type"]
    return node.media.graph.media[sent["payload"][kind]["id"]]


async def test_a_file_no_longer_kept_is_refused_not_retried(pg_node: Harness) -> None:
    gone = OutgoingMessage(to=PATRON, text="Surat Anda", document=Attachment("letters/K7QM-2XWD-9RTA.pdf",
                                                                              "bebas-pustaka.pdf", "application/pdf"))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(MessageRefused, match="not kept any more"):
            await channel_of(pg_node.settings, pg_node.store, session).send(gone)
    assert pg_node.media.graph.sent_to(PATRON) == []
