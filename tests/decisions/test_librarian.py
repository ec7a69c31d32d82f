"""Two librarians on WhatsApp around one draft: who hears what, and what a late button says.

Driven as people do it: the patron's question and the librarians' buttons and commands are
webhooks to a running refbot; what each phone receives is read from the Graph API stand-in.
"""

from __future__ import annotations

from refbot.decisions import drafts
from refbot.web.console.accounts import add_account
from tests.conftest import LIBRARIAN, LIBRARIAN_2, PATRON, Desk, eventually


async def texts_to(desk: Desk, phone: str) -> list[str]:
    return [m["text"] for m in await desk.sent_to(phone)]


async def wait_for_text(desk: Desk, phone: str, fragment: str) -> str:
    async def found() -> str | None:
        return next((t for t in await texts_to(desk, phone) if fragment in t), None)

    return str(await eventually(found, what=f"a message to {phone} containing {fragment!r}"))


async def a_draft(desk: Desk, question: str = "literasi informasi") -> int:
    await desk.patron_says(question)
    [draft_id] = await eventually(desk.services.store.draft_ids, what="a draft")
    await wait_for_text(desk, LIBRARIAN_2, f"Draft #{draft_id}")
    return int(draft_id)


async def test_a_colleagues_approval_reaches_the_other_librarian_in_one_line(desk: Desk) -> None:
    draft_id = await a_draft(desk)
    await desk.press(f"approve:{draft_id}", sender=LIBRARIAN)
    told = await wait_for_text(desk, LIBRARIAN_2, "disetujui oleh Dewi")
    assert told == f"ℹ️ Draft #{draft_id} disetujui oleh Dewi."
    assert not any("disetujui oleh" in t for t in await texts_to(desk, LIBRARIAN))  # Dewi knows what she did

    await desk.press(f"approve:{draft_id}", sender=LIBRARIAN_2)  # Budi's old button
    late = await wait_for_text(desk, LIBRARIAN_2, "tidak ada yang diubah")
    assert "oleh Dewi" in late


async def test_an_edit_is_confirmed_to_its_editor_as_what_changed(desk: Desk) -> None:
    draft_id = await a_draft(desk)
    before = await desk.services.store.get_draft(draft_id)
    assert before is not None and len(before.items) >= 2
    await desk.patron_says(f"#{draft_id} hapus 1", sender=LIBRARIAN)
    diff = await wait_for_text(desk, LIBRARIAN, "versi 2")
    assert before.items[0].candidate.title[:40] in diff
    # Counted by what mentions the new version, not by totals: the first review may still be on its way.
    about_edit = [m for m in await desk.sent_to(LIBRARIAN) if "versi 2" in m.get("text", "")]
    assert len(about_edit) == 1  # one short message, not the whole draft again
    assert before.items[1].candidate.title[:40] not in about_edit[0]["text"]  # what changed, not the whole list
    assert [b["id"] for b in about_edit[0].get("buttons", [])] in ([], [f"approve:{draft_id}", f"edit:{draft_id}",
                                                                       f"reject:{draft_id}"])
    # The colleague's phone stays quiet about the edit.
    assert not [m for m in await desk.sent_to(LIBRARIAN_2) if "versi 2" in m.get("text", "")]

    await desk.patron_says(f"#{draft_id} lihat", sender=LIBRARIAN)
    await wait_for_text(desk, LIBRARIAN, f"Draft #{draft_id} (versi 2)")


async def test_a_console_approval_is_named_by_the_librarians_name(desk: Desk) -> None:
    draft_id = await a_draft(desk)
    store = desk.services.store
    account = await add_account(store, "sari", "kata-sandi-panjang-sekali", name="Sari Wulandari")
    await drafts.approve(store, draft_id, account.actor)  # what the console's Approve button does
    await desk.press(f"approve:{draft_id}", sender=LIBRARIAN)
    late = await wait_for_text(desk, LIBRARIAN, "tidak ada yang diubah")
    assert "oleh Sari Wulandari" in late, late


async def test_a_draft_closed_by_erasure_says_so(desk: Desk) -> None:
    draft_id = await a_draft(desk)
    await desk.patron_says("HAPUS DATA")
    await wait_for_text(desk, PATRON, "YA HAPUS")
    await desk.patron_says("ya hapus")
    await wait_for_text(desk, PATRON, "Data Anda sudah kami hapus")
    await desk.press(f"approve:{draft_id}", sender=LIBRARIAN)
    told = await wait_for_text(desk, LIBRARIAN, "tidak ada yang diubah")
    assert "dihapus atas permintaan pemustaka" in told and "?" not in told


async def test_jawab_on_a_draft_number_answers_its_patron(desk: Desk) -> None:
    draft_id = await a_draft(desk)
    await desk.patron_says(f"JAWAB#{draft_id} Koleksi ini ada di lantai 2, silakan datang.", sender=LIBRARIAN)
    await wait_for_text(desk, PATRON, "Koleksi ini ada di lantai 2")
    ack = await wait_for_text(desk, LIBRARIAN, f"draft #{draft_id}")
    assert "dikirim ke pemustaka" in ack
    await wait_for_text(desk, LIBRARIAN_2, f"Draft #{draft_id} ditolak oleh Dewi")


async def test_after_tolak_the_librarian_can_reply_personally_once(desk: Desk) -> None:
    draft_id = await a_draft(desk)
    await desk.press(f"reject:{draft_id}", sender=LIBRARIAN)
    await wait_for_text(desk, PATRON, "membalas Anda secara langsung")
    await desk.patron_says(f"#{draft_id} jawab Silakan hubungi kami di ruang referensi.", sender=LIBRARIAN)
    await wait_for_text(desk, PATRON, "ruang referensi")
    await desk.patron_says(f"#{draft_id} jawab Jawaban kedua.", sender=LIBRARIAN_2)
    refused = await wait_for_text(desk, LIBRARIAN_2, "tidak ada yang diubah")
    assert "oleh Dewi" in refused
    assert not any("Jawaban kedua" in t for t in await texts_to(desk, PATRON))
