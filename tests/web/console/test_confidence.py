"""The draft page says how sure refbot is, and lets a librarian ask the patron to clarify instead.

Driven over HTTP as librarians use the console: a patron's question by webhook, the page
read and its form posted, what the patron's phone receives read from the Graph API stand-in.
"""

from __future__ import annotations

import html

from refbot.models import DraftStatus
from tests.conftest import PATRON, eventually
from tests.web.console.conftest import ConsoleDesk


async def test_a_weak_draft_says_what_is_missing_and_sends_the_librarians_question(console: ConsoleDesk) -> None:
    draft = await console.question("kak, ada referensi resep masakan padang?")
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{draft.id}")
    text = html.unescape(page.text)
    assert 'data-confidence="weak"' in page.text and "Keyakinan: lemah" in text
    assert "Katalog perpustakaan tidak memuat yang cocok." in text
    # The question the patron would get is there to send or reword, in the patron's language.
    assert 'Terima kasih atas pertanyaan Anda tentang "resep masakan padang"' in text

    question = "Halo kak, resep masakan Padang untuk tugas apa? Kami bisa bantu carikan buku kuliner Minang."
    sent = await dewi.post(f"/console/drafts/{draft.id}/clarify", {"version": "1", "question": question},
                           csrf=page.csrf)
    assert sent.status == 303

    async def asked() -> bool:
        return question in [m["text"] for m in await console.desk.sent_to(PATRON)]

    await eventually(asked, what="the clarifying question on the patron's phone")
    assert (await console.store.get_draft(draft.id)).status is DraftStatus.ASKED
    page = await dewi.get(f"/console/drafts/{draft.id}")
    assert "ditanyakan balik" in page.text and "/clarify" not in page.text

    budi = await console.librarian("budi")  # his page was open on version 1 all along
    late = await budi.post(f"/console/drafts/{draft.id}/clarify", {"version": "1", "question": "Maksudnya?"},
                           csrf=(await budi.get("/console/")).csrf)
    assert late.status == 409 and "Dewi" in late.text
    assert "Maksudnya?" not in [m["text"] for m in await console.desk.sent_to(PATRON)]


async def test_a_strong_draft_says_so_and_keeps_the_question_out_of_the_way(console: ConsoleDesk) -> None:
    draft = await console.question("kak, saya cari buku tentang perpustakaan sekolah")
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{draft.id}")
    assert 'data-confidence="strong"' in page.text and "Keyakinan: kuat" in page.text
    assert "Katalog perpustakaan tidak memuat" not in page.text
    # Still possible, after approve and reject rather than first.
    assert page.text.index("/approve") < page.text.index("/clarify")
