"""Similarity checks through Turnitin (the TCA stand-in): refbot submits and polls, a librarian only approves.

Each chore round takes every due check one step, as the worker's chores loop does.
"""

from __future__ import annotations

from refbot.store.similarity import SimilarityStore
from tests.services.conftest import LIBRARIAN, LIBRARIAN_2, PATRON
from tests.services.similarity.conftest import Automated, scanned_pdf, send_document, thesis_pdf

PDF = "application/pdf"


async def rounds_until(automated: Automated, phrase: str, *, limit: int = 12) -> str:
    """Chore rounds until the first librarian is told ``phrase``; returns what they were told."""
    harness = automated.harness
    for _ in range(limit):
        await automated.round()
        told = await harness.texts(LIBRARIAN)
        if phrase in told:
            return told
    raise AssertionError(f"after {limit} rounds the librarian was never told {phrase!r}: {told!r}")


async def only_check(automated: Automated) -> int:
    checks = await SimilarityStore(automated.harness.store).listed()
    assert len(checks) == 1
    return checks[0].id


async def test_turnitin_checks_the_manuscript_and_the_librarian_only_approves(automated: Automated) -> None:
    harness = automated.harness
    automated.turnitin.percent = 17.0
    await send_document(harness, thesis_pdf(pages=2), PDF, "TURNITIN")
    request_id = await only_check(automated)
    assert "sedang diperiksa dengan Turnitin" in (await harness.last(PATRON)).text
    assert await harness.received(LIBRARIAN) == [], "nobody types anything while Turnitin works"

    told = await rounds_until(automated, "Turnitin selesai")
    assert f"cek similarity #{request_id}: 17%" in told and f"SETUJU#{request_id}" in told
    assert not any(m.document for m in await harness.received(PATRON)), "nothing reaches the patron unapproved"

    calls = automated.turnitin.calls
    submission = next(iter(automated.turnitin.submissions))
    assert calls[:2] == ["POST /submissions", f"PUT /submissions/{submission}/original"]
    assert f"PUT /submissions/{submission}/similarity" in calls
    assert calls.count(f"GET /submissions/{submission}/similarity") >= 3, "the report took several polls"
    assert any(c.startswith(f"GET /submissions/{submission}/similarity/pdf/") and c.endswith("/status") for c in calls)

    await harness.send(f"SETUJU#{request_id}", sender=LIBRARIAN_2)
    result = await harness.last(PATRON)
    assert result.text == f"Hasil cek similarity #{request_id}: 17%. Laporan lengkapnya terlampir."
    assert result.document is not None and result.document.mime_type == PDF
    await harness.send(f"SETUJU#{request_id}", sender=LIBRARIAN)
    assert "sudah disetujui oleh Budi" in (await harness.last(LIBRARIAN)).text


async def test_a_submission_that_ends_in_error_goes_to_the_librarians_by_hand(automated: Automated) -> None:
    harness = automated.harness
    automated.turnitin.next_error = "TOO_LITTLE_TEXT"
    await send_document(harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    request_id = await only_check(automated)
    told = await rounds_until(automated, "mohon dicek manual")
    assert f"Cek similarity #{request_id}" in told and "TOO_LITTLE_TEXT" in told and f"HASIL#{request_id}" in told


async def test_a_refused_api_key_falls_back_with_a_note(automated: Automated) -> None:
    automated.turnitin.api_key = "a-key-turnitin-revoked"
    await send_document(automated.harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    told = await rounds_until(automated, "mohon dicek manual")
    assert "HTTP 401" in told and "REFBOT_TURNITIN_API_KEY" in told


async def test_a_file_turnitin_finds_too_large_falls_back(automated: Automated) -> None:
    automated.turnitin.max_bytes = 100
    await send_document(automated.harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    told = await rounds_until(automated, "mohon dicek manual")
    assert "HTTP 413" in told


async def test_turnitin_down_is_tried_again_later_and_then_finishes(automated: Automated) -> None:
    from refbot.sandbox.turnitin import TurnitinFault

    harness = automated.harness
    automated.turnitin.faults.append(TurnitinFault(503, times=6))  # two rounds' worth of three attempts
    await send_document(harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    await automated.round(2)
    assert automated.turnitin.submissions == {} and await harness.received(LIBRARIAN) == []
    automated.turnitin.faults.append(TurnitinFault(429, times=1, retry_after=0.01))  # slowed down once, then served
    await rounds_until(automated, "Turnitin selesai")


async def test_a_scanned_pdf_is_not_sent_to_turnitin(automated: Automated) -> None:
    harness = automated.harness
    await send_document(harness, scanned_pdf(), PDF, "TURNITIN", filename="scan.pdf")
    await automated.round(2)
    assert automated.turnitin.calls == []
    told = await harness.texts(LIBRARIAN)
    assert "Tidak dikirim ke Turnitin" in told and "PDF hasil pindaian" in told
