"""The console on a librarian's phone: every page in real Chromium at 360 px, with screenshots.

Many librarians open the WhatsApp *Edit* link on their phone. At that width no page may scroll
sideways, the header's navigation, language switch and sign-out stay on screen, and chart
labels stay readable.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tests.services.similarity.conftest import thesis_pdf
from tests.web.console import seed
from tests.web.console.conftest import PASSWORD, SCREENSHOTS, ConsoleDesk
from tests.web.console.test_similarity import manuscript_sent

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

expect = pytest.importorskip("playwright.async_api").expect

PHONE = {"width": 360, "height": 740}
SMALLEST_LABEL_PX = 10.0

# The size each chart label (statistics, and a score's parts under *why?*) is drawn at on screen: its font size times the SVG's scale.
LABEL_SIZES = """() => [...document.querySelectorAll('svg.chart text, svg.parts text')]
  .filter(t => t.getClientRects().length > 0)
  .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""
# Header controls a person must reach, each wholly inside the screen.
OFF_SCREEN = """() => [...document.querySelectorAll('header.top a, header.top button')]
  .filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > innerWidth; })
  .map(e => e.textContent.trim())"""


async def fits_the_phone(page: Page, name: str) -> None:
    """No sideways scrolling, every header control on screen, readable chart labels; and a screenshot."""
    await page.wait_for_load_state("load")
    await page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # every *why?*
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide on a {PHONE['width']} px phone"
    assert await page.evaluate(OFF_SCREEN) == [], f"{name}: header controls off the screen"
    sizes = await page.evaluate(LABEL_SIZES)
    assert not sizes or min(sizes) >= SMALLEST_LABEL_PX, f"{name}: chart labels drawn at {min(sizes):.1f} px"


@pytest.mark.slow  # a month of statistics and thirteen full-page screenshots
async def test_every_console_page_fits_a_360_px_phone(console: ConsoleDesk, browser: Browser) -> None:
    draft = await console.question("kak, saya cari buku tentang literasi informasi untuk skripsi")
    similarity = await manuscript_sent(console.desk, thesis_pdf(pages=2))
    await seed.month_of_answers(console.store, time.time())
    context = await browser.new_context(locale="id-ID", viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    base = console.url + "/console"

    await page.goto(f"{base}/")
    await fits_the_phone(page, "login")
    await page.get_by_label("Nama pengguna").fill("admin")
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page).to_have_url(f"{base}/")
    await page.get_by_role("link", name="Statistik").click()  # the navigation is reachable
    await expect(page.locator("h1")).to_have_text("Statistik")
    assert await page.locator("svg.chart text").count() > 20
    await fits_the_phone(page, "stats")

    pages = {
        "queue": "/", "draft": f"/drafts/{draft.id}", "draft-add": f"/drafts/{draft.id}?q=manajemen+perpustakaan",
        "history": f"/drafts/{draft.id}/history", "search": "/search?q=literasi+informasi&source=both",
        "similarity": "/similarity", "similarity-request": f"/similarity/{similarity}",
        "accounts": "/admin/accounts", "audit": "/admin/audit", "not-found": "/drafts/99999",
        "stats-year": "/stats?days=365",
    }
    for name, path in pages.items():
        await page.goto(base + path)
        await fits_the_phone(page, name)
    await page.get_by_role("button", name="Keluar").click()  # signing out is on screen too
    await expect(page).to_have_url(f"{base}/login")
    await context.close()


async def test_skip_link_and_a_language_switch_that_keeps_the_page(console: ConsoleDesk, browser: Browser) -> None:
    context = await browser.new_context(locale="id-ID", viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{console.url}/console/login")
    await page.get_by_label("Nama pengguna").fill("dewi")
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.goto(f"{console.url}/console/search?q=minat+baca+%26+literasi&source=catalog")

    await page.keyboard.press("Tab")  # the first stop on every page skips the header
    skip = page.get_by_role("link", name="Langsung ke isi")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()

    switch = page.get_by_role("group", name="Bahasa")
    await switch.get_by_role("link", name="EN").click()
    await expect(page.get_by_role("searchbox")).to_have_value("minat baca & literasi")
    await expect(page.get_by_role("link", name="Skip to content")).to_have_count(1)
    assert "source=catalog" in page.url and "lang=en" in page.url
    await page.get_by_role("group", name="Language").get_by_role("link", name="ID").click()
    await expect(page.get_by_role("searchbox")).to_have_value("minat baca & literasi")
    assert page.url.count("lang=") == 1
    await context.close()
