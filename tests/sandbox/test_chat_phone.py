"""The sandbox chat page in real Chromium, against refbot served as ``make demo`` serves it.

What a person does on the page — type, quote a message, attach a photo or a PDF, tap a draft's
button — reaches refbot as WhatsApp's webhooks would, and the page shows what a phone would.
Restarting the service keeps every chat, so a draft's buttons still work afterwards.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from PIL import Image

from refbot.catalog.progress import ProgressPrinter
from refbot.sandbox.chat_record import RECORD_FILE
from refbot.web.server import SERVICES, create_app
from tests.conftest import DEMO_CATALOG, PATRON, eventually, free_port, make_settings, serve
from tests.services.similarity.conftest import thesis_pdf
from tests.web.console.browser import CHROMIUM_ARGS, chromium_path
from tests.web.console.conftest import SCREENSHOTS

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

expect = pytest.importorskip("playwright.async_api").expect


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@contextlib.asynccontextmanager
async def demo(tmp_path: Path, catalog_dir: Path, port: int) -> AsyncIterator[tuple[str, Any]]:
    """refbot with ``--sandbox`` on ``port``, its data in ``tmp_path`` (kept from one start to the next)."""
    settings = make_settings(tmp_path, catalog_dir, port=port, graph="", crossref="")
    settings = replace(settings, sandbox=replace(settings.sandbox, enabled=True))
    app = create_app(settings)
    runner, url = await serve(app, port)
    try:
        yield url, app[SERVICES]
    finally:
        await runner.cleanup()


def pane(page: Page, name: str) -> Locator:
    """One person's phone on the page, by the name it shows."""
    return page.locator("section.phone").filter(has=page.locator(".name", has_text=name))


async def bubble_ids(page: Page) -> list[str]:
    """Every message on every phone of the page."""
    return await page.locator("li.bubble").evaluate_all("items => items.map(i => i.dataset.id)")


async def say(phone: Locator, text: str) -> None:
    await phone.locator(".compose-text").fill(text)
    await phone.get_by_role("button", name="Kirim").click()


def a_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (15, 118, 110)).save(out, "PNG")
    return out.getvalue()


async def test_photos_documents_quotes_and_a_restart_on_the_sandbox_page(
    tmp_path: Path, catalog_dir: Path, browser: Browser
) -> None:
    port = free_port()
    async with demo(tmp_path, catalog_dir, port) as (url, services):
        context = await browser.new_context(locale="id-ID", viewport={"width": 1500, "height": 1000})
        page = await context.new_page()
        await page.goto(f"{url}/sandbox/")
        patron, librarian = pane(page, "Pemustaka"), pane(page, "Dewi")
        await say(patron, "kak, saya cari buku tentang literasi informasi untuk skripsi")
        draft = librarian.locator("li.bubble.theirs").filter(has=page.get_by_role("button", name="Setujui"))
        await expect(draft.first).to_be_visible(timeout=20_000)

        # A photo travels as WhatsApp's media does; the page shows it as a thumbnail, not as text.
        await patron.locator("input.attach-input").set_input_files(
            {"name": "sampul.png", "mimeType": "image/png", "buffer": a_photo()})
        thumb = patron.locator("li.bubble.mine img.thumb")
        await expect(thumb).to_be_visible()
        assert await thumb.evaluate("img => img.complete && img.naturalWidth") == 120

        # Quote refbot's acknowledgement, then send a manuscript for a similarity check with a caption.
        first_answer = patron.locator("li.bubble.theirs").first
        quoted_text = (await first_answer.locator(".text").inner_text())[:40]
        await first_answer.get_by_role("button", name="Balas").click()
        await expect(patron.locator(".quote-bar")).to_be_visible()
        manuscript = thesis_pdf(pages=2)
        await patron.locator(".compose-text").fill("TURNITIN")
        await patron.locator("input.attach-input").set_input_files(
            {"name": "skripsi-bab2.pdf", "mimeType": "application/pdf", "buffer": manuscript})
        sent_pdf = patron.locator("li.bubble.mine").filter(has=page.locator("a.doc"))
        await expect(sent_pdf.locator(".doc-name")).to_have_text("skripsi-bab2.pdf")
        await expect(sent_pdf.locator(".quoted-text")).to_contain_text(quoted_text[:20])
        await expect(patron.locator(".quote-bar")).to_be_hidden()
        request = await eventually(lambda: services.store.fetchone(
            "SELECT id FROM service_requests WHERE patron = ? AND kind = 'similarity'", (PATRON,)),
            what="refbot's similarity request for the manuscript it downloaded")
        assert request is not None
        async with aiohttp.ClientSession() as http:
            href = await sent_pdf.locator("a.doc").get_attribute("href")
            async with http.get(f"{url}/sandbox/{href}") as resp:
                assert resp.status == 200 and await resp.read() == manuscript

        # A quoted text reply reaches refbot with WhatsApp's context.
        await first_answer.get_by_role("button", name="Balas").click()
        await say(patron, "terima kasih kak")
        quoted_reply = patron.locator("li.bubble.mine").filter(has_text="terima kasih kak")
        await expect(quoted_reply.locator(".quoted")).to_be_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "sandbox-before-restart.png"), full_page=True)
        before = await bubble_ids(page)
        await context.close()

    assert (tmp_path / "sandbox" / RECORD_FILE).exists()
    async with demo(tmp_path, catalog_dir, port) as (url, services):
        context = await browser.new_context(locale="id-ID", viewport={"width": 1500, "height": 1000})
        page = await context.new_page()
        await page.goto(f"{url}/sandbox/")
        patron, librarian = pane(page, "Pemustaka"), pane(page, "Dewi")
        await expect(patron.locator("li.bubble").first).to_be_visible()
        assert set(before) <= set(await bubble_ids(page)), "a chat lost messages in the restart"
        await expect(patron.locator("li.bubble.mine img.thumb")).to_be_visible()
        await expect(patron.locator("li.bubble.mine .doc-name")).to_have_text("skripsi-bab2.pdf")
        # The draft sent before the restart keeps its buttons, and they still work.
        await librarian.locator("li.bubble.theirs").get_by_role("button", name="Setujui").first.click()
        await expect(patron.locator("li.bubble.theirs .text").filter(has_text="Berikut referensi")).to_have_count(
            1, timeout=20_000)
        await page.screenshot(path=str(SCREENSHOTS / "sandbox-after-restart.png"), full_page=True)
        await context.close()


async def test_a_document_refbot_sends_is_a_link_to_the_file(tmp_path: Path, catalog_dir: Path) -> None:
    """What refbot uploads (here a RIS list) is offered by the page as the file itself."""
    async with demo(tmp_path, catalog_dir, free_port()) as (url, services), aiohttp.ClientSession() as http:
        settings = services.settings
        channel_file = b"TY  - BOOK\nTI  - Literasi informasi\nER  - \n"
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("file", channel_file, filename="referensi-1.ris", content_type="text/plain")
        headers = {"Authorization": f"Bearer {settings.secrets.whatsapp_token.get()}"}
        base = f"{url}/sandbox/graph/v21.0/{settings.whatsapp.phone_number_id}"
        async with http.post(f"{base}/media", data=form, headers=headers) as resp:
            media_id = (await resp.json())["id"]
        message = {"messaging_product": "whatsapp", "to": PATRON, "type": "document",
                   "document": {"id": media_id, "filename": "referensi-1.ris", "caption": "Daftar Anda"}}
        async with http.post(f"{base}/messages", json=message, headers=headers) as resp:
            assert resp.status == 200
        async with http.get(f"{url}/sandbox/api/thread", params={"phone": PATRON}) as resp:
            [shown] = (await resp.json())["messages"]
        assert shown["document"]["filename"] == "referensi-1.ris" and shown["text"] == "Daftar Anda"
        async with http.get(f"{url}/sandbox/api/media/{shown['document']['id']}") as resp:
            assert resp.status == 200 and await resp.read() == channel_file
            assert "referensi-1.ris" in resp.headers["Content-Disposition"]


def test_the_demo_catalog_build_reports_every_record_and_the_finished_file(tmp_path: Path) -> None:
    """``make demo`` builds the demo catalog; its progress in a log ends at the real count, file 1/1."""
    from refbot.catalog.index import build_index

    log = io.StringIO()
    printer = ProgressPrinter(log)
    report = build_index([DEMO_CATALOG], tmp_path / "index", progress=printer)
    printer.finish()
    last = log.getvalue().splitlines()[-1]
    assert last.startswith(f"index build: {report.read:,} records") and "file 1/1" in last, last
    assert report.read == 334
