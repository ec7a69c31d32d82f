"""Service requests in the console: a screenshot worked by two librarians, over the real webhook path.

A patron's phone uploads a screenshot to the Graph API stand-in and WhatsApp posts the webhook;
the worker in the service's process makes the request; librarians decide it in the console and
on WhatsApp, and the first decision wins everywhere.
"""

from __future__ import annotations

from refbot.sandbox.payloads import media_message
from tests.conftest import LIBRARIAN, PATRON, Desk, eventually
from tests.services.conftest import render_text_image
from tests.web.console.conftest import ConsoleDesk

PNG = "image/png"


async def screenshot_sent(desk: Desk) -> int:
    """The patron sends a screenshot over WhatsApp; the request's id once the desk has it."""
    image = render_text_image(["Halaman tidak ditemukan", "Error 404"])
    async with desk.http.post(f"{desk.graph_url}/_media", data=image, headers={"Content-Type": PNG}) as resp:
        uploaded = await resp.json()
    await desk.post_webhook(media_message(desk.business, PATRON, "image", uploaded["id"], PNG))
    row = await eventually(lambda: desk.services.store.fetchone(
        "SELECT id FROM service_requests WHERE kind = 'snap' ORDER BY id DESC"), what="the snap request")
    return int(row["id"])


async def patron_texts(desk: Desk) -> list[str]:
    return [m["text"] for m in await desk.sent_to(PATRON)]


async def test_a_screenshot_is_queued_decided_once_and_answered_personally(console: ConsoleDesk) -> None:
    desk = console.desk
    request_id = await screenshot_sent(desk)
    dewi, budi = await console.librarian("dewi"), await console.librarian("budi")

    listing = await dewi.get("/console/requests")
    assert listing.status == 200 and f"#{request_id}" in listing.text and "Tangkapan layar" in listing.text
    assert 'href="/console/requests"' in (await dewi.get("/console/")).text  # in the navigation

    page = await dewi.get(f"/console/requests/{request_id}")
    assert "Error 404" in page.text
    assert (await dewi.post(f"/console/requests/{request_id}/reject", {}, csrf=page.csrf)).status == 303
    await eventually(lambda: _patron_got(desk, "secara langsung"), what="the patron told a librarian will reply")

    budis = await budi.get(f"/console/requests/{request_id}")  # opened before or after: it is decided now
    late = await budi.post(f"/console/requests/{request_id}/reject", {}, csrf=budis.csrf)
    assert late.status == 409 and "ditolak oleh Dewi" in late.text

    await desk.press(f"snap-reject:{request_id}", sender=LIBRARIAN)  # an old WhatsApp button
    await eventually(lambda: _librarian_told(desk, "tidak ada yang diubah"), what="the late button answered")

    answered = await budi.post(f"/console/requests/{request_id}/answer",
                               {"text": "Halaman itu sedang diperbaiki, coba lagi besok."}, csrf=budis.csrf)
    assert answered.status == 303
    await eventually(lambda: _patron_got(desk, "sedang diperbaiki"), what="the personal reply")
    again = await dewi.post(f"/console/requests/{request_id}/answer", {"text": "Jawaban kedua"}, csrf=page.csrf)
    assert again.status == 409 and "dijawab oleh Budi" in again.text
    assert not any("Jawaban kedua" in t for t in await patron_texts(desk))


async def _patron_got(desk: Desk, fragment: str) -> bool:
    return any(fragment in t for t in await patron_texts(desk))


async def _librarian_told(desk: Desk, fragment: str) -> bool:
    return any(fragment in m["text"] for m in await desk.sent_to(LIBRARIAN))
