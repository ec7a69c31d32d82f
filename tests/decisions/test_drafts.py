"""approve / edit / reject are the only doors a draft goes through, and they do not let two in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from refbot.decisions import drafts
from refbot.errors import DraftConflict, EditRefused
from refbot.models import Candidate, DraftStatus, InboundMessage, InformationNeed, Kind, Ranked, Score, Term
from refbot.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "db.sqlite3")
    yield s
    await s.close()


async def make_draft(store: Store, n_items: int = 4, language: str = "id") -> int:
    await store.record_inbound(InboundMessage("wamid.1", "6281200000001", "text", text="literasi"))
    [row] = await store.claim_inbox(1)
    need = InformationNeed(raw="literasi", language=language, terms=(Term("literasi"),))
    request = await store.create_request(row.id, row.message.sender, need)
    items = tuple(
        Ranked(Candidate("catalog", f"id{i}", Kind.BOOK, f"Buku {i}", year=2020 + i), Score(1.0 - i / 10))
        for i in range(n_items)
    )
    async with store.tx() as db:
        draft_id = await store.insert_draft(db, request.id, items, ())
    assert draft_id is not None
    return draft_id


async def patron_rows(store: Store) -> list[str]:
    return [r["idem_key"] for r in await store.outbox_rows("6281200000001")]


async def test_approve_queues_the_list_once(store: Store) -> None:
    draft_id = await make_draft(store)
    decision = await drafts.approve(store, draft_id, "6281300000001")
    assert decision.draft.status is DraftStatus.APPROVED
    assert await patron_rows(store) == [f"draft:{draft_id}:v1:patron:0"]
    with pytest.raises(DraftConflict, match="already approved"):
        await drafts.approve(store, draft_id, "6281300000002")
    assert len(await patron_rows(store)) == 1
    [event] = await store.events(f"draft:{draft_id}")
    assert (event["actor"], event["kind"]) == ("6281300000001", "approve")


async def test_concurrent_approve_and_reject_only_one_wins(store: Store) -> None:
    draft_id = await make_draft(store)
    results = await asyncio.gather(
        drafts.approve(store, draft_id, "a"), drafts.reject(store, draft_id, "b"), return_exceptions=True
    )
    assert sum(isinstance(r, DraftConflict) for r in results) == 1
    assert len(await patron_rows(store)) == 1


async def test_edit_makes_a_new_version_and_stale_versions_conflict(store: Store) -> None:
    draft_id = await make_draft(store)
    decision = await drafts.edit(store, draft_id, "a", remove=[2], order=[3, 1], note="lantai 2")
    assert decision.draft.version == 2
    assert [r.candidate.title for r in decision.draft.items] == ["Buku 2", "Buku 0", "Buku 3"]
    assert decision.draft.note == "lantai 2"
    with pytest.raises(DraftConflict, match="version 2, not 1"):
        await drafts.approve(store, draft_id, "b", expected_version=1)
    with pytest.raises(EditRefused, match="no item 9"):
        await drafts.edit(store, draft_id, "a", remove=[9])
    unchanged = await drafts.edit(store, draft_id, "a", note="lantai 2")
    assert not unchanged.changed and unchanged.draft.version == 2


async def test_reject_with_personal_reply(store: Store) -> None:
    draft_id = await make_draft(store, language="en")
    await drafts.reject(store, draft_id, "a", reply="Please visit the desk on floor 2.")
    [row] = await store.outbox_rows("6281200000001")
    assert "floor 2" in row["message"]


async def test_an_edit_retried_under_the_same_name_is_made_once(store: Store) -> None:
    draft_id = await make_draft(store)
    first = await drafts.edit(store, draft_id, "a", remove=[1], idem="inbox:7")
    again = await drafts.edit(store, draft_id, "a", remove=[1], idem="inbox:7")
    assert first.draft.version == again.draft.version == 2
    assert [r.candidate.title for r in again.draft.items] == ["Buku 1", "Buku 2", "Buku 3"]
    other = await drafts.edit(store, draft_id, "a", remove=[1], idem="inbox:8")
    assert other.draft.version == 3 and len(other.draft.items) == 2
