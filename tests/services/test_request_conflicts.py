"""Service requests after the first decision: a personal reply after *Tolak*, and conflicts that say who."""

from __future__ import annotations

from refbot.decisions import requests
from tests.services.conftest import LIBRARIAN, LIBRARIAN_2, PATRON, STRANGER, Harness, render_text_image


async def a_snap(harness: Harness) -> int:
    media_id = harness.media.add(render_text_image(["Halaman tidak ditemukan", "Error 404"]), "image/png")
    inbox_id = await harness.send("", type="image", media_id=media_id, mime_type="image/png")
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None
    return request.id


async def test_after_tolak_on_a_screenshot_the_librarian_can_still_reply_personally(harness: Harness) -> None:
    request_id = await a_snap(harness)
    await harness.press(f"snap-reject:{request_id}", sender=LIBRARIAN_2)
    assert "secara langsung" in (await harness.last(PATRON)).text

    await harness.send(f"JAWAB#{request_id} Halaman itu sedang diperbaiki; coba lagi besok pagi.", sender=LIBRARIAN)
    assert (await harness.last(PATRON)).text == "Halaman itu sedang diperbaiki; coba lagi besok pagi."
    assert "dikirim ke pemustaka" in (await harness.last(LIBRARIAN)).text

    await harness.send(f"JAWAB#{request_id} Jawaban kedua.", sender=LIBRARIAN_2)
    refused = (await harness.last(LIBRARIAN_2)).text
    assert "dijawab oleh Dewi" in refused, refused
    assert "Jawaban kedua" not in await harness.texts(PATRON)


async def test_a_link_the_patron_confirmed_by_code_is_not_credited_to_their_number(harness: Harness) -> None:
    inbox_id = await harness.send("DAFTAR#2100003", sender=STRANGER)
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None
    code = (await harness.last(LIBRARIAN)).text.split("KODE#")[1][:6]
    await harness.send(f"KODE#{code}", sender=STRANGER)
    await harness.press(f"link-approve:{request.id}")
    told = (await harness.last(LIBRARIAN)).text
    assert "oleh pemustaka sendiri" in told, told
    assert STRANGER[:4] not in told  # no (masked) patron number posing as a decider


async def test_a_colleagues_decision_names_the_colleague(harness: Harness) -> None:
    request_id = await a_snap(harness)
    await harness.press(f"snap-reject:{request_id}", sender=LIBRARIAN_2)
    await harness.press(f"snap-reject:{request_id}", sender=LIBRARIAN)
    assert "ditolak oleh Budi" in (await harness.last(LIBRARIAN)).text
