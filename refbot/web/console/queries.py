"""The console's reads and its two small writes (who took a draft, how much effort it took).

Drafts themselves change only through :mod:`refbot.decisions.drafts`; nothing here touches their
status, items or version.
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
    rows = await store.fetchall(
        "SELECT d.id, d.version, json_array_length(d.source_notes) AS notes, substr(r.text, 1, ?) AS text, r.language, r.patron,"
        " r.created_at, p.name AS patron_name, p.last_inbound_at, c.taken_at,"
        " COALESCE(NULLIF(a.name, ''), a.username) AS taken_by,"
        " (SELECT COUNT(*) FROM draft_items i WHERE i.draft_id = d.id AND i.version = d.version) AS items"
        " FROM drafts d JOIN requests r ON r.id = d.request_id"
        " LEFT JOIN patrons p ON p.phone = r.patron"
        " LEFT JOIN console_claims c ON c.draft_id = d.id"
        " LEFT JOIN console_accounts a ON a.id = c.account_id"
        " WHERE d.status = 'pending' ORDER BY d.id",
        (QUESTION_PREVIEW,),
    )
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
    rows = await store.fetchall(
        "SELECT d.id, d.status, d.decided_by, d.updated_at, substr(r.text, 1, 120) AS text"
        " FROM drafts d JOIN requests r ON r.id = d.request_id"
        " WHERE d.status != 'pending' ORDER BY d.updated_at DESC, d.id DESC LIMIT ?",
        (limit,),
    )
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
    row = await store.fetchone(
        "SELECT r.patron, r.created_at, p.name AS patron_name, p.last_inbound_at, d.decided_by,"
        " c.account_id, c.taken_at, COALESCE(NULLIF(a.name, ''), a.username) AS taken_by, e.effort"
        " FROM drafts d JOIN requests r ON r.id = d.request_id"
        " LEFT JOIN patrons p ON p.phone = r.patron"
        " LEFT JOIN console_claims c ON c.draft_id = d.id"
        " LEFT JOIN console_accounts a ON a.id = c.account_id"
        " LEFT JOIN console_effort e ON e.draft_id = d.id"
        " WHERE d.id = ?",
        (draft_id,),
    )
    if row is None:
        return None
    last = await store.fetchone(
        "SELECT actor FROM events WHERE subject = ? AND kind IN ('edit', 'approve', 'reject')"
        " ORDER BY id DESC LIMIT 1",
        (f"draft:{draft_id}",),
    )
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
        last_change_by=display_actor(last["actor"], names) if last else "",
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
    inbound = await store.fetchall(
        "SELECT received_at, message FROM inbox WHERE sender = ? ORDER BY id DESC LIMIT ?", (patron, limit)
    )
    outbound = await store.fetchall(
        "SELECT created_at, message, state FROM outbox WHERE recipient = ? ORDER BY id DESC LIMIT ?",
        (patron, limit),
    )
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
    async with store.tx() as db:
        cur = await db.execute(
            "INSERT INTO console_claims (draft_id, account_id, taken_at) VALUES (?, ?, ?)"
            " ON CONFLICT (draft_id) DO UPDATE SET account_id = excluded.account_id, taken_at = excluded.taken_at"
            " WHERE console_claims.account_id != excluded.account_id",
            (draft_id, account.id, store.clock()),
        )
        if cur.rowcount:
            await store.add_event(db, account.actor, "take", f"draft:{draft_id}", {})


async def release(store: Store, draft_id: int, account: Account) -> None:
    """Let go of a draft so a colleague can take it."""
    async with store.tx() as db:
        cur = await db.execute("DELETE FROM console_claims WHERE draft_id = ?", (draft_id,))
        if cur.rowcount:
            await store.add_event(db, account.actor, "release", f"draft:{draft_id}", {})


async def set_effort(store: Store, draft_id: int, effort: int, account: Account) -> None:
    """Record the READ-scale effort (1-6) of answering a draft."""
    async with store.tx() as db:
        await db.execute(
            "INSERT INTO console_effort (draft_id, effort, account_id, set_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (draft_id) DO UPDATE SET effort = excluded.effort, account_id = excluded.account_id,"
            " set_at = excluded.set_at",
            (draft_id, effort, account.id, store.clock()),
        )
        await store.add_event(db, account.actor, "effort", f"draft:{draft_id}", {"effort": effort})


async def audit_trail(store: Store, settings: Settings, limit: int = 300) -> list[dict[str, Any]]:
    """The latest audit events, newest first, with actors shown by name."""
    rows = await store.fetchall("SELECT * FROM events ORDER BY id DESC LIMIT ?", (limit,))
    names = await actor_names(store, settings)
    return [
        {"at": r["at"], "actor": display_actor(r["actor"], names), "kind": r["kind"], "subject": r["subject"],
         "detail": _detail(r["detail"])}
        for r in rows
    ]


async def actor_names(store: Store, settings: Settings) -> dict[str, str]:
    """Display names for actors: console accounts and the WhatsApp librarians of the config."""
    names = {lib.phone: lib.name for lib in settings.librarians if lib.name}
    for r in await store.fetchall("SELECT username, name FROM console_accounts"):
        names[f"console:{r['username']}"] = r["name"] or r["username"]
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
