"""Similarity checks in the console: over the real webhook path, in HTTP and in real Chromium.

A patron's phone uploads the manuscript to the Graph API stand-in and WhatsApp posts the
webhook; the worker in the service's process takes it; librarians work it in the console.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from refbot.sandbox.payloads import media_message
from refbot.sandbox.turnitin import report_pdf
from tests.conftest import LIBRARIAN, PATRON, Desk, eventually
from tests.services.similarity.conftest import thesis_pdf
from tests.web.console.conftest import SCREENSHOTS, ConsoleDesk

if TYPE_CHECKING:
    from playwright.async_api import Browser

PDF = "application/pdf"


async def document_sent(desk: Desk, data: bytes, caption: str, sender: str, filename: str) -> None:
    """A phone uploads a PDF and WhatsApp posts the webhook of a document message with ``caption``."""
    async with desk.http.post(f"{desk.graph_url}/_media", data=data, params={"filename": filename},
                              headers={"Content-Type": PDF}) as resp:
        uploaded = await resp.json()
    await desk.post_webhook(media_message(desk.business, sender, "document", uploaded["id"], PDF, caption=caption,
                                          filename=filename))


async def manuscript_sent(desk: Desk, data: bytes, *, caption: str = "TURNITIN", sender: str = PATRON) -> int:
    """The patron sends a manuscript over WhatsApp; the similarity request's id once the desk has it."""
    await document_sent(desk, data, caption, sender, "skripsi-bab2.pdf")
    row = await eventually(lambda: desk.services.store.fetchone(
        "SELECT id FROM service_requests WHERE patron = ? AND kind = 'similarity' ORDER BY id DESC", (sender,)),
        what="the similarity request")
    return int(row["id"])


async def patron_documents(desk: Desk) -> list[dict[str, Any]]:
    return [m for m in await desk.sent_to(PATRON) if m.get("type") == "document"]


async def test_the_manuscript_is_only_for_signed_in_librarians_and_each_download_is_audited(
    console: ConsoleDesk,
) -> None:
    manuscript = thesis_pdf(pages=2)
    request_id = await manuscript_sent(console.desk, manuscript)
    stranger = await console.librarian(login=False)  # another patron who found the link
    page = await stranger.get(f"/console/similarity/{request_id}/manuscript")
    assert page.status in (302, 303) and "/console/login" in page.headers["Location"]

    dewi = await console.librarian("dewi")
    listing = await dewi.get("/console/similarity")
    assert listing.status == 200 and f"#{request_id}" in listing.text and "skripsi-bab2.pdf" in listing.text
    async with dewi.http.get(f"{console.url}/console/similarity/{request_id}/manuscript") as resp:
        assert resp.status == 200 and await resp.read() == manuscript
        assert resp.headers["Content-Disposition"].startswith("attachment;")
    events = await console.store.events(f"similarity:{request_id}")
    assert [(e["actor"], e["kind"]) for e in events] == [("console:dewi", "similarity_download")]


async def test_a_librarian_answers_on_whatsapp_with_the_report_as_a_document(console: ConsoleDesk) -> None:
    desk = console.desk
    request_id = await manuscript_sent(desk, thesis_pdf(pages=1))
    told = await eventually(lambda: desk.sent_to(PATRON), what="the patron's receipt")
    assert f"cek similarity #{request_id}" in told[-1]["text"]
    await document_sent(desk, report_pdf("Bab 2", 12), f"HASIL#{request_id} 12%", LIBRARIAN, "laporan.pdf")
    sent = await eventually(lambda: patron_documents(desk), what="the report on the patron's phone")
    assert sent[-1]["payload"]["document"]["caption"].startswith(f"Hasil cek similarity #{request_id}: 12%.")


async def test_the_first_librarian_to_take_it_wins_in_the_console(console: ConsoleDesk) -> None:
    request_id = await manuscript_sent(console.desk, thesis_pdf(pages=1))
    dewi, budi = await console.librarian("dewi"), await console.librarian("budi")
    page = await budi.get(f"/console/similarity/{request_id}")
    taken = await budi.post(f"/console/similarity/{request_id}/take", {}, csrf=page.csrf)
    assert taken.status == 303
    page = await dewi.get(f"/console/similarity/{request_id}")
    late = await dewi.post(f"/console/similarity/{request_id}/take", {}, csrf=page.csrf)
    assert late.status == 409 and "console:budi" in late.text
    assert await patron_documents(console.desk) == []


async def test_a_librarian_attaches_the_report_in_the_browser_and_the_patron_receives_it(
    console: ConsoleDesk, browser: Browser, tmp_path: Any,
) -> None:
    expect = pytest.importorskip("playwright.async_api").expect
    request_id = await manuscript_sent(console.desk, thesis_pdf(pages=2), caption="cek plagiasi bab 2")
    report = tmp_path / "laporan-turnitin.pdf"
    report.write_bytes(_with_scan(report_pdf("Bab 2", 23)))  # a real report with its page images: over 1 MiB
    assert report.stat().st_size > 1024**2

    context = await browser.new_context(locale="id-ID", viewport={"width": 1360, "height": 900})
    page = await context.new_page()
    await page.goto(f"{console.url}/console/")
    await page.get_by_label("Nama pengguna").fill("dewi")
    await page.get_by_label("Kata sandi").fill("kata-sandi-rahasia")
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_role("link", name="Cek similarity").click()
    await page.get_by_role("link", name=f"#{request_id}", exact=True).click()
    await expect(page.locator("h1")).to_contain_text(f"Cek similarity #{request_id}")
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Unduh naskah").click()
    assert (await download.value).suggested_filename == f"similarity-{request_id}-naskah.pdf"

    await page.get_by_role("button", name="Ambil (saya yang mengerjakan)").click()
    await expect(page.locator(".flash")).to_contain_text("sekarang Anda yang mengerjakan")
    await page.get_by_label("Persentase similarity").fill("23")
    await page.get_by_label("Laporan (PDF)").set_input_files(str(report))
    await page.get_by_role("button", name="Kirim ke pemustaka").click()
    await expect(page.locator(".flash")).to_contain_text(f"Hasil cek similarity #{request_id} dikirim")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "similarity.png"), full_page=True)
    await context.close()

    sent = await eventually(lambda: patron_documents(console.desk), what="the report on the patron's phone")
    document = sent[-1]["payload"]["document"]
    assert document["caption"] == f"Hasil cek similarity #{request_id}: 23%. Laporan lengkapnya terlampir."
    assert document["filename"] == f"laporan-similarity-{request_id}.pdf"


def _with_scan(pdf: bytes) -> bytes:
    """``pdf`` with a page of incompressible image added, as Turnitin's reports carry page scans."""
    import io
    import os

    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    picture = io.BytesIO()
    Image.frombytes("RGB", (1600, 1600), os.urandom(1600 * 1600 * 3)).save(picture, "PDF")
    writer = PdfWriter()
    for source in (pdf, picture.getvalue()):
        for page in PdfReader(io.BytesIO(source)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
