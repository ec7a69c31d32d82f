"""The console in real Chromium: a librarian signs in, edits a draft, approves, and the patron gets that list."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from refbot.config import Secret, Secrets, load_settings
from refbot.delivery import render
from refbot.models import DraftStatus
from refbot.web.console import accounts
from refbot.web.server import SERVICES, create_app
from tests.conftest import PATRON, eventually, free_port, serve
from tests.web.console import seed
from tests.web.console.conftest import CONSOLE_SECRET, PASSWORD, SCREENSHOTS, ConsoleDesk

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

expect = pytest.importorskip("playwright.async_api").expect

VIEWPORT = {"width": 1360, "height": 900}


async def sign_in(page: Page, base: str, username: str = "dewi") -> None:
    await page.goto(f"{base}/console/")
    await expect(page).to_have_url(f"{base}/console/login?next=%2Fconsole%2F")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page).to_have_url(f"{base}/console/")


async def item_titles(page: Page) -> list[str]:
    return [t.strip() for t in await page.locator("ol.items .title").all_inner_texts()]


async def test_librarian_edits_and_approves_and_patron_receives_exactly_that_list(
    console: ConsoleDesk, browser: Browser
) -> None:
    draft = await console.question("kak, saya cari buku tentang literasi informasi untuk skripsi")
    await console.question("Hello, I am looking for journal articles on information literacy in higher education",
                           sender="6281200000002")
    await console.question("tolong carikan jurnal tentang minat baca remaja terbitan 2020", sender="6281200000003")
    assert len(draft.items) >= 4
    original = [r.candidate.title for r in draft.items]

    context = await browser.new_context(locale="id-ID", viewport=VIEWPORT)
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await sign_in(page, console.url)

    rows = page.locator("table.queue tbody tr")
    await expect(rows).to_have_count(3)
    assert "literasi informasi" in (await rows.nth(0).inner_text())  # oldest first
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)

    await page.get_by_role("link", name=f"#{draft.id}", exact=True).click()
    await expect(page.locator("h1")).to_contain_text(f"Draf #{draft.id}")
    assert await item_titles(page) == original

    await page.get_by_role("button", name="Hapus 2", exact=True).click()
    await expect(page.locator("h1 .version")).to_have_text("versi 2")
    await page.get_by_role("button", name="Naikkan 3", exact=True).click()
    await expect(page.locator("h1 .version")).to_have_text("versi 3")
    expected = [original[0], original[3], original[2], *original[4:]]
    assert await item_titles(page) == expected

    add = page.locator("#add")
    await add.get_by_role("searchbox").fill("manajemen perpustakaan")
    await add.get_by_role("button", name="Cari").click()
    first_result = add.locator("li.result").filter(has=page.get_by_role("button", name="Tambahkan")).first
    added_title = (await first_result.locator(".title").inner_text()).strip()
    await first_result.get_by_role("button", name="Tambahkan").click()
    await expect(page.locator("h1 .version")).to_have_text("versi 4")
    expected.append(added_title)
    assert await item_titles(page) == expected
    await page.screenshot(path=str(SCREENSHOTS / "draft.png"), full_page=True)

    await page.locator("form.approve select[name=effort]").select_option("3")
    await page.get_by_role("button", name="Setujui & kirim").click()
    await expect(page.locator(".flash")).to_contain_text(f"Draf #{draft.id} disetujui")

    final = await console.store.get_draft(draft.id)
    assert final is not None and final.version == 4
    assert [r.candidate.title for r in final.items] == expected
    wanted = [m.text for m in render.patron_list(final, "id")]

    async def patron_lists() -> list[str] | None:
        texts = [m["text"] for m in await console.desk.sent_to(PATRON)]
        lists = [t for t in texts if t.startswith("Berikut referensi") or t in wanted]
        return lists if len(lists) >= len(wanted) else None

    assert await eventually(patron_lists, what="the patron's list") == wanted
    await eventually(lambda: _status_is(console, draft.id, DraftStatus.SENT), what="the draft marked sent")
    kinds = [e["kind"] for e in await console.store.events(f"draft:{draft.id}")]
    assert kinds == ["edit", "take", "edit", "edit", "approve", "effort"]
    assert dialogs == []
    await context.close()


async def test_hostile_patron_text_stays_inert_in_the_browser(console: ConsoleDesk, browser: Browser) -> None:
    hostile = ('<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'
               ' <a href="javascript:alert(1)">klik</a> literasi informasi')
    draft = await console.question(hostile)
    context = await browser.new_context(locale="id-ID", viewport=VIEWPORT)
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await sign_in(page, console.url)
    for path in ("/console/", f"/console/drafts/{draft.id}/history", f"/console/drafts/{draft.id}"):
        await page.goto(console.url + path)
        await page.wait_for_load_state("load")
        assert await page.title() != "pwned"
        assert await page.locator("script").count() == 0
        assert await page.locator("img[src=x]").count() == 0
        assert await page.locator("a[href^='javascript:']").count() == 0
    await expect(page.locator("blockquote.question")).to_contain_text("<script>")
    assert dialogs == []
    await context.close()


async def test_statistics_page_screenshot(tmp_path: Path, catalog_dir: Path, browser: Browser) -> None:
    """A month of answered questions, drawn as the statistics page a library would report from."""
    base = load_settings(None, env={})
    port = free_port()
    settings = replace(
        base,
        server=replace(base.server, port=port),
        store=replace(base.store, path=str(tmp_path / "refbot.sqlite3")),
        catalog=replace(base.catalog, index_dir=str(catalog_dir)),
        crossref=replace(base.crossref, enabled=False),
        secrets=Secrets(Secret("t"), Secret("s"), Secret("v"), Secret(CONSOLE_SECRET)),
    )
    app = create_app(settings, run_worker=False)
    runner, url = await serve(app, port)
    try:
        store = app[SERVICES].store
        await accounts.add_account(store, "dewi", PASSWORD, name="Dewi")
        await seed.month_of_answers(store, time.time())
        await seed.waiting(store, 6)
        context = await browser.new_context(locale="id-ID", viewport=VIEWPORT)
        page = await context.new_page()
        await sign_in(page, url)
        await page.get_by_role("link", name="Statistik").click()
        await expect(page.locator("h1")).to_have_text("Statistik")
        assert await page.locator("svg.chart").count() == 6
        assert await page.locator("svg.columns rect.bar").count() > 30
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "stats.png"), full_page=True)
        await page.goto(f"{url}/console/?lang=en")
        await page.screenshot(path=str(SCREENSHOTS / "queue-en.png"), full_page=True)
        await context.close()
    finally:
        await runner.cleanup()


async def _status_is(console: ConsoleDesk, draft_id: int, status: DraftStatus) -> bool:
    draft = await console.store.get_draft(draft_id)
    return draft is not None and draft.status is status
