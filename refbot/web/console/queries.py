"""The console's reads and its two small writes (who took a draft, how much effort it took),
shaped for the pages: patrons as masked labels, actors by name.

The SQL is in :mod:`refbot.store.reports`. Drafts themselves change only through
:mod:`refbot.decisions.drafts`; nothing here touches their status, items or version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from refbot import codec
from refbot.config import Settings
from refbot.delivery.render import mask_phone
from refbot.models import InboundMessage, OutgoingMessage
from refbot.store import Store
from refbot.web.console.accounts import Account

QUESTION_PREVIEW = 300


@dataclass(frozen=True)
class QueueRow:
    """One waiting draft as the queue lists it."""

    draft_id: int
    version: int
    question: str
    language: str
    patron: str
    asked_at: float
    last_inbound_at: float | None
    items: int
    taken_by: str
    taken_at: float | None
    notes: int


async def queue(store: Store) -> list[QueueRow]:
    """Every pending draft, oldest first, in one query (the queue must stay fast at 1,000)."""
    rows = await store.pending_queue(QUESTION_PREVIEW)
    return [
        QueueRow(
            draft_id=r["id"], version=r["version"], question=r["text"], language=r["language"],
            patron=patron_label(r["patron_name"], r["patron"]), asked_at=r["created_at"],
            last_inbound_at=r["last_inbound_at"], items=r["items"], taken_by=r["taken_by"] or "",
            taken_at=r["taken_at"], notes=r["notes"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Decided:
    """A draft someone recently approved or rejected."""

    draft_id: int
    status: str
    question: str
    decided_by: str
    updated_at: float


async def recently_decided(store: Store, settings: Settings, limit: int = 10) -> list[Decided]:
    """The last drafts decided, newest first."""
    rows = await store.decided_drafts(limit)
    names = await actor_names(store, settings)
    return [
        Decided(r["id"], r["status"], r["text"], display_actor(r["decided_by"], names), float(r["updated_at"]))
        for r in rows
    ]


@dataclass(frozen=True)
class DraftMeta:
    """What the draft page shows beside the draft itself."""

    patron: str
    asked_at: float
    last_inbound_at: float | None
    decided_by: str
    taken_by: str
    taken_by_id: int | None
    taken_at: float | None
    effort: int | None
    last_change_by: str


async def draft_meta(store: Store, settings: Settings, draft_id: int) -> DraftMeta | None:
    """The patron, the claim, the effort and who last touched a draft."""
    row = await store.draft_surroundings(draft_id)
    if row is None:
        return None
    last = await store.last_draft_change_by(draft_id)
    names = await actor_names(store, settings)
    return DraftMeta(
        patron=patron_label(row["patron_name"], row["patron"]),
        asked_at=row["created_at"],
        last_inbound_at=row["last_inbound_at"],
        decided_by=display_actor(row["decided_by"], names),
        taken_by=row["taken_by"] or "",
        taken_by_id=row["account_id"],
        taken_at=row["taken_at"],
        effort=row["effort"],
        last_change_by=display_actor(last, names) if last is not None else "",
    )


@dataclass(frozen=True)
class Turn:
    """One message in a patron's conversation with the library."""

    at: float
    inbound: bool
    text: str
    kind: str
    state: str


async def conversation(store: Store, patron: str, limit: int = 200) -> list[Turn]:
    """The patron's messages and the library's replies, oldest first (the latest ``limit``)."""
    inbound = await store.conversation_inbound(patron, limit)
    outbound = await store.conversation_outbound(patron, limit)
    turns = [_inbound_turn(r["received_at"], r["message"]) for r in inbound]
    turns += [_outbound_turn(r["created_at"], r["message"], r["state"]) for r in outbound]
    turns.sort(key=lambda turn: turn.at)
    return turns[-limit:]


def _inbound_turn(at: float, raw: str) -> Turn:
    message = codec.loads(InboundMessage, raw)
    text = message.text or (f"[{message.button_id}]" if message.button_id else "")
    return Turn(at, True, text, message.type, "")


def _outbound_turn(at: float, raw: str, state: str) -> Turn:
    message = codec.loads(OutgoingMessage, raw)
    kind = "document" if message.document else "image" if message.image else "buttons" if message.buttons else "text"
    return Turn(at, False, message.text, kind, state)


async def take(store: Store, draft_id: int, account: Account) -> None:
    """Mark a draft as being worked by ``account`` (taking it over from anyone else)."""
    await store.claim_draft(draft_id, account)


async def release(store: Store, draft_id: int, account: Account) -> None:
    """Let go of a draft so a colleague can take it."""
    await store.release_draft_claim(draft_id, account)


async def set_effort(store: Store, draft_id: int, effort: int, account: Account) -> None:
    """Record the READ-scale effort (1-6) of answering a draft."""
    await store.set_draft_effort(draft_id, effort, account)


async def audit_trail(store: Store, settings: Settings, limit: int = 300) -> list[dict[str, Any]]:
    """The latest audit events, newest first, with actors shown by name."""
    rows = await store.latest_events(limit)
    names = await actor_names(store, settings)
    return [
        {"at": r["at"], "actor": display_actor(r["actor"], names), "kind": r["kind"], "subject": r["subject"],
         "detail": _detail(r["detail"])}
        for r in rows
    ]


async def actor_names(store: Store, settings: Settings) -> dict[str, str]:
    """Display names for actors: console accounts and the WhatsApp librarians of the config."""
    names = {lib.phone: lib.name for lib in settings.librarians if lib.name}
    for account in await store.all_accounts():
        names[account.actor] = account.display
    return names


def display_actor(actor: str, names: dict[str, str]) -> str:
    """An actor as colleagues should see it; unknown phone numbers stay masked."""
    if not actor:
        return ""
    if actor in names:
        return names[actor]
    if actor.startswith("console:"):
        return actor.removeprefix("console:")
    return mask_phone(actor) if actor.isdigit() else actor


def patron_label(name: str | None, phone: str) -> str:
    """A patron as librarians see them: the WhatsApp name and a masked number."""
    masked = mask_phone(phone)
    # WhatsApp sends a profile name; some patrons' is their number, which must stay masked.
    shown = (name or "").strip()
    if not shown or shown.lstrip("+").replace(" ", "").isdigit():
        return masked
    return f"{shown} ({masked})"


def _detail(raw: str) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    return ", ".join(f"{k}={v}" for k, v in data.items()) if isinstance(data, dict) else raw
