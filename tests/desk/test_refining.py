"""A short message after a list narrows that request, quoted as a WhatsApp reply or not.

Driven on a running desk: the patron asks, a librarian approves on WhatsApp, the list goes out
through the Graph API stand-in, and the patron's next message comes in as a webhook. What the
librarians then see is the refined draft: its items, its notes, and the need it was made from.
"""

from __future__ import annotations

import time
from typing import Any

from refbot.models import Draft, Kind
from tests.conftest import PATRON, Desk, eventually
from tests.desk.test_desk import inbound


async def _sent_list(desk: Desk, question: str) -> tuple[int, dict[str, Any]]:
    """The patron asks, a librarian approves, and the list reaches the patron: (draft id, the list message)."""
    store = desk.services.store
    await desk.patron_says(question)
    [draft_id] = await eventually(store.draft_ids, what="the first draft")
    await desk.press(f"approve:{draft_id}")

    async def the_list() -> dict[str, Any] | None:
        return next((m for m in await desk.sent_to(PATRON) if m["text"].startswith("Berikut")), None)

    sent = await eventually(the_list, what="the approved list")
    return draft_id, sent


async def _second_draft(desk: Desk) -> Draft:
    async def two() -> list[int] | None:
        ids = await desk.services.store.draft_ids()
        return ids if len(ids) == 2 else None

    ids = await eventually(two, what="the refined draft")
    draft = await desk.services.store.get_draft(ids[1])
    assert draft is not None
    return draft


async def test_a_quoted_only_books_replaces_the_kinds_and_keeps_the_topic(desk: Desk) -> None:
    _, sent = await _sent_list(desk, "artikel jurnal tentang literasi informasi")
    reply = {"type": "text", "text": {"body": "only books please, from the last 5 years"},
             "context": {"from": "x", "id": sent["id"]}}
    await desk.post_webhook(inbound(desk, reply))
    draft = await _second_draft(desk)
    request = await desk.services.store.get_request(draft.request_id)
    assert request is not None
    assert request.need.kinds == frozenset({Kind.BOOK})  # not articles *and* books
    assert request.need.year_from is not None and request.need.year_from >= time.gmtime().tm_year - 5
    assert [t.text for t in request.need.terms][:2] == ["literasi", "informasi"]
    assert draft.items and not any(r.candidate.kind is Kind.ARTICLE for r in draft.items)
    assert any("Menyempurnakan permintaan #1" in note for note in draft.source_notes)


async def test_an_unquoted_language_wish_right_after_the_list_refines_it(desk: Desk) -> None:
    await _sent_list(desk, "literasi informasi")
    await desk.patron_says("yang bahasa Indonesia saja")
    draft = await _second_draft(desk)
    request = await desk.services.store.get_request(draft.request_id)
    assert request is not None and request.need.languages == frozenset({"id"})
    assert [t.text for t in request.need.terms][:2] == ["literasi", "informasi"]
    assert draft.items, "a refinement never comes out as an empty draft"
    assert any("Menyempurnakan permintaan #1" in note for note in draft.source_notes)
    assert not any("tidak disaring menurut bahasa" in note for note in draft.source_notes)


async def test_a_language_no_record_is_in_is_said_in_the_draft_not_an_empty_one(desk: Desk) -> None:
    await _sent_list(desk, "literasi informasi")
    await desk.patron_says("yang bahasa Inggris saja")  # the demo records are Indonesian or unrecorded
    draft = await _second_draft(desk)
    assert draft.items
    assert any("Tidak ada butir yang tercatat berbahasa Inggris" in note for note in draft.source_notes)


async def test_the_same_words_long_after_the_list_are_a_question_of_their_own(desk: Desk) -> None:
    draft_id, _ = await _sent_list(desk, "literasi informasi")
    window = desk.services.settings.desk.refine_within_minutes * 60
    async with desk.services.store.tx() as db:  # the list went out longer ago than desk.refine_within_minutes
        await db.execute("UPDATE drafts SET updated_at = ? WHERE id = ?", (time.time() - window - 60, draft_id))
    await desk.patron_says("yang bahasa Indonesia saja")
    draft = await _second_draft(desk)
    request = await desk.services.store.get_request(draft.request_id)
    assert request is not None and request.need.terms == ()
    assert not any("Menyempurnakan" in note for note in draft.source_notes)
