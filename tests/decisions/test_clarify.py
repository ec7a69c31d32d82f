"""Asking the patron to clarify instead of sending a weak list: one question, first librarian wins.

On both backends: the draft's confidence is kept as judged when it was made, the question goes
through the outbox in the patron's language, and a colleague acting a moment later is refused.
"""

from __future__ import annotations

import pytest

from refbot.decisions import drafts
from refbot.errors import DraftConflict
from refbot.models import Confidence, ConfidenceLevel, DraftStatus, InformationNeed, Ranked, Term
from refbot.store import Store
from tests.store.conftest import PATRON, books, message

LIBRARIAN = "6281300000001"
LIBRARIAN_2 = "6281300000002"
WEAK = Confidence(ConfidenceLevel.WEAK, best=0.33, gap=0.33, missing=("catalog", "recent"), answered=("catalog",))


async def weak_draft(store: Store, *, language: str = "id", wamid: str = "wamid.q1",
                     items: tuple[Ranked, ...] | None = None) -> int:
    assert await store.record_inbound(message(wamid, PATRON, "sejarah kerajaan majapahit"))
    [row] = [r for r in await store.claim_inbox(10) if r.message.wamid == wamid]
    need = InformationNeed(raw=row.message.text, language=language,
                           terms=(Term("sejarah"), Term("kerajaan"), Term("majapahit")))
    request = await store.create_request(row.id, PATRON, need)
    async with store.tx() as db:
        draft_id = await store.insert_draft(db, request.id, books(2) if items is None else items, (), WEAK)
        await store.finish_inbox(row.id, db)
    assert draft_id is not None
    return draft_id


async def to_patron(store: Store) -> list[str]:
    return [row.message.text for row in await store.claim_outbox(100) if row.message.to == PATRON]


async def test_the_confidence_is_kept_as_judged_when_the_draft_was_made(store: Store) -> None:
    draft_id = await weak_draft(store)
    draft = await store.get_draft(draft_id)
    assert draft is not None and draft.confidence == WEAK
    edited = await drafts.edit(store, draft_id, LIBRARIAN, remove=[1])
    assert edited.draft.confidence == WEAK and len(edited.draft.items) == 1  # an edit changes items, not the judgment


async def test_the_patron_is_asked_in_their_language_once(store: Store) -> None:
    draft_id = await weak_draft(store, language="en")
    decision = await drafts.clarify(store, draft_id, LIBRARIAN)
    assert decision.draft.status is DraftStatus.ASKED
    [question] = await to_patron(store)
    assert question.startswith('Thank you for your question about "sejarah kerajaan majapahit"')
    assert "older publications" in question  # the draft found only old items
    assert ("clarify", f"draft:{draft_id}") in {(e["kind"], e["subject"]) for e in await store.events()}


async def test_a_colleague_a_moment_later_is_refused_and_nothing_more_is_sent(store: Store) -> None:
    draft_id = await weak_draft(store)
    await drafts.clarify(store, draft_id, LIBRARIAN, text="Maksudnya sejarah politik atau budaya?")
    for act in (lambda: drafts.clarify(store, draft_id, LIBRARIAN_2),
                lambda: drafts.approve(store, draft_id, LIBRARIAN_2),
                lambda: drafts.reject(store, draft_id, LIBRARIAN_2)):
        with pytest.raises(DraftConflict, match="already asked"):
            await act()
    assert await to_patron(store) == ["Maksudnya sejarah politik atau budaya?"]


async def test_an_approved_draft_cannot_be_turned_into_a_question(store: Store) -> None:
    draft_id = await weak_draft(store)
    await drafts.approve(store, draft_id, LIBRARIAN)
    with pytest.raises(DraftConflict):
        await drafts.clarify(store, draft_id, LIBRARIAN_2)
