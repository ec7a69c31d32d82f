"""Snap and send with real Tesseract, on screenshots the tests draw themselves with Pillow."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image

from refbot.decisions import requests
from refbot.models import InboundMessage
from refbot.services.snap.faq import Faq
from refbot.services.snap.ocr import OcrError, read_file
from refbot.services.snap.service import SnapService
from refbot.store import InboxRow
from refbot.store.media import media_folder
from tests.services.conftest import LIBRARIAN, LIBRARIAN_2, PATRON, Harness, render_text_image

LOGIN_FAILED_ID = ["Portal Perpustakaan", "Login gagal: nama pengguna atau", "kata sandi salah. Silakan coba lagi."]
ACCESS_DENIED_EN = ["Access denied", "You don't have permission to access", "this resource. 403 Forbidden"]


async def snap(harness: Harness, data: bytes, mime: str = "image/png", caption: str = "") -> int:
    media_id = harness.media.add(data, mime)
    return await harness.send(caption, type="image" if mime.startswith("image/") else "document",
                              media_id=media_id, mime_type=mime)


async def test_indonesian_screenshot_reaches_the_librarian_with_a_matched_answer(harness: Harness) -> None:
    inbox_id = await snap(harness, render_text_image(LOGIN_FAILED_ID))
    assert "gambar Anda sudah kami terima" in (await harness.last(PATRON)).text
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.kind == "snap" and request.detail["faq"] == "login-failed"

    image, read, decision = await harness.received(LIBRARIAN)
    assert image.document is None and image.image is not None and image.image.mime_type == "image/png"
    kept = media_folder(harness.settings) / image.image.path.removeprefix("media/")  # beside the database
    assert image.image.path.startswith("media/") and kept.stat().st_size > 0
    assert "Login gagal" in read.text and "kata sandi salah" in read.text
    assert "Gagal masuk ke portal perpustakaan" in decision.text
    assert [b.id for b in decision.buttons] == [f"snap-approve:{request.id}", f"snap-reject:{request.id}"]
    assert len(decision.text) <= 1024
    assert len(await harness.received(LIBRARIAN_2)) == 3

    await harness.press(f"snap-approve:{request.id}")
    answer = await harness.last(PATRON)
    assert answer.text.startswith("Untuk masuk ke portal perpustakaan")
    assert "dikirim ke pemustaka" in (await harness.last(LIBRARIAN)).text


async def test_english_screenshot_gets_the_english_answer(harness: Harness) -> None:
    await harness.send("LANGUAGE#EN")
    inbox_id = await snap(harness, render_text_image(ACCESS_DENIED_EN))
    assert "we have your image" in (await harness.last(PATRON)).text
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.detail["faq"] == "access-denied"
    assert "Akses ditolak" in (await harness.last(LIBRARIAN)).text  # librarians read their own language
    await harness.press(f"snap-approve:{request.id}", sender=LIBRARIAN_2)
    assert (await harness.last(PATRON)).text.startswith('"Access denied" usually means')


@pytest.mark.parametrize(
    "image",
    [
        render_text_image(LOGIN_FAILED_ID, blur=7),
        render_text_image([]),
    ],
    ids=["blurred", "empty"],
)
async def test_unreadable_image_still_reaches_the_librarian_without_a_suggestion(harness: Harness, image: bytes) -> None:
    inbox_id = await snap(harness, image)
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.detail["faq"] == "" and request.suggestion == ""
    image_message, read, decision = await harness.received(LIBRARIAN)
    assert image_message.image is not None
    assert f"Snap #{request.id}" in read.text
    assert "tidak ada FAQ yang cocok" in decision.text
    assert [b.id for b in decision.buttons] == [f"snap-reject:{request.id}"]

    await harness.press(f"snap-approve:{request.id}")  # nothing to send: said so, nothing changes
    assert "tidak punya usulan" in (await harness.last(LIBRARIAN)).text
    await harness.send(f"JAWAB#{request.id} Gambarnya kurang jelas, bisa kirim ulang?", sender=LIBRARIAN)
    assert (await harness.last(PATRON)).text == "Gambarnya kurang jelas, bisa kirim ulang?"
    assert (await requests.get(harness.store, request.id)).status == "answered"  # type: ignore[union-attr]


async def test_caption_counts_towards_the_match(harness: Harness) -> None:
    inbox_id = await snap(harness, render_text_image([]), caption="kak, sesi anda telah berakhir terus")
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.detail["faq"] == "session-expired"


async def test_image_that_cannot_be_downloaded_still_reaches_the_librarian(harness: Harness) -> None:
    inbox_id = await harness.send("", type="image", media_id="404404", mime_type="image/jpeg")
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None
    read, decision = await harness.received(LIBRARIAN)
    assert "tidak dapat diunduh" in read.text and decision.buttons
    assert await harness.inbox_state(inbox_id) == "done"


async def test_an_image_over_the_size_limit_is_not_downloaded_and_the_librarian_is_told(harness: Harness) -> None:
    harness.settings = replace(harness.settings, snap=replace(harness.settings.snap, max_media_bytes=2000))
    snap_service = next(s for s in harness.desk.services if isinstance(s, SnapService))
    snap_service.settings = harness.settings
    inbox_id = await snap(harness, render_text_image(LOGIN_FAILED_ID))
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.detail["media"] == ""
    read, decision = await harness.received(LIBRARIAN)  # no image: only the text and the buttons
    assert "tidak dapat diunduh" in read.text and "the limit is 2000" in read.text and decision.buttons
    assert not list(media_folder(harness.settings).glob(f"{inbox_id}-*"))


@pytest.mark.parametrize(
    ("data", "mime"),
    [(b"OggS\x00\x02" + bytes(200), "audio/ogg"), (b"PK\x03\x04" + bytes(200), "application/zip")],
    ids=["voice-note", "zip"],
)
async def test_a_file_snap_does_not_take_is_refused_with_a_note(harness: Harness, data: bytes, mime: str) -> None:
    inbox_id = await snap(harness, data, mime=mime)
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.detail["media"] == ""
    read, _ = await harness.received(LIBRARIAN)
    assert "tidak dapat diunduh" in read.text and "does not take" in read.text


async def test_a_file_that_is_not_what_it_claims_is_refused(harness: Harness) -> None:
    inbox_id = await snap(harness, b"<html><body>not a picture</body></html>", mime="image/png")
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.detail["media"] == ""
    read, _ = await harness.received(LIBRARIAN)
    assert "bytes are not" in read.text


async def test_a_graph_api_failure_is_a_note_not_a_crash(harness: Harness) -> None:
    media_id = harness.media.add(render_text_image(LOGIN_FAILED_ID), "image/png")
    harness.media.fault(status=500, code=131000)
    inbox_id = await harness.send("", type="image", media_id=media_id, mime_type="image/png")
    assert await harness.inbox_state(inbox_id) == "done"
    read, _ = await harness.received(LIBRARIAN)
    assert "tidak dapat diunduh" in read.text and "131000" in read.text


async def test_pdf_with_a_text_layer_is_read_without_ocr(harness: Harness) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, "Your session has expired. Please sign in again.")
    inbox_id = await snap(harness, bytes(pdf.output()), mime="application/pdf")
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.detail["faq"] == "session-expired"
    document = (await harness.received(LIBRARIAN))[0]
    assert document.image is None and document.document is not None
    assert (document.document.mime_type, document.document.filename) == ("application/pdf", f"snap-{request.id}.pdf")


async def test_rejecting_tells_the_patron_and_a_second_librarian_is_told_who_decided(harness: Harness) -> None:
    inbox_id = await snap(harness, render_text_image(LOGIN_FAILED_ID))
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None
    await harness.press(f"snap-reject:{request.id}")
    assert "membalas Anda secara langsung" in (await harness.last(PATRON)).text
    await harness.press(f"snap-approve:{request.id}", sender=LIBRARIAN_2)
    assert "sudah ditolak oleh Dewi" in (await harness.last(LIBRARIAN_2)).text
    assert sum("Untuk masuk" in m.text for m in await harness.received(PATRON)) == 0


async def test_an_image_whatsapp_cannot_forward_is_read_and_reaches_the_librarian_without_it(harness: Harness) -> None:
    webp = io.BytesIO()
    Image.open(io.BytesIO(render_text_image(LOGIN_FAILED_ID))).save(webp, "WEBP", lossless=True)
    inbox_id = await snap(harness, webp.getvalue(), mime="image/webp")
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.detail["faq"] == "login-failed"  # read all the same
    read, decision = await harness.received(LIBRARIAN)
    assert read.image is None and read.document is None
    assert "image/webp" in read.text and "tidak dapat diteruskan lewat WhatsApp" in read.text
    assert [b.id for b in decision.buttons] == [f"snap-approve:{request.id}", f"snap-reject:{request.id}"]


async def test_the_same_image_handled_twice_makes_one_request(harness: Harness) -> None:
    media_id = harness.media.add(render_text_image(LOGIN_FAILED_ID), "image/png")
    inbox_id = await harness.send("", type="image", media_id=media_id, mime_type="image/png")
    again = InboundMessage("wamid.again", PATRON, "image", media_id=media_id, mime_type="image/png")
    await harness.desk.handle(InboxRow(inbox_id, again, 2))
    assert len(await harness.received(LIBRARIAN)) == 3
    rows = await harness.store.fetchall("SELECT id FROM service_requests")
    assert len(rows) == 1


# --- OCR and FAQ on their own -------------------------------------------------------------------


async def test_tesseract_reads_both_languages(tmp_path: Path) -> None:
    for lines, words in ((LOGIN_FAILED_ID, ["Login", "gagal", "pengguna"]), (ACCESS_DENIED_EN, ["Access", "denied"])):
        path = tmp_path / "shot.png"
        path.write_bytes(render_text_image(lines))
        text = await read_file(path, "image/png")
        assert all(w in text for w in words), text


async def test_a_broken_image_file_is_an_ocr_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"not a png at all")
    with pytest.raises(OcrError):
        await read_file(path, "image/png")


async def test_a_scanned_pdf_is_read_with_tesseract(tmp_path: Path) -> None:
    image = Image.open(io.BytesIO(render_text_image(ACCESS_DENIED_EN)))
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=180)
    path = tmp_path / "scan.pdf"
    path.write_bytes(bytes(pdf.output()))
    assert "Access denied" in await read_file(path, "application/pdf")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Portal\nakses ditoIak. Hubungi admin", "access-denied"),  # OCR misread l as I
        ("ERR 403 Forbidden nginx", "access-denied"),
        ("Your sesion has expried, please log in agian", "session-expired"),
        ("Sign in via your institution to read the full article", "off-campus-proxy"),
        ("The requested URL was not found on this server", "broken-fulltext"),
        ("Maximum upload size exceeded for thesis.pdf", "upload-failed"),
    ],
)
def test_faq_matches_noisy_screen_text(text: str, expected: str) -> None:
    found = Faq.load().match(text, 80)
    assert found is not None and found.entry.id == expected, found


@pytest.mark.parametrize("text", ["", "Selamat datang di perpustakaan", "Nomor 14032 halaman 7", "Jadwal layanan Senin-Jumat"])
def test_faq_does_not_match_ordinary_text(text: str) -> None:
    assert Faq.load().match(text, 80) is None


def test_every_faq_entry_answers_in_both_languages() -> None:
    faq = Faq.load()
    assert len(faq.entries) >= 8
    for entry in faq.entries:
        assert entry.answer.get("id") and entry.answer.get("en") and entry.title.get("id") and entry.title.get("en")
