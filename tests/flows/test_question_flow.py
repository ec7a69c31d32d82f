"""A patron's question becomes an approved list, over real HTTP on loopback, end to end."""

from __future__ import annotations

import json
import re
from typing import Any

from refbot.store.media import media_store
from tests.conftest import LIBRARIAN, LIBRARIAN_2, PATRON, Desk, eventually


async def draft_buttons(desk: Desk, phone: str = LIBRARIAN, count: int = 1) -> list[dict[str, Any]]:
    """Wait until ``phone`` has received ``count`` draft button messages; return them."""

    async def check() -> list[dict[str, Any]] | None:
        found = [m for m in await desk.sent_to(phone) if m["buttons"]]
        return found if len(found) >= count else None

    return list(await eventually(check, what=f"{count} draft(s) with buttons for {phone}"))


async def texts_to(desk: Desk, phone: str) -> list[str]:
    return [m["text"] for m in await desk.sent_to(phone)]


def draft_id_of(message: dict[str, Any]) -> int:
    ids = [b["id"] for b in message["buttons"]]
    assert [i.split(":")[0] for i in ids] == ["approve", "edit", "reject"]
    return int(ids[0].split(":")[1])


async def test_question_to_approved_list(desk: Desk) -> None:
    resp = await desk.patron_says("kak, saya cari buku tentang literasi informasi untuk skripsi")
    assert resp.status == 200

    [buttons] = await draft_buttons(desk)
    draft_id = draft_id_of(buttons)
    review = "\n".join(await texts_to(desk, LIBRARIAN))
    assert f"Draft #{draft_id}" in review
    assert "literasi informasi" in review.lower()
    assert "skor" in review  # the librarian sees why each item ranked
    # The second librarian is offered the same draft.
    await draft_buttons(desk, LIBRARIAN_2)

    await desk.press(f"approve:{draft_id}")

    async def patron_list() -> str | None:
        lists = [t for t in await texts_to(desk, PATRON) if t.startswith("Berikut referensi")]
        return lists[0] if lists else None

    sent = await eventually(patron_list, what="the patron's list")
    assert re.search(r"^1\. .+\((\d{4}|n\.d\.)\)\. ", sent, re.MULTILINE), sent  # an APA 7 reference
    assert "No. panggil" in sent  # books say where they stand on the shelf
    assert re.search(r"eksemplar (tersedia|\()|sedang dipinjam", sent)
    assert "skor" not in sent  # scoring is for librarians only
    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None
    await eventually(lambda: _status(desk, draft_id, "sent"), what="draft marked sent")
    # The patron heard first that the question arrived, and the librarian that the list went out.
    assert any(t.startswith("Terima kasih, pertanyaan Anda") for t in await texts_to(desk, PATRON))
    await eventually(lambda: _any_text(desk, LIBRARIAN, f"Draft #{draft_id} disetujui"), what="approval ack")


async def test_english_question_gets_english_list_with_doi_links(desk: Desk) -> None:
    await desk.patron_says("Hello, I am looking for journal articles on information literacy in higher education")
    [buttons] = await draft_buttons(desk)
    draft_id = draft_id_of(buttons)
    await desk.press(f"approve:{draft_id}")

    async def english_list() -> str | None:
        lists = [t for t in await texts_to(desk, PATRON) if t.startswith("Here are the references")]
        return lists[0] if lists else None

    sent = await eventually(english_list, what="the English list")
    assert "https://doi.org/10." in sent
    assert "Article" in sent


async def test_reject_sends_polite_personal_reply(desk: Desk) -> None:
    await desk.patron_says("minat baca remaja")
    [buttons] = await draft_buttons(desk)
    draft_id = draft_id_of(buttons)
    await desk.press(f"reject:{draft_id}")
    await eventually(
        lambda: _any_text(desk, PATRON, "Pustakawan kami akan membalas Anda secara langsung"), what="reject reply"
    )
    assert not any(t.startswith("Berikut referensi") for t in await texts_to(desk, PATRON))


async def test_second_librarian_is_told_the_draft_was_taken(desk: Desk) -> None:
    await desk.patron_says("manajemen perpustakaan perguruan tinggi")
    [buttons] = await draft_buttons(desk)
    draft_id = draft_id_of(buttons)
    await desk.press(f"approve:{draft_id}", sender=LIBRARIAN)
    await eventually(lambda: _status(desk, draft_id, "sent"), what="draft sent")
    await desk.press(f"reject:{draft_id}", sender=LIBRARIAN_2)
    await eventually(lambda: _any_text(desk, LIBRARIAN_2, "sudah dikirim oleh Dewi"), what="conflict message")
    patron_lists = [t for t in await texts_to(desk, PATRON) if t.startswith("Berikut referensi")]
    assert len(patron_lists) == 1


async def test_librarian_edits_by_command_then_approves(desk: Desk) -> None:
    await desk.patron_says("katalogisasi dan klasifikasi bahan pustaka")
    [buttons] = await draft_buttons(desk)
    draft_id = draft_id_of(buttons)
    before = await desk.services.store.get_draft(draft_id)
    assert before is not None and len(before.items) >= 3
    await desk.press(f"edit:{draft_id}")
    await eventually(lambda: _any_text(desk, LIBRARIAN, f"#{draft_id} hapus"), what="edit instructions")

    await desk.patron_says(f"#{draft_id} hapus 1", sender=LIBRARIAN)
    await desk.patron_says(f"#{draft_id} catatan Silakan ambil di lantai 2", sender=LIBRARIAN)
    [_, _, latest] = await draft_buttons(desk, count=3)
    assert draft_id_of(latest) == draft_id
    after = await desk.services.store.get_draft(draft_id)
    assert after is not None and after.version == 3
    assert [r.candidate.title for r in after.items] == [r.candidate.title for r in before.items[1:]]

    await desk.press(f"approve:{draft_id}")

    async def patron_list() -> str | None:
        lists = [t for t in await texts_to(desk, PATRON) if t.startswith("Berikut referensi")]
        return lists[0] if lists else None

    sent = await eventually(patron_list, what="the edited list")
    assert before.items[0].candidate.title not in sent
    assert "Catatan pustakawan: Silakan ambil di lantai 2" in sent


async def _status(desk: Desk, draft_id: int, status: str) -> bool:
    draft = await desk.services.store.get_draft(draft_id)
    return draft is not None and draft.status.value == status


async def _any_text(desk: Desk, phone: str, fragment: str) -> bool:
    return any(fragment in t for t in await texts_to(desk, phone))


async def test_patron_gets_the_approved_list_as_a_ris_file(desk: Desk) -> None:
    await desk.patron_says("RIS")
    await eventually(lambda: _any_text(desk, PATRON, "Belum ada daftar referensi"), what="how exports work")
    await desk.patron_says("literasi informasi")
    [buttons] = await draft_buttons(desk)
    await desk.press(f"approve:{draft_id_of(buttons)}")
    await eventually(lambda: _status(desk, draft_id_of(buttons), "sent"), what="the list sent")
    await desk.patron_says("kirim RIS")

    async def document() -> dict[str, Any] | None:
        return next((m for m in await desk.sent_to(PATRON) if m["type"] == "document"), None)

    sent = await eventually(document, what="the RIS file")
    assert "format RIS" in sent["text"]
    rows = await desk.services.store.outbox_rows(PATRON)
    [row] = [r for r in rows if "document" in r["message"] and '"path"' in r["message"]]
    kept = await media_store(desk.services.settings, desk.services.store).get(json.loads(row["message"])["document"]["path"])
    assert kept is not None
    ris = kept.decode("utf-8")
    draft = await desk.services.store.get_draft(draft_id_of(buttons))
    assert draft is not None
    assert ris.count("TY  - ") == len([r for r in draft.items if not r.candidate.retracted])
    assert f"TI  - {draft.items[0].candidate.title}" in ris
