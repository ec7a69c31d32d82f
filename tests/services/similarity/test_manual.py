"""Similarity checks by hand: a patron sends a manuscript, a librarian answers HASIL# with the report.

Messages go in as the worker hands them to the desk; patrons' and librarians' files are
downloaded from the Graph API stand-in by the real WhatsApp channel; what people receive is
read from the outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from refbot.desk.routing import Desk
from refbot.sandbox.turnitin import report_pdf
from refbot.services.similarity.service import SimilarityChecks
from refbot.store.media import media_store
from refbot.store.similarity import SimilarityStore
from tests.services.conftest import LIBRARIAN, LIBRARIAN_2, PATRON, STRANGER, Harness
from tests.services.similarity.conftest import DOCX, scanned_pdf, send_document, thesis_docx, thesis_pdf

PDF = "application/pdf"


async def newest_check(harness: Harness) -> int:
    checks = await SimilarityStore(harness.store).listed()
    assert checks, "no similarity request was made"
    return checks[0].id


async def test_a_pdf_manuscript_reaches_the_librarians_and_the_report_reaches_the_patron(harness: Harness) -> None:
    await send_document(harness, thesis_pdf(pages=3), PDF, "Cek plagiasi skripsi bab 2 ya kak")
    told = (await harness.last(PATRON)).text
    request_id = await newest_check(harness)
    assert f"cek similarity #{request_id}" in told and "PDF, 3 halaman" in told and "kata" in told
    assert "jam layanan" in told

    for librarian in (LIBRARIAN, LIBRARIAN_2):
        notice = await harness.last(librarian)
        assert f"Cek similarity #{request_id}" in notice.text and "skripsi-bab2.pdf" in notice.text
        assert f"HASIL#{request_id}" in notice.text and f"/console/similarity/{request_id}" in notice.text
        assert notice.document is None, "an unpublished manuscript is never forwarded on WhatsApp"

    report = report_pdf("Bab 2", 12)
    await send_document(harness, report, PDF, f"HASIL#{request_id} 12%", sender=LIBRARIAN, filename="laporan.pdf")
    result = await harness.last(PATRON)
    assert result.document is not None and result.document.mime_type == PDF
    assert result.text == f"Hasil cek similarity #{request_id}: 12%. Laporan lengkapnya terlampir."
    kept = await media_store(harness.settings, harness.store).get(result.document.path)
    assert kept == report
    assert f"#{request_id} (12%)" in (await harness.last(LIBRARIAN)).text

    # A colleague answering the same request a moment later changes nothing.
    await send_document(harness, report_pdf("Bab 2", 40), PDF, f"HASIL#{request_id} 40%", sender=LIBRARIAN_2,
                        filename="laporan.pdf")
    assert "sudah disetujui oleh Dewi" in (await harness.last(LIBRARIAN_2)).text
    assert len([m for m in await harness.received(PATRON) if m.document is not None]) == 1


async def test_a_docx_manuscript_is_counted_and_the_report_may_follow_the_words(harness: Harness) -> None:
    await harness.send("LANGUAGE#EN")
    await send_document(harness, thesis_docx(paragraphs=4, pages=2), DOCX, "turnitin", filename="bab1.docx")
    told = (await harness.last(PATRON)).text
    request_id = await newest_check(harness)
    assert f"similarity check request #{request_id} (DOCX, 2 pages, 84 words)" in told

    await harness.send(f"hasil # {request_id} 7,5 %", sender=LIBRARIAN)
    assert "Sekarang kirim laporan PDF-nya" in (await harness.last(LIBRARIAN)).text
    await send_document(harness, report_pdf("Bab 1", 7.5), PDF, "", sender=LIBRARIAN, filename="laporan.pdf")
    result = await harness.last(PATRON)
    assert result.text == f"Similarity check #{request_id}: 7,5%. The full report is attached."
    assert result.document is not None


async def test_a_scanned_pdf_is_flagged_to_the_librarian_and_the_patron_is_told(harness: Harness) -> None:
    await send_document(harness, scanned_pdf(), PDF, "TURNITIN", filename="scan.pdf")
    request_id = await newest_check(harness)
    assert "hasil pindaian (scan) tanpa teks" in (await harness.last(PATRON)).text
    notice = (await harness.last(LIBRARIAN)).text
    assert f"#{request_id}" in notice and "PDF hasil pindaian tanpa teks" in notice


async def test_a_file_that_is_not_a_manuscript_is_refused_with_what_to_do(harness: Harness) -> None:
    zip_not_word = thesis_docx().replace(b"word/document.xml", b"word/documenX.xml")
    await send_document(harness, zip_not_word, DOCX, "TURNITIN", filename="bab1.docx")
    assert "hanya menerima dokumen PDF atau Word (DOCX)" in (await harness.last(PATRON)).text
    await send_document(harness, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "application/msword", "TURNITIN",
                        filename="bab1.doc")
    assert "hanya menerima dokumen PDF atau Word (DOCX)" in (await harness.last(PATRON)).text
    await send_document(harness, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png", "TURNITIN", type="image")
    assert "hanya menerima dokumen PDF atau Word (DOCX)" in (await harness.last(PATRON)).text
    assert await SimilarityStore(harness.store).listed() == []
    assert await harness.received(LIBRARIAN) == []


async def test_a_manuscript_over_the_size_limit_is_refused(harness: Harness) -> None:
    small = replace(harness.settings, similarity=replace(harness.settings.similarity, max_bytes=2000))
    desk = _desk_with(harness, small)
    harness.desk = desk
    await send_document(harness, thesis_pdf(pages=3), PDF, "TURNITIN")
    told = (await harness.last(PATRON)).text
    assert "paling besar 0,002 MB" in told
    assert await SimilarityStore(harness.store).listed() == []


async def test_a_patron_over_quota_is_told_and_nothing_reaches_the_librarians(harness: Harness) -> None:
    one = replace(harness.settings, similarity=replace(harness.settings.similarity, quota_per_period=1, period_days=30))
    harness.desk = _desk_with(harness, one)
    await send_document(harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    librarians_before = len(await harness.received(LIBRARIAN))
    await send_document(harness, thesis_pdf(pages=2), PDF, "TURNITIN")
    assert "kuota cek similarity Anda (1 kali per 30 hari) sudah terpakai" in (await harness.last(PATRON)).text
    assert len(await harness.received(LIBRARIAN)) == librarians_before
    await send_document(harness, thesis_pdf(pages=2), PDF, "TURNITIN", sender=STRANGER)  # another patron's own quota
    assert "sudah kami terima" in (await harness.last(STRANGER)).text


async def test_outside_office_hours_the_patron_is_told_when_it_will_be_handled(harness: Harness) -> None:
    saturday_night = dt.datetime(2026, 12, 5, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp()
    harness.desk = _desk_with(harness, harness.settings, clock=lambda: saturday_night)
    await send_document(harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    assert "pada jam layanan, Senin, 7 Desember 2026 pukul 08:00" in (await harness.last(PATRON)).text


async def test_only_librarians_answer_and_a_percentage_must_make_sense(harness: Harness) -> None:
    await send_document(harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    request_id = await newest_check(harness)
    await send_document(harness, report_pdf("x", 1), PDF, f"HASIL#{request_id} 1%", sender=STRANGER,
                        filename="laporan.pdf")
    assert not any(m.document for m in await harness.received(PATRON))
    await harness.send(f"HASIL#{request_id} 140%", sender=LIBRARIAN)
    assert "harus angka 0 sampai 100" in (await harness.last(LIBRARIAN)).text
    await send_document(harness, thesis_docx(), DOCX, f"HASIL#{request_id} 14%", sender=LIBRARIAN,
                        filename="laporan.docx")
    assert "Laporan harus berupa berkas PDF" in (await harness.last(LIBRARIAN)).text


async def test_the_first_librarian_to_take_a_check_keeps_it(harness: Harness) -> None:
    await send_document(harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    request_id = await newest_check(harness)
    await harness.send(f"AMBIL#{request_id}", sender=LIBRARIAN)
    assert "sekarang Anda yang mengerjakan" in (await harness.last(LIBRARIAN)).text
    await harness.send(f"AMBIL#{request_id}", sender=LIBRARIAN_2)
    assert "sudah diambil oleh Dewi" in (await harness.last(LIBRARIAN_2)).text
    await send_document(harness, report_pdf("x", 3), PDF, f"HASIL#{request_id} 3%", sender=LIBRARIAN_2,
                        filename="laporan.pdf")
    assert "sudah diambil oleh Dewi" in (await harness.last(LIBRARIAN_2)).text
    assert not any(m.document for m in await harness.received(PATRON))


async def test_a_question_about_turnitin_stays_a_question(harness: Harness) -> None:
    await harness.send("TURNITIN")
    assert "dengan keterangan TURNITIN" in (await harness.last(PATRON)).text
    assert await SimilarityStore(harness.store).listed() == []


def _desk_with(harness: Harness, settings: object, clock: object = None) -> Desk:
    """The harness's desk with the similarity service built on other settings (or another clock)."""
    old = harness.desk
    service = next(s for s in old.services if isinstance(s, SimilarityChecks))
    kwargs = {"clock": clock} if clock is not None else {}
    fresh = SimilarityChecks(harness.store, settings, service.channel, media=service.media, **kwargs)  # type: ignore[arg-type]
    services = [fresh if s is service else s for s in old.services]
    return Desk(harness.store, [], settings, services=services)  # type: ignore[arg-type]
