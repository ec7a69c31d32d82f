"""The only way a draft changes state: approve, edit, reject, or ask the patron to clarify.

The WhatsApp buttons, the librarian's text commands and the web console are thin adapters
over these functions. Each runs in one transaction that also queues the messages it causes,
so a decision and its effects are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from refbot.delivery import render
from refbot.delivery.confidence import clarify_question
from refbot.errors import DraftConflict, EditRefused
from refbot.models import Draft, DraftStatus, InformationNeed, OutgoingMessage, Ranked
from refbot.store import Store, Tx
from refbot.texts import TEXT_LIMIT, t


@dataclass(frozen=True)
class Decision:
    """The draft after a librarian's action."""

    draft: Draft
    changed: bool


async def approve(
    store: Store, draft_id: int, actor: str, *, language: str = "id", expected_version: int | None = None
) -> Decision:
    """Approve a pending draft and queue the patron's list.

    Raises:
        DraftConflict: the draft is gone, already decided, or at another version.
    """
    draft = await _pending(store, draft_id, actor, expected_version)
    messages = render.patron_list(draft, _patron_language(draft, language))
    return await _decide(store, draft, actor, DraftStatus.APPROVED, "approve",
                         {str(n): message for n, message in enumerate(messages)})


async def reject(
    store: Store, draft_id: int, actor: str, *, reply: str = "", language: str = "id",
    expected_version: int | None = None,
) -> Decision:
    """Reject a draft; the patron is told a librarian will answer personally (or gets ``reply``)."""
    draft = await _pending(store, draft_id, actor, expected_version)
    text = reply.strip() or t(_patron_language(draft, language), "rejected")
    return await _decide(store, draft, actor, DraftStatus.REJECTED, "reject", {"rejected": _to_patron(draft, text)})


async def clarify(
    store: Store, draft_id: int, actor: str, *, text: str = "", language: str = "id",
    expected_version: int | None = None,
) -> Decision:
    """Send the patron a short question asking them to narrow or clarify, instead of the list.

    The question is in the patron's language (``text`` when the librarian wrote their own). It
    closes the draft as *asked*, first librarian wins as with any decision; the patron's answer
    arrives as a new question and gets a draft of its own.

    Raises:
        DraftConflict: the draft is gone, already decided, or at another version.
    """
    draft = await _pending(store, draft_id, actor, expected_version)
    request = await store.get_request(draft.request_id)
    need = request.need if request is not None else InformationNeed(draft.question)
    question = text.strip() or clarify_question(need, draft.confidence, _patron_language(draft, language))
    return await _decide(store, draft, actor, DraftStatus.ASKED, "clarify", {"clarify": _to_patron(draft, question)})


async def edit(
    store: Store,
    draft_id: int,
    actor: str,
    *,
    remove: Sequence[int] = (),
    order: Sequence[int] | None = None,
    add: Sequence[Ranked] = (),
    note: str | None = None,
    expected_version: int | None = None,
    idem: str = "",
) -> Decision:
    """Make a new version of a pending draft. Positions are 1-based, as the librarian sees them.

    ``idem`` names the request for this edit (a WhatsApp message, a form post): an edit
    already made under that name is not made again, so "remove item 1" retried after a
    crash removes one item, not two.

    Raises:
        DraftConflict: the draft is not pending or has moved on.
        EditRefused: a position does not exist in the draft.
    """
    if idem and await store.edit_already_made(draft_id, idem):
        return Decision(await _reload(store, draft_id), True)
    draft = await _pending(store, draft_id, actor, expected_version)
    items = _edited_items(draft.items, remove, order) + tuple(add)
    if items == draft.items and (note is None or note == draft.note):
        return Decision(draft, False)
    version = draft.version + 1
    async with store.tx() as db:
        if not await store.edit_draft_version(db, draft, version, draft.note if note is None else note.strip()):
            raise DraftConflict(f"draft {draft.id} changed while it was being edited")
        await store.insert_items(db, draft.id, version, items)
        detail = {"version": version, "removed": list(remove), "order": list(order or []), "added": len(add),
                  "idem": idem}
        await store.add_event(db, actor, "edit", f"draft:{draft.id}", detail)
    return Decision(await _reload(store, draft_id), True)


def _edited_items(items: tuple[Ranked, ...], remove: Sequence[int], order: Sequence[int] | None) -> tuple[Ranked, ...]:
    positions = list(order) if order else list(range(1, len(items) + 1))
    bad = [p for p in [*positions, *remove] if not 1 <= p <= len(items)]
    if bad:
        raise EditRefused(f"no item {bad[0]} in this draft (it has {len(items)})", key="edit_no_item", item=bad[0],
                          count=len(items))
    if order:
        # Items the librarian did not mention keep their relative order after the named ones.
        positions += [p for p in range(1, len(items) + 1) if p not in positions]
    return tuple(items[p - 1] for p in dict.fromkeys(positions) if p not in set(remove))


async def _pending(store: Store, draft_id: int, actor: str, expected_version: int | None) -> Draft:
    draft = await store.get_draft(draft_id)
    if draft is None:
        raise DraftConflict(f"draft {draft_id} does not exist")
    if draft.status is not DraftStatus.PENDING:
        who = await store.draft_decided_by(draft_id)
        raise DraftConflict(f"draft {draft_id} is already {draft.status.value} by {who or 'someone'}")
    if expected_version is not None and expected_version != draft.version:
        raise DraftConflict(f"draft {draft_id} is now at version {draft.version}, not {expected_version}")
    return draft


async def _decide(
    store: Store, draft: Draft, actor: str, status: DraftStatus, verb: str, messages: Mapping[str, OutgoingMessage],
) -> Decision:
    """Decide the draft, queue the patron's ``messages`` (each under its key) and log ``verb``, in one transaction."""
    async with store.tx() as db:
        await _set_status(store, db, draft, status, actor)
        for key, message in messages.items():
            await store.enqueue(db, f"draft:{draft.id}:v{draft.version}:patron:{key}", message, draft.id)
        await store.add_event(db, actor, verb, f"draft:{draft.id}", {"version": draft.version})
    return Decision(await _reload(store, draft.id), True)


def _to_patron(draft: Draft, text: str) -> OutgoingMessage:
    return OutgoingMessage(to=draft.patron, text=text[:TEXT_LIMIT])


async def _set_status(store: Store, db: Tx, draft: Draft, status: DraftStatus, actor: str) -> None:
    # The store decides at the draft's version: of two librarians' clicks at once, the second
    # changes nothing and is told so.
    if not await store.decide_draft(db, draft, status, actor):
        raise DraftConflict(f"draft {draft.id} was decided by someone else a moment ago")


async def _reload(store: Store, draft_id: int) -> Draft:
    draft = await store.get_draft(draft_id)
    assert draft is not None
    return draft


def _patron_language(draft: Draft, default: str) -> str:
    return draft.language if draft.language in ("id", "en") else default
