"""Drafts: a librarian approves, edits or rejects a pending draft once; what the patron gets follows from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from refbot.decisions import drafts
from refbot.errors import DraftConflict
from refbot.models import Candidate, DraftStatus, InformationNeed, Kind, Ranked, Score
from refbot.store import Store
from tests.store.conftest import PATRON, ask, books, message

LIBRARIAN = "6281300000001"
LIBRARIAN_2 = "6281300000002"


async def status_of(store: Store, draft_id: int) -> DraftStatus:
    draft = await store.get_draft(draft_id)
    assert draft is not None
    return draft.status


async def snapshot(store: Store, draft_id: int) -> tuple[Any, ...]:
    """What a librarian or patron could see change: the draft, what is queued, and the audit trail."""
    return (
        await store.get_draft(draft_id),
        [tuple(r) for r in await store.outbox_rows()],
        [tuple(e) for e in await store.events()],
    )


async def send_all(store: Store) -> None:
    """WhatsApp takes every queued message."""
    for n, row in enumerate(await store.claim_outbox(100)):
        await store.mark_sent(row, f"wamid.out{n}")


def long_list(n: int) -> tuple[Ranked, ...]:
    """Enough long titles that the patron's list does not fit one WhatsApp message."""
    return tuple(
        Ranked(Candidate("catalog", f"b{i}", Kind.BOOK, f"Buku {i}: " + "literasi informasi " * 20,
                         authors=("Sulistyo-Basuki",), year=2001 + i, publisher="Gramedia"), Score(1.0))
        for i in range(n)
    )


async def test_a_new_draft_is_pending_with_the_patrons_question(store: Store) -> None:
    draft_id = await ask(store)
    draft = await store.get_draft(draft_id)
    assert draft is not None
    assert (draft.status, draft.version, draft.patron, draft.question) == (
        DraftStatus.PENDING, 1, PATRON, "buku literasi informasi")
    assert [r.candidate.title for r in draft.items] == ["Buku 0", "Buku 1", "Buku 2"]
    assert await store.draft_ids(DraftStatus.PENDING) == [draft_id]
    assert await store.get_draft(draft_id + 1) is None


async def test_approved_draft_becomes_sent_once_every_part_of_the_patrons_list_went_out(store: Store) -> None:
    draft_id = await ask(store, items=long_list(30))
    decision = await drafts.approve(store, draft_id, LIBRARIAN)
    assert decision.changed and decision.draft.status is DraftStatus.APPROVED
    parts = await store.claim_outbox(100)
    assert len(parts) >= 2, "the list is long enough to need several messages"
    assert {p.message.to for p in parts} == {PATRON}
    assert [p.idem_key for p in parts] == [f"draft:{draft_id}:v1:patron:{n}" for n in range(len(parts))]

    for n, part in enumerate(parts[:-1]):
        await store.mark_sent(part, f"wamid.out{n}")
        assert await status_of(store, draft_id) is DraftStatus.APPROVED, "part of the list is still to go"
    await store.mark_sent(parts[-1], "wamid.last")
    assert await status_of(store, draft_id) is DraftStatus.SENT
    assert await store.draft_ids(DraftStatus.SENT) == [draft_id]
    assert await store.draft_ids(DraftStatus.APPROVED) == []


async def test_a_part_waiting_to_be_retried_keeps_the_draft_approved(store: Store) -> None:
    draft_id = await ask(store, items=long_list(30))
    await drafts.approve(store, draft_id, LIBRARIAN)
    first, second, *rest = await store.claim_outbox(100)
    await store.mark_unsent(first, "HTTP 503", retry_at=store.clock() + 30)
    await store.mark_sent(second, "wamid.2")
    for n, part in enumerate(rest):
        await store.mark_sent(part, f"wamid.r{n}")
    assert await status_of(store, draft_id) is DraftStatus.APPROVED


async def test_a_part_held_for_a_shut_window_keeps_the_draft_approved_until_it_goes(store: Store) -> None:
    draft_id = await ask(store, items=long_list(30))
    await drafts.approve(store, draft_id, LIBRARIAN)
    first, *rest = await store.claim_outbox(100)
    await store.hold(first, "131047: the 24-hour window is shut")
    for n, part in enumerate(rest):
        await store.mark_sent(part, f"wamid.r{n}")
    assert await status_of(store, draft_id) is DraftStatus.APPROVED, "the patron has not got the whole list"

    await store.record_inbound(message("wamid.again", text="halo, masih ada?"))  # the window opens again
    [held] = await store.claim_outbox(100)
    await store.mark_sent(held, "wamid.held")
    assert await status_of(store, draft_id) is DraftStatus.SENT


async def test_rejecting_tells_the_patron_a_librarian_will_answer(store: Store) -> None:
    draft_id = await ask(store)
    decision = await drafts.reject(store, draft_id, LIBRARIAN)
    assert decision.draft.status is DraftStatus.REJECTED
    [row] = await store.outbox_rows(PATRON)
    assert "Pustakawan kami akan membalas Anda secara langsung" in row["message"]
    assert "Buku 0" not in row["message"]
    await send_all(store)
    assert await status_of(store, draft_id) is DraftStatus.REJECTED, "a rejection is not 'sent'"
    [event] = await store.events(f"draft:{draft_id}")
    assert (event["actor"], event["kind"]) == (LIBRARIAN, "reject")


async def test_an_edit_makes_version_2_and_the_patron_gets_only_its_items(store: Store) -> None:
    draft_id = await ask(store)
    decision = await drafts.edit(store, draft_id, LIBRARIAN, remove=[2], note="Ada di lantai 2")
    assert decision.changed
    draft = await store.get_draft(draft_id)
    assert draft is not None
    assert (draft.version, draft.status, draft.note) == (2, DraftStatus.PENDING, "Ada di lantai 2")
    # get_draft reads the current version's items only; version 1's list is not what anyone sees any more.
    assert [r.candidate.title for r in draft.items] == ["Buku 0", "Buku 2"]

    await drafts.approve(store, draft_id, LIBRARIAN, expected_version=2)
    [row] = await store.outbox_rows(PATRON)
    assert row["idem_key"] == f"draft:{draft_id}:v2:patron:0"
    assert "Buku 0" in row["message"] and "Buku 2" in row["message"] and "Ada di lantai 2" in row["message"]
    assert "Buku 1" not in row["message"]


async def test_an_edit_adding_items_keeps_the_earlier_ones_first(store: Store) -> None:
    draft_id = await ask(store)
    [extra] = books(1)
    decision = await drafts.edit(store, draft_id, LIBRARIAN, add=[Ranked(
        Candidate("crossref", "10.1/x", Kind.ARTICLE, "Artikel baru", doi="10.1/x"), extra.score)])
    assert [r.candidate.title for r in decision.draft.items] == ["Buku 0", "Buku 1", "Buku 2", "Artikel baru"]
    assert decision.draft.version == 2


Refusal = Callable[[Store, int], Awaitable[Any]]

REFUSALS: dict[str, tuple[str, Refusal]] = {
    "approving an approved draft": ("approve", lambda s, d: drafts.approve(s, d, LIBRARIAN_2)),
    "rejecting an approved draft": ("approve", lambda s, d: drafts.reject(s, d, LIBRARIAN_2)),
    "editing an approved draft": ("approve", lambda s, d: drafts.edit(s, d, LIBRARIAN_2, remove=[1])),
    "approving a rejected draft": ("reject", lambda s, d: drafts.approve(s, d, LIBRARIAN_2)),
    "editing a rejected draft": ("reject", lambda s, d: drafts.edit(s, d, LIBRARIAN_2, note="maaf")),
    "approving a sent draft": ("send", lambda s, d: drafts.approve(s, d, LIBRARIAN_2)),
    "approving version 1 after an edit": ("edit", lambda s, d: drafts.approve(s, d, LIBRARIAN_2, expected_version=1)),
    "rejecting version 1 after an edit": ("edit", lambda s, d: drafts.reject(s, d, LIBRARIAN_2, expected_version=1)),
    "editing version 1 after an edit": ("edit", lambda s, d: drafts.edit(s, d, LIBRARIAN_2, remove=[1],
                                                                          expected_version=1)),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_refused_decisions_raise_draft_conflict_and_change_nothing(store: Store, case: str) -> None:
    before, attempt = REFUSALS[case]
    draft_id = await ask(store)
    if before == "approve":
        await drafts.approve(store, draft_id, LIBRARIAN)
    elif before == "reject":
        await drafts.reject(store, draft_id, LIBRARIAN)
    elif before == "send":
        await drafts.approve(store, draft_id, LIBRARIAN)
        await send_all(store)
    else:
        await drafts.edit(store, draft_id, LIBRARIAN, remove=[3])
    seen = await snapshot(store, draft_id)

    with pytest.raises(DraftConflict):
        await attempt(store, draft_id)
    assert await snapshot(store, draft_id) == seen


async def test_a_refusal_names_who_decided_first(store: Store) -> None:
    draft_id = await ask(store)
    await drafts.approve(store, draft_id, LIBRARIAN)
    with pytest.raises(DraftConflict, match=f"already approved by {LIBRARIAN}"):
        await drafts.reject(store, draft_id, LIBRARIAN_2)


async def test_deciding_a_draft_that_does_not_exist_is_a_conflict(store: Store) -> None:
    with pytest.raises(DraftConflict, match="does not exist"):
        await drafts.approve(store, 404, LIBRARIAN)
    assert await store.outbox_rows() == []


async def test_one_draft_per_request(store: Store) -> None:
    draft_id = await ask(store)
    draft = await store.get_draft(draft_id)
    assert draft is not None
    async with store.tx() as db:
        assert await store.insert_draft(db, draft.request_id, books(1), ("crossref: timeout",)) is None
    assert await store.draft_ids() == [draft_id]
    again = await store.get_draft(draft_id)
    assert again is not None
    assert [r.candidate.title for r in again.items] == ["Buku 0", "Buku 1", "Buku 2"], "the first draft stands"
    assert again.source_notes == ()


async def test_one_request_per_message(store: Store) -> None:
    await store.record_inbound(message("wamid.a"))
    [row] = await store.claim_inbox(1)
    need = InformationNeed(raw="literasi")
    first = await store.create_request(row.id, PATRON, need)
    second = await store.create_request(row.id, PATRON, InformationNeed(raw="something else"))
    assert second == first
    assert second.text == "literasi"


async def test_draft_ids_by_status(store: Store) -> None:
    approved = await ask(store, "wamid.1")
    rejected = await ask(store, "wamid.2")
    pending = await ask(store, "wamid.3")
    await drafts.approve(store, approved, LIBRARIAN)
    await drafts.reject(store, rejected, LIBRARIAN)
    assert await store.draft_ids() == [approved, rejected, pending]
    assert await store.draft_ids(DraftStatus.PENDING) == [pending]
    assert await store.draft_ids(DraftStatus.APPROVED) == [approved]
    assert await store.draft_ids(DraftStatus.REJECTED) == [rejected]
