"""RIWAYAT / HISTORY: a patron gets back, as one PDF, what the desk gave them — and nobody else's.

Driven through webhooks into the real app, with the Graph API, Crossref and Koha stand-ins; the
PDF is fetched the way the patron's phone fetches it from WhatsApp and read back with pypdf.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from refbot.citations import apa_citation
from refbot.services.history.asking import parse_history
from refbot.services.history.pdf import printable
from refbot.store.media import media_store
from refbot.store.privacy import purge_older_than
from tests.conftest import Desk, eventually
from tests.services.history_desk import (
    ANDI,
    SITI,
    approved_list,
    documents_to,
    download,
    history_desk,
    issued_letter,
    next_reply,
    pdf_text,
    squeezed,
    texts_to,
)


async def references(desk: Desk, request_id: int, language: str = "id") -> list[str]:
    """The APA references of a request's list, as the PDF writes them."""
    store = desk.services.store
    [row] = await store.fetchall("SELECT id FROM drafts WHERE request_id = ?", (request_id,))
    draft = await store.get_draft(row["id"])
    assert draft is not None and draft.items
    return [printable(apa_citation(r.candidate, "plain", language)) for r in draft.items if not r.candidate.retracted]


async def ask_history(desk: Desk, text: str, patron: str = ANDI) -> dict[str, Any]:
    seen = len(await desk.sent_to(patron))
    await desk.patron_says(text, sender=patron)
    return await next_reply(desk, patron, seen)


@pytest.fixture
async def desk(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Desk]:
    async with history_desk(tmp_path, catalog_dir) as running:
        yield running


async def test_riwayat_sends_both_lists_and_the_letter_as_one_pdf_and_nobody_else_gets_them(desk: Desk) -> None:
    first = await approved_list(desk, "literasi informasi")
    second = await approved_list(desk, "manajemen perpustakaan")
    _, letter_number = await issued_letter(desk)

    sent = await ask_history(desk, "riwayat")
    assert sent["type"] == "document" and sent["document"]["filename"] == "riwayat-layanan.pdf"
    assert "2 daftar referensi" in sent["text"] and "1 surat bebas pustaka" in sent["text"]
    assert f"RIWAYAT {second}" in sent["text"]  # how to ask for one list
    text = squeezed(pdf_text(await download(desk, sent["document"]["id"])))
    for reference in await references(desk, first) + await references(desk, second):
        assert squeezed(reference) in text, reference
    assert squeezed(letter_number) in text
    assert squeezed(f"Daftar #{first}") in text and squeezed(f"Daftar #{second}") in text
    assert "/verify/" in text
    assert "literasiinformasi" in text.lower()  # the question each list answered

    one = await ask_history(desk, f"RIWAYAT {second}")
    assert one["type"] == "document" and one["document"]["filename"] == f"riwayat-layanan-{second}.pdf"
    only = squeezed(pdf_text(await download(desk, one["document"]["id"])))
    assert all(squeezed(r) in only for r in await references(desk, second))
    assert squeezed(f"Daftar #{first}") not in only and squeezed(letter_number) not in only

    # Another patron naming Andi's list by its number gets "not found", never the list.
    documents_before = len(await documents_to(desk, SITI))
    refused = await ask_history(desk, f"riwayat # {first}", patron=SITI)
    assert refused["type"] == "text" and "tidak ditemukan" in refused["text"]
    nothing = await ask_history(desk, "RIWAYAT", patron=SITI)
    assert nothing["type"] == "text" and "Belum ada" in nothing["text"]
    assert len(await documents_to(desk, SITI)) == documents_before
    assert not any(letter_number in t for t in await texts_to(desk, SITI))


async def test_only_lists_that_went_out_count_and_a_typo_still_works(desk: Desk) -> None:
    empty = await ask_history(desk, "HISTORY")
    assert empty["type"] == "text" and "Nothing is kept" in empty["text"]  # the keyword's language
    store = desk.services.store
    await desk.patron_says("arsip dinamis", sender=ANDI)  # a draft no librarian approved

    async def drafted() -> bool:
        return bool(await store.draft_ids())

    await eventually(drafted, what="the waiting draft")
    waiting = await ask_history(desk, "riwayt")
    assert waiting["type"] == "text" and "Belum ada" in waiting["text"]  # Indonesian: their last question was
    number = await approved_list(desk, "minat baca remaja")
    sent = await ask_history(desk, f"Riwayat#{number}")
    assert sent["type"] == "document"
    assert squeezed((await references(desk, number))[0]) in squeezed(pdf_text(await download(desk, sent["document"]["id"])))


async def test_after_hapus_data_and_past_retention_there_is_nothing(desk: Desk) -> None:
    await approved_list(desk, "literasi informasi")
    sent = await ask_history(desk, "RIWAYAT")
    assert sent["type"] == "document"
    media = media_store(desk.services.settings, desk.services.store)
    kept = await media.keys("media/")
    assert len(kept) == 1  # the PDF is kept as the file of the message that asked

    await desk.patron_says("HAPUS DATA", sender=ANDI)
    await desk.patron_says("YA HAPUS", sender=ANDI)

    async def erased() -> bool:
        return any("sudah kami hapus" in t for t in await texts_to(desk, ANDI))

    await eventually(erased, what="the erasure confirmed")
    assert await media.keys("media/") == []  # the history's copy went with their messages
    after = await ask_history(desk, "RIWAYAT")
    assert after["type"] == "text" and "Belum ada" in after["text"]


async def test_lists_older_than_the_retention_period_are_not_sent_back(desk: Desk) -> None:
    await approved_list(desk, "literasi informasi", patron=SITI)
    store = desk.services.store
    days = desk.services.settings.privacy.retention_days
    async with store.tx() as db:  # the question was asked just over the retention period ago
        await db.execute("UPDATE requests SET created_at = ?", (time.time() - (days + 1) * 86400,))
    old = await ask_history(desk, "RIWAYAT", patron=SITI)
    assert old["type"] == "text" and "Belum ada" in old["text"]  # even before the purge has run
    await purge_older_than(store, time.time() - days * 86400, media_store(desk.services.settings, store))
    assert (await ask_history(desk, "RIWAYAT", patron=SITI))["type"] == "text"


@pytest.mark.parametrize(("text", "number", "language"), [
    ("RIWAYAT", None, "id"), ("riwayat 3", 3, "id"), ("History#12", 12, "en"), ("riwayat # 3", 3, "id"),
    ("RIWAYT", None, "id"), ("HISTROY 2", 2, "en"), ("riwayat.", None, "id"), ("  Riwayat3 ", 3, "id"),
])
def test_the_keyword_is_read_forgivingly(text: str, number: int | None, language: str) -> None:
    asked = parse_history(text)
    assert asked is not None and (asked.number, asked.language) == (number, language)


@pytest.mark.parametrize("text", [
    "riwayat pendidikan di Indonesia", "sejarah perpustakaan", "riwayat hidup tokoh", "HELP", "RENEW#3",
    "history of libraries in Java", "DAFTAR 3",
])
def test_questions_and_other_codes_are_not_history(text: str) -> None:
    assert parse_history(text) is None


def test_similarity_results_are_in_the_document_with_whether_the_report_went_out() -> None:
    import datetime

    from refbot.services.history.collect import History, SimilarityEntry
    from refbot.services.history.pdf import Cover, render_history

    checks = (SimilarityEntry(7, 1_790_000_000, 12.5, True), SimilarityEntry(4, 1_780_000_000, None, False))
    cover = Cover("id", "UPT Perpustakaan", "6281*****0002", datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC))
    text = pdf_text(render_history(History(similarity=checks), cover))
    assert "Permintaan #7" in text and "12,5%" in text and "laporan sudah dikirim" in text
    assert "Permintaan #4" in text and "laporan belum dikirim" in text
