"""RIS / BibTeX: the patron gets their newest list that has references in it, or is told why not.

Driven as people do it, on a running desk: the patron asks on WhatsApp, a librarian edits and
approves with commands and buttons, and the patron writes ``RIS``; what they receive is read
from the Graph API stand-in.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import LIBRARIAN, PATRON, Desk, eventually


async def _new_draft(desk: Desk, question: str) -> int:
    store = desk.services.store
    before = set(await store.draft_ids())
    await desk.patron_says(question)

    async def made() -> list[int]:
        return sorted(set(await store.draft_ids()) - before)

    [draft_id] = await eventually(made, what=f"a draft for {question!r}")
    return draft_id


async def _approved_empty(desk: Desk, question: str) -> int:
    """A draft whose every item the librarian removed before approving it."""
    draft_id = await _new_draft(desk, question)
    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None and draft.items, "the catalog should find something to remove"
    numbers = " ".join(str(n) for n in range(1, len(draft.items) + 1))
    await desk.patron_says(f"#{draft_id} hapus {numbers}", sender=LIBRARIAN)

    async def emptied() -> bool:
        edited = await desk.services.store.get_draft(draft_id)
        return edited is not None and not edited.items

    await eventually(emptied, what="the draft emptied by the librarian")
    await desk.press(f"approve:{draft_id}")
    await eventually(lambda: _status(desk, draft_id, ("approved", "sent")), what="the empty draft approved")
    return draft_id


async def _status(desk: Desk, draft_id: int, statuses: tuple[str, ...]) -> bool:
    draft = await desk.services.store.get_draft(draft_id)
    return draft is not None and draft.status.value in statuses


async def _documents(desk: Desk) -> list[dict[str, Any]]:
    return [m for m in await desk.sent_to(PATRON) if m["type"] == "document"]


async def test_ris_after_an_empty_approved_list_sends_the_newest_list_with_references(desk: Desk) -> None:
    full = await _new_draft(desk, "literasi informasi")
    await desk.press(f"approve:{full}")
    await eventually(lambda: _status(desk, full, ("sent",)), what="the first list sent")
    await _approved_empty(desk, "manajemen perpustakaan")

    await desk.patron_says("RIS")
    [sent] = await eventually(lambda: _documents(desk), what="the RIS file")
    assert sent["payload"]["document"]["filename"] == f"referensi-{full}.ris"
    assert "format RIS" in sent["text"]
    rows = await desk.services.store.outbox_rows(PATRON)
    assert not [r["error"] for r in rows if r["state"] == "failed"]


async def test_bibtex_when_every_approved_list_is_empty_tells_the_patron_so(desk: Desk) -> None:
    await _approved_empty(desk, "manajemen perpustakaan")
    await desk.patron_says("BIBTEX")

    async def told() -> str | None:
        return next((m["text"] for m in await desk.sent_to(PATRON) if "tidak berisi referensi" in m["text"]), None)

    text = await eventually(told, what="a word that there is nothing to export")
    assert "BibTeX" in text
    assert not await _documents(desk)
    rows = await desk.services.store.outbox_rows(PATRON)
    assert not [r["error"] for r in rows if r["state"] == "failed"]
