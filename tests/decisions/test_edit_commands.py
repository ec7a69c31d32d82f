"""A librarian's ``#12 urut …`` commands on WhatsApp always get an answer: done, or why not.

Driven on a running desk: the patron asks, the librarian types the command in WhatsApp, and
what comes back is read from the Graph API stand-in.
"""

from __future__ import annotations

from tests.conftest import LIBRARIAN, LIBRARIAN_2, Desk, eventually


async def _draft(desk: Desk) -> int:
    await desk.patron_says("literasi informasi")
    [draft_id] = await eventually(desk.services.store.draft_ids, what="a draft")
    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None and len(draft.items) >= 3
    return int(draft_id)


async def _reply(desk: Desk, fragment: str) -> str:
    async def found() -> str | None:
        return next((m["text"] for m in await desk.sent_to(LIBRARIAN) if fragment in m["text"]), None)

    return str(await eventually(found, what=f"a reply to the librarian containing {fragment!r}"))


async def test_an_order_naming_an_item_twice_is_refused_with_the_reason(desk: Desk) -> None:
    draft_id = await _draft(desk)
    await desk.patron_says(f"#{draft_id} urut 1 1", sender=LIBRARIAN)
    reply = await _reply(desk, f"Draft #{draft_id} tidak diubah")
    assert "butir 1 disebut lebih dari sekali" in reply
    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None and draft.version == 1


async def test_an_order_that_changes_nothing_says_so(desk: Desk) -> None:
    draft_id = await _draft(desk)
    await desk.patron_says(f"#{draft_id} urut 1 2 3", sender=LIBRARIAN)
    reply = await _reply(desk, f"Draft #{draft_id} tidak berubah")
    assert "Setujui" in reply
    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None and draft.version == 1
    assert not any("tidak berubah" in m["text"] for m in await desk.sent_to(LIBRARIAN_2))  # only the one who asked
