"""Downloading a patron's conversation from the console: PDF and JSON, audited, one library's only.

The patron's lists and letter are made the way a patron gets them (webhooks, a librarian's
*Setujui*, the Graph API and Koha stand-ins); the librarian downloads over HTTP and in Chromium.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from refbot.delivery.render import mask_phone
from refbot.web.console import accounts
from tests.conftest import Desk
from tests.services.history_desk import ANDI, SITI, approved_list, history_desk, issued_letter, squeezed
from tests.web.console.conftest import PASSWORD, Librarian
from tests.web.console.test_consortium import Consortium, two_libraries

if TYPE_CHECKING:
    from playwright.async_api import Browser


@pytest.fixture
async def desk(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Desk]:
    async with history_desk(tmp_path, catalog_dir) as running:
        store = running.services.store
        await accounts.add_account(store, "dewi", PASSWORD, name="Dewi")
        await accounts.add_account(store, "admin", PASSWORD, name="Admin Perpustakaan", role="admin")
        yield running


async def signed_in(desk: Desk, username: str = "dewi") -> Librarian:
    person = Librarian(desk.url, username)
    assert (await person.login()).status == 303
    return person


async def draft_of(desk: Desk, request_id: int) -> int:
    [row] = await desk.services.store.fetchall("SELECT id FROM drafts WHERE request_id = ?", (request_id,))
    return int(row["id"])


async def downloads(desk: Desk, draft_id: int) -> list[str]:
    """The formats of the audited downloads of a draft's conversation, and by whom."""
    events = await desk.services.store.events(f"draft:{draft_id}")
    return [f"{e['actor']} {json.loads(e['detail'])['format']}" for e in events if e["kind"] == "conversation_downloaded"]


async def test_a_librarian_downloads_the_conversation_as_pdf_and_json_and_it_is_audited(desk: Desk) -> None:
    first = await approved_list(desk, "literasi informasi")
    second = await approved_list(desk, "manajemen perpustakaan")
    _, letter_number = await issued_letter(desk)
    draft_id = await draft_of(desk, second)
    dewi = await signed_in(desk)
    try:
        page = await dewi.get(f"/console/drafts/{draft_id}/history")
        assert page.status == 200
        assert f'href="/console/drafts/{draft_id}/history.pdf"' in page.text
        assert f'href="/console/drafts/{draft_id}/history.json"' in page.text
        assert f'href="/console/drafts/{draft_id}/history.pdf"' in (await dewi.get(f"/console/drafts/{draft_id}")).text

        async with dewi.http.get(f"{desk.url}/console/drafts/{draft_id}/history.pdf") as resp:
            assert resp.status == 200 and resp.content_type == "application/pdf"
            assert resp.headers["Content-Disposition"] == f'attachment; filename="conversation-draft-{draft_id}.pdf"'
            pdf = await resp.read()
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        assert mask_phone(ANDI) in text and ANDI not in text  # the patron as the console names them
        assert squeezed(f"Daftar #{first}") in squeezed(text) and squeezed(f"Daftar #{second}") in squeezed(text)
        assert letter_number in text and "Dewi" in text
        assert "Pemustaka" in text and "BEBASPUSTAKA" in text  # the messages exchanged

        async with dewi.http.get(f"{desk.url}/console/drafts/{draft_id}/history.json") as resp:
            assert resp.status == 200 and resp.content_type == "application/json"
            raw = await resp.text()
        record = json.loads(raw)
        assert ANDI not in raw and mask_phone(ANDI) in record["patron"]
        assert [entry["number"] for entry in record["lists"]] == [second, first]
        assert all(i["reference"] for entry in record["lists"] for i in entry["items"])
        assert [letter["number"] for letter in record["letters"]] == [letter_number]
        said = [m["text"] for m in record["messages"] if m["from"] == "patron"]
        assert said[:2] == ["literasi informasi", "manajemen perpustakaan"]
        assert record["downloaded_by"] == "Dewi"
        assert await downloads(desk, draft_id) == ["console:dewi pdf", "console:dewi json"]

        admin = await signed_in(desk, "admin")
        audit = await admin.get("/console/admin/audit")
        assert "conversation_downloaded" in audit.text and f"draft:{draft_id}" in audit.text
        await admin.close()
    finally:
        await dewi.close()


async def test_nobody_signed_out_downloads_and_an_erased_patron_has_nothing_left(desk: Desk) -> None:
    number = await approved_list(desk, "literasi informasi", patron=SITI)
    draft_id = await draft_of(desk, number)
    stranger = Librarian(desk.url, "nobody")
    try:
        page = await stranger.get(f"/console/drafts/{draft_id}/history.pdf")
        assert page.status == 303 and "/console/login" in page.headers["Location"]
        assert await downloads(desk, draft_id) == []
    finally:
        await stranger.close()

    await desk.patron_says("HAPUS DATA", sender=SITI)
    await desk.patron_says("YA HAPUS", sender=SITI)
    dewi = await signed_in(desk)
    try:
        async def erased() -> bool:
            rows = await desk.services.store.fetchall("SELECT patron FROM requests")
            return all(r["patron"].startswith("erased:") for r in rows)

        from tests.conftest import eventually

        await eventually(erased, what="the patron erased")
        async with dewi.http.get(f"{desk.url}/console/drafts/{draft_id}/history.json") as resp:
            record = json.loads(await resp.text())
        assert record["messages"] == [] and record["lists"] == [] and record["letters"] == []
        assert (await dewi.get(f"/console/drafts/{draft_id + 1000}/history.json")).status == 404
    finally:
        await dewi.close()


async def test_a_librarian_of_another_library_cannot_download(tmp_path: Path, catalog_dir: Path) -> None:
    async with two_libraries(tmp_path, catalog_dir) as libraries:
        await _only_their_own(libraries)


async def _only_their_own(libraries: Consortium) -> None:
    sari = await libraries.person("sari", "unnes")
    dewi = await libraries.person("dewi", "undip")
    refused = await sari.get("/console/undip/drafts/3/history.json")
    assert refused.status == 303 and refused.headers["Location"].startswith("/console/undip/login")
    assert (await sari.get("/console/unnes/drafts/4/history.json")).status == 404  # UNDIP has a #4, UNNES none
    own = await sari.get("/console/unnes/drafts/2/history.json")
    assert own.status == 200
    assert not any(question in own.text for question in libraries.questions["undip"])
    undip_events = await libraries.store("undip").events("draft:3")
    assert not [e for e in undip_events if e["kind"] == "conversation_downloaded"]
    async with dewi.http.get(f"{libraries.url}/console/undip/drafts/3/history.pdf") as resp:
        assert resp.status == 200 and (await resp.read()).startswith(b"%PDF-")


async def test_the_download_links_work_in_chromium(desk: Desk, browser: Browser, tmp_path: Path) -> None:
    number = await approved_list(desk, "literasi informasi")
    draft_id = await draft_of(desk, number)
    context = await browser.new_context(locale="id-ID", accept_downloads=True)
    page = await context.new_page()
    await page.goto(f"{desk.url}/console/drafts/{draft_id}/history")
    await page.get_by_label("Nama pengguna").fill("dewi")
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_role("heading", name=f"#{draft_id}").wait_for()
    async with page.expect_download() as pdf_download:
        await page.get_by_role("link", name="PDF", exact=True).click()
    saved = tmp_path / "unduhan.pdf"
    await (await pdf_download.value).save_as(saved)
    assert (await pdf_download.value).suggested_filename == f"conversation-draft-{draft_id}.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
    assert squeezed(f"Daftar #{number}") in squeezed(text) and "literasi informasi" in text
    async with page.expect_download() as json_download:
        await page.get_by_role("link", name="JSON", exact=True).click()
    saved_json = Path(await (await json_download.value).path())
    record = json.loads(await asyncio.to_thread(saved_json.read_text, encoding="utf-8"))
    assert [entry["number"] for entry in record["lists"]] == [number]
    assert await downloads(desk, draft_id) == ["console:dewi pdf", "console:dewi json"]
    await context.close()
