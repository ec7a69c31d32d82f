"""The words a librarian and a patron read around a draft, in their language, driven through the webhook."""

from __future__ import annotations

import re

from refbot.models import Kind
from tests.conftest import LIBRARIAN, PATRON, Desk, eventually

THESES_ID = "skripsi tentang literasi informasi"
THESES_EN = "I am looking for theses about information literacy of students"


async def texts_to(desk: Desk, phone: str) -> list[str]:
    return [m.get("text", "") for m in await desk.sent_to(phone)]


async def wait_for(desk: Desk, phone: str, fragment: str) -> str:
    async def found() -> str | None:
        return next((t for t in await texts_to(desk, phone) if fragment in t), None)

    return str(await eventually(found, what=f"a message to {phone} containing {fragment!r}"))


async def ask(desk: Desk, question: str, sender: str = PATRON) -> int:
    before = set(await desk.services.store.draft_ids())
    await desk.patron_says(question, sender=sender)

    async def new_draft() -> int | None:
        made = set(await desk.services.store.draft_ids()) - before
        return min(made) if made else None

    return int(await eventually(new_draft, what="a draft"))


async def test_an_indonesian_review_names_score_parts_and_edit_errors_in_indonesian(desk: Desk) -> None:
    draft_id = await ask(desk, THESES_ID)
    review = await wait_for(desk, LIBRARIAN, f"Draft #{draft_id}")
    review = "\n".join(t for t in await texts_to(desk, LIBRARIAN) if "skor" in t)
    assert "relevansi +" in review and "kemiripan +" in review
    assert not re.search(r"\b(relevance|similarity|years|kind|on shelf)\b", review)

    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None
    await desk.patron_says(f"#{draft_id} hapus 99", sender=LIBRARIAN)
    refused = await wait_for(desk, LIBRARIAN, "tidak punya butir 99")
    assert f"(isinya {len(draft.items)} butir)" in refused and "no item" not in refused

    await desk.patron_says(f"#{draft_id} pindah 1 2", sender=LIBRARIAN)
    unknown = await wait_for(desk, LIBRARIAN, "perintah 'pindah' tidak dikenal")
    assert "unknown command" not in unknown and "hapus, urut, catatan" in unknown


async def test_an_indonesian_list_describes_theses_in_indonesian_and_says_what_else_there_is(desk: Desk) -> None:
    draft_id = await ask(desk, THESES_ID)
    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None and any(r.candidate.kind is Kind.THESIS for r in draft.items)
    await desk.press(f"approve:{draft_id}")
    listing = await wait_for(desk, PATRON, f"(daftar #{draft.request_id})")
    described = re.findall(r"\[[^\]]*(?:thesis|dissertation|skripsi|tesis|disertasi)[^\]]*\]", listing, re.IGNORECASE)
    assert described, "the list names its theses"
    assert all(re.fullmatch(r"\[(Skripsi/Tesis|Skripsi|Tesis|Disertasi)( tidak diterbitkan|, [^\]]+)?\]", d)
               for d in described), described
    assert "RIS atau BIBTEX" in listing and "RIWAYAT" in listing and "MENU" in listing


async def test_an_english_list_says_one_copy(desk: Desk) -> None:
    draft_id = await ask(desk, THESES_EN)
    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None
    assert any(r.candidate.copies == 1 for r in draft.items), "the demo catalog's theses have one copy each"
    await desk.press(f"approve:{draft_id}")
    listing = await wait_for(desk, PATRON, f"(list #{draft.request_id})")
    assert re.search(r"\b1 of 1 copy\b|the only copy is on loan", listing)
    assert "1 of 1 copies" not in listing and "all 1 copies" not in listing
    assert "RIS or BIBTEX" in listing
