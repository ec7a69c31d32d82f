"""The confidence on a draft as librarians meet it on WhatsApp, and the clarifying question they can send.

Driven as people do it: the patron's question and the librarians' buttons and commands are
webhooks to a running refbot; what each phone receives is read from the Graph API stand-in.
The desk is open all day here (``conftest.py``), so the review copies go out at once.
"""

from __future__ import annotations

from typing import Any

from refbot.models import DraftStatus
from tests.conftest import LIBRARIAN, LIBRARIAN_2, PATRON, Desk, eventually

ENGLISH_PATRON = "6281200000009"


async def review_of(desk: Desk, phone: str = LIBRARIAN) -> tuple[str, list[dict[str, Any]]]:
    """The draft's review copy as ``phone`` reads it, once its approve/edit/reject buttons arrived."""

    async def arrived() -> list[dict[str, Any]] | None:
        sent = await desk.sent_to(phone)
        return sent if any(b["id"].startswith("approve:") for m in sent for b in m["buttons"]) else None

    sent = await eventually(arrived, what=f"a draft with its buttons for {phone}")
    return "\n".join(m["text"] for m in sent), [b for m in sent for b in m["buttons"]]


async def text_to(desk: Desk, phone: str, fragment: str) -> str:
    async def found() -> str | None:
        return next((m["text"] for m in await desk.sent_to(phone) if fragment in m["text"]), None)

    return str(await eventually(found, what=f"a message to {phone} containing {fragment!r}"))


async def test_a_weak_draft_says_what_is_missing_and_the_patron_can_be_asked_instead(desk: Desk) -> None:
    await desk.patron_says("kak, ada referensi resep masakan padang?")
    review, buttons = await review_of(desk)
    [draft_id] = await desk.services.store.draft_ids()

    assert "🔴 Keyakinan: lemah" in review
    assert "Yang kurang: katalog perpustakaan tidak memuat yang cocok" in review
    assert 'Terima kasih atas pertanyaan Anda tentang "resep masakan padang"' in review  # what would be sent
    assert [b["id"] for b in buttons] == [f"clarify:{draft_id}", f"approve:{draft_id}", f"edit:{draft_id}",
                                          f"reject:{draft_id}"]

    await desk.press(f"clarify:{draft_id}")
    asked = await text_to(desk, PATRON, "Agar kami dapat mencarikan sumber yang tepat")
    assert asked.startswith('Terima kasih atas pertanyaan Anda tentang "resep masakan padang"')
    await text_to(desk, LIBRARIAN, f"Draft #{draft_id}: pertanyaan klarifikasi dikirim ke pemustaka")
    told = await text_to(desk, LIBRARIAN_2, "ditanyakan balik")
    assert told == f"ℹ️ Draft #{draft_id} ditanyakan balik ke pemustaka oleh Dewi."

    await desk.press(f"approve:{draft_id}", sender=LIBRARIAN_2)  # Budi's old button, a moment later
    late = await text_to(desk, LIBRARIAN_2, "tidak ada yang diubah")
    assert late == f"Draft #{draft_id} sudah ditanyakan balik ke pemustaka oleh Dewi; tidak ada yang diubah."
    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None and draft.status is DraftStatus.ASKED
    # Asked once, nothing else (one look at what the patron got: its delivery status moves on meanwhile).
    patron_got = await desk.sent_to(PATRON)
    assert [m["text"] for m in patron_got if "Agar kami" in m["text"]] == [asked]


async def test_an_english_patron_is_asked_in_english_by_the_librarians_own_command(desk: Desk) -> None:
    await desk.patron_says("Hello, do you have anything on Padang cooking recipes?", sender=ENGLISH_PATRON)
    await review_of(desk)
    [draft_id] = await desk.services.store.draft_ids()
    await desk.patron_says(f"#{draft_id} tanya", sender=LIBRARIAN)
    asked = await text_to(desk, ENGLISH_PATRON, "So that we can find the right sources")
    assert asked.startswith("Thank you for your question about")


async def test_a_strong_draft_says_so_and_offers_no_question(desk: Desk) -> None:
    await desk.patron_says("kak, saya cari buku tentang perpustakaan sekolah")
    review, buttons = await review_of(desk)
    assert "🟢 Keyakinan: kuat" in review and "Yang kurang" not in review
    assert not any(b["id"].startswith("clarify:") for b in buttons)
